// Compressed members: detection by the two magic bytes of lib/decompress.c.
// The decoders themselves are in src/decoders/.

import type { Compression } from "./profile.ts";

/** decompress_method(): the method named by the first two bytes, or null. */
export function detectCompression(buf: Uint8Array): Compression | null {
  if (buf.length < 2) return null;
  const a = buf[0]!;
  const b = buf[1]!;
  if (a === 0x1f && (b === 0x8b || b === 0x9e)) return "gzip";
  if (a === 0x42 && b === 0x5a) return "bzip2";
  if (a === 0x5d && b === 0x00) return "lzma";
  if (a === 0xfd && b === 0x37) return "xz";
  if (a === 0x89 && b === 0x4c) return "lzo";
  if (a === 0x02 && b === 0x21) return "lz4";
  if (a === 0x28 && b === 0xb5) return "zstd";
  return null;
}
