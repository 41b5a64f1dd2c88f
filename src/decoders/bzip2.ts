// bzip2 members as lib/decompress_bunzip2.c reads them from unpack_to_rootfs(),
// decoded by wasm/decoders/bzip2.ts (see there for the stream rules):
//
// - "BZh1".."BZh9" or a silent failure (no message, my_inptr 4);
// - output in 4096-byte buffers (BZIP2_IOBUF_SIZE), the last one shorter;
// - a block CRC or combined CRC that does not match is "Data integrity error
//   when decompressing." (the combined CRC of a stream with no output is never
//   checked); the buffer being filled when a block CRC fails is not flushed;
// - a flush() that refuses a buffer is "Compressed file ends unexpectedly";
// - bad block magics, data errors and randomised blocks fail silently;
// - the member ends at the end-of-stream magic, and my_inptr is the bit
//   reader's byte position: the stream's length when it is well formed, and
//   every byte fetched, read-ahead included, when it is not. A cut member is
//   decoded as the kernel decodes it over memory that holds zeros after the
//   image, so my_inptr may then pass the end of the input (the real kernel
//   reads on into whatever follows the initrd, and can fault there).

import { WASM_BASE64 } from "./_bzip2_wasm.ts";
import { wasmMemberDecoder } from "./_wasm.ts";
import type { MemberDecoder } from "./types.ts";

/** BZIP2_IOBUF_SIZE: the output buffer of bunzip2() without an outbuf. */
export const BZIP2_FLUSH_SIZE = 4096;

// the module's error codes; 3..7 (not bzip2 data, data error, randomised
// block, a case where the kernel leaves its memory, no memory) have no message
const MESSAGES: Record<number, string> = {
  1: "Data integrity error when decompressing.",
  2: "Compressed file ends unexpectedly",
};

/**
 * The bzip2 decoder: the kernel's bunzip2() over the rest of the image.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bzip2 } from "./bzip2.ts";
 *
 * // `printf hello | bzip2 -9`
 * const member = Uint8Array.from(
 *   atob("QlpoOTFBWSZTWRkxZT0AAACBAAJEoAAhmmgzTQczi7kinChIDJiynoA="),
 *   (c) => c.charCodeAt(0),
 * );
 * const chunks: string[] = [];
 * const result = bzip2.decode(member, (chunk) => {
 *   chunks.push(new TextDecoder().decode(chunk));
 *   return true;
 * });
 * assert.deepEqual(result, { consumed: member.length, ok: true });
 * assert.deepEqual(chunks, ["hello"]);
 * ```
 */
export const bzip2: MemberDecoder = wasmMemberDecoder(WASM_BASE64, MESSAGES);
