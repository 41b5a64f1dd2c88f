// zstd members as lib/decompress_unzstd.c reads them from unpack_to_rootfs(),
// decoded by wasm/decoders/zstd.ts (see there for the stream rules):
//
// - one frame per member, whose header is read from the whole rest of the
//   image first; the member ends where the frame ends, checksum included,
//   and whatever follows (zeros, garbage, another frame) is the unpacker's;
// - output in ZSTD_IOBUF_SIZE (128 KiB) chunks, the last one shorter; a
//   failing block loses the output gathered since the last full chunk;
// - my_inptr: the end of the frame, the whole input when it ran out
//   ("ZSTD-compressed data is truncated"), 0 after any other error;
// - messages as handle_zstd_error() and __unzstd() word them, for the rules
//   of the zstd 1.5.2 in the 6.2 to 6.14 kernels (6.12 among them).

import { WASM_BASE64 } from "./_zstd_wasm.ts";
import { wasmMemberDecoder } from "./_wasm.ts";
import type { MemberDecoder } from "./types.ts";

/** ZSTD_IOBUF_SIZE: the output buffer of __unzstd(), flushed whenever it is full. */
export const ZSTD_FLUSH_SIZE = 1 << 17;

// the module's error codes; 10 (the image does not fit in memory) has no message
const MESSAGES: Record<number, string> = {
  1: "Input is not in the ZSTD format (wrong magic bytes)",
  2: "ZSTD-compressed data has an incomplete frame header",
  3: "ZSTD-compressed data has too large a window size",
  4: "Out of memory while allocating ZSTD_DStream",
  5: "ZSTD decompressor ran out of memory",
  6: "ZSTD-compressed data is corrupt",
  7: "ZSTD-compressed data is probably corrupt",
  8: "ZSTD-compressed data is truncated",
  9: "Failed to flush()",
};

/**
 * The zstd decoder: the kernel's unzstd() over the rest of the image.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { zstd } from "./zstd.ts";
 *
 * // a frame with one raw block holding "hello", then two bytes of padding
 * const member = Uint8Array.of(
 *   0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0x29, 0x00, 0x00,
 *   104, 101, 108, 108, 111, 0, 0,
 * );
 * const chunks: string[] = [];
 * const result = zstd.decode(member, (chunk) => {
 *   chunks.push(new TextDecoder().decode(chunk));
 *   return true;
 * });
 * assert.deepEqual(result, { consumed: 14, ok: true });
 * assert.deepEqual(chunks, ["hello"]);
 * ```
 */
export const zstd: MemberDecoder = wasmMemberDecoder(WASM_BASE64, MESSAGES);
