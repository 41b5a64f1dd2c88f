// The kernel's decompressors by name (lib/decompress.c). Each entry is one
// module of src/decoders/.

import type { Compression } from "../profile.ts";
import type { MemberDecoder } from "./types.ts";
import { bzip2 } from "./bzip2.ts";
import { gzip } from "./gzip.ts";
import { lz4 } from "./lz4.ts";
import { lzo } from "./lzo.ts";
import { lzma } from "./lzma.ts";
import { xz } from "./xz.ts";
import { zstd } from "./zstd.ts";

/** The decoder of each compression format ramroot can read. */
export const DECODERS: Partial<Record<Compression, MemberDecoder>> = {
  bzip2,
  gzip,
  lz4,
  lzo,
  lzma,
  xz,
  zstd,
};

export type { DecodeResult, Flush, MemberDecoder } from "./types.ts";
