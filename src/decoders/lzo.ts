// lzo members as lib/decompress_unlzo.c reads them from unpack_to_rootfs(),
// decoded by wasm/decoders/lzo.ts (see there for the header rules):
//
// - an lzop header as parse_header() reads it, else "invalid header"
//   (my_inptr 0): no checksum, F_H_FILTER only skips the filter word;
// - blocks of a big-endian dst_len, src_len and one checksum word (12 bytes,
//   whatever the flags say), decoded into the 256 KiB output buffer and
//   flushed whole: dst_len bytes per block;
// - a block is stored when src_len == dst_len, else lzo1x_decompress_safe()
//   must produce exactly dst_len bytes ("Compressed data violation");
// - dst_len 0 ends the member, successfully; a dst_len over 256 KiB is "dest
//   len longer than block size"; input that runs out, src_len 0 or src_len >
//   dst_len are "file corrupted";
// - my_inptr = header + (src_len + 12) per flushed block + 4 for the end
//   marker. A second lzop stream is a new member for unpack_to_rootfs().

import { WASM_BASE64 } from "./_lzo_wasm.ts";
import { wasmMemberDecoder } from "./_wasm.ts";
import type { MemberDecoder } from "./types.ts";

/** LZO_BLOCK_SIZE: the output buffer and the largest block. */
export const LZO_BLOCK_SIZE = 256 * 1024;

// the module's error codes; 5 (flush refused) and 6 (no memory) have no message
const MESSAGES: Record<number, string> = {
  1: "invalid header",
  2: "file corrupted",
  3: "dest len longer than block size",
  4: "Compressed data violation",
};

/**
 * The lzo decoder: the kernel's unlzo() over the rest of the image.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lzo } from "./lzo.ts";
 *
 * // an lzop header without a name, one stored block "hello", the end marker
 * const member = Uint8Array.of(
 *   0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a, // magic
 *   0x10, 0x40, 0x20, 0xa0, 0x09, 0x40, 0x01, 0x05, // versions, method, level
 *   0x03, 0x00, 0x00, 0x01, 0x00, 0x00, 0x81, 0xa4, // flags, mode
 *   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // mtime, name length, checksum
 *   0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 0, 104, 101, 108, 108, 111, // block
 *   0, 0, 0, 0, // end marker
 * );
 * const chunks: string[] = [];
 * const result = lzo.decode(member, (chunk) => {
 *   chunks.push(new TextDecoder().decode(chunk));
 *   return true;
 * });
 * assert.deepEqual(result, { consumed: member.length, ok: true });
 * assert.deepEqual(chunks, ["hello"]);
 * ```
 */
export const lzo: MemberDecoder = wasmMemberDecoder(WASM_BASE64, MESSAGES);
