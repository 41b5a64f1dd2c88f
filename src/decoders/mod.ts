// The kernel's decompressors by name (lib/decompress.c). Each entry is one
// module of src/decoders/.

import type { Compression, KernelProfile } from "../profile.ts";
import type { MemberDecoder } from "./types.ts";
import { bzip2 } from "./bzip2.ts";
import { gzip } from "./gzip.ts";
import { lzmaOptions, xzOptions } from "./_options.ts";
import { lz4 } from "./lz4.ts";
import { lzo } from "./lzo.ts";
import { createLzmaDecoder, lzma } from "./lzma.ts";
import { createXzDecoder, xz } from "./xz.ts";
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

const byProfile = new WeakMap<KernelProfile, Map<Compression, MemberDecoder>>();

/**
 * The decoder of `kind` as the kernel of `profile` is built: the xz BCJ
 * filters it has, and the RAM its lzma and xz dictionaries are checked
 * against. One instance per profile and format, reused.
 */
export function decoderFor(profile: KernelProfile, kind: Compression): MemberDecoder | undefined {
  let decoders = byProfile.get(profile);
  if (decoders === undefined) {
    decoders = new Map();
    byProfile.set(profile, decoders);
  }
  let d = decoders.get(kind);
  if (d === undefined) {
    if (kind === "xz") {
      d = createXzDecoder(xzOptions(profile));
    } else if (kind === "lzma") {
      d = createLzmaDecoder(lzmaOptions(profile));
    } else {
      d = DECODERS[kind];
    }
    if (d !== undefined) decoders.set(kind, d);
  }
  return d;
}

export type { DecodeResult, Flush, MemberDecoder } from "./types.ts";
