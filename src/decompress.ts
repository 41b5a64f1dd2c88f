// Compressed members: detection by the two magic bytes of lib/decompress.c
// and decoding with the kernel's rules for where a member ends.
// TODO(#3): streaming decoders for all seven formats with bounded memory.

import { constants, inflateRawSync } from "node:zlib";
import type { Compression } from "./profile.ts";
import type { KernelMessage } from "./unpack.ts";

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

/** A decoded member. */
export interface DecodedMember {
  /** The decompressed bytes that the kernel's decoder would flush. */
  output: Uint8Array;
  /** Input bytes the member used (the kernel goes on after them). */
  consumed: number;
  /** Size of the decoder's output buffer: output is flushed on these boundaries. */
  flushSize: number;
  /** The decoder's own failure message, when it failed. */
  failed: string | null;
  /** Log lines. */
  messages: KernelMessage[];
}

/** Decodes the member at the start of `buf`. */
export function decompressMember(
  kind: Compression,
  buf: Uint8Array,
): DecodedMember | { error: string } {
  if (kind === "gzip") return gunzip(buf);
  return { error: `ramroot cannot decompress ${kind} members yet` };
}

// lib/decompress_inflate.c: 1f 8b 08 and at least 10 bytes, FNAME skipped,
// other flags not understood, CRC32 and ISIZE not checked, 32 KiB flushes.
function gunzip(buf: Uint8Array): DecodedMember {
  const fail = (failed: string, consumed = 0): DecodedMember => ({
    output: new Uint8Array(0),
    consumed,
    flushSize: 0x8000,
    failed,
    messages: [],
  });
  if (buf.length < 10 || buf[0] !== 0x1f || buf[1] !== 0x8b || buf[2] !== 0x08) {
    return fail("Not a gzip file");
  }
  let p = 10;
  if ((buf[3]! & 0x08) !== 0) {
    while (p < buf.length && buf[p] !== 0) p++;
    if (p >= buf.length) return fail("header error");
    p++;
  }
  const body = buf.subarray(p);
  try {
    const r = inflateRawSync(body, { info: true }) as unknown as {
      buffer: Uint8Array;
      engine: { bytesWritten: number };
    };
    const consumed = Math.min(buf.length, p + r.engine.bytesWritten + 8);
    return {
      output: new Uint8Array(r.buffer.buffer, r.buffer.byteOffset, r.buffer.byteLength),
      consumed,
      flushSize: 0x8000,
      failed: null,
      messages: [],
    };
  } catch (e) {
    // what was decoded before the failure was flushed by the kernel
    let output: Uint8Array = new Uint8Array(0);
    try {
      const partial = inflateRawSync(body, { finishFlush: constants.Z_SYNC_FLUSH });
      output = new Uint8Array(partial.buffer, partial.byteOffset, partial.byteLength);
    } catch {
      // nothing decodable
    }
    const truncated = (e as { code?: string }).code === "Z_BUF_ERROR";
    return {
      output,
      consumed: buf.length,
      flushSize: 0x8000,
      failed: truncated ? "read error" : "uncompression error",
      messages: [],
    };
  }
}
