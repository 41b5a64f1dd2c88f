// lz4 members as lib/decompress_unlz4.c reads them from unpack_to_rootfs(),
// decoded by wasm/decoders/lz4.ts (see there for the stream rules):
//
// - the legacy frame magic 02 21 4c 18 or "invalid header" (my_inptr 0); a
//   modern frame (04 22 4d 18) never gets here, lib/decompress.c does not
//   know its first two bytes;
// - chunks of a little-endian 32-bit size and an LZ4 block, each decoded into
//   the 8 MiB output buffer and flushed whole (a chunk that decodes to nothing
//   is flushed as an empty buffer, as the kernel calls flush(outp, 0));
// - a legacy magic in place of a chunk size is skipped (4 bytes of my_inptr);
// - the member ends, successfully, when fewer than 4 bytes are left, at a
//   chunk size of 0 (neither counted in my_inptr), or at the end of the input;
// - every other chunk size is a block: one that does not decode, or runs past
//   the end of the image, is "Decoding failed";
// - my_inptr counts the magic(s), each chunk's 4-byte size and the blocks that
//   were flushed; a failing chunk's size is counted, its block is not.

import { WASM_BASE64 } from "./_lz4_wasm.ts";
import { wasmMemberDecoder } from "./_wasm.ts";
import type { MemberDecoder } from "./types.ts";

/** LZ4_DEFAULT_UNCOMPRESSED_CHUNK_SIZE: the output buffer, flushed once per chunk. */
export const LZ4_CHUNK_SIZE = 8 << 20;

// the module's error codes; 3 (flush refused) and 4 (no memory) have no message
const MESSAGES: Record<number, string> = {
  1: "invalid header",
  2: "Decoding failed",
  5: "data corrupted",
};

/**
 * The lz4 decoder: the kernel's unlz4() over the rest of the image.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lz4 } from "./lz4.ts";
 *
 * // a legacy frame with one chunk: a block of 5 literals, "hello"
 * const member = Uint8Array.of(0x02, 0x21, 0x4c, 0x18, 6, 0, 0, 0, 0x50, 104, 101, 108, 108, 111);
 * const chunks: string[] = [];
 * const result = lz4.decode(member, (chunk) => {
 *   chunks.push(new TextDecoder().decode(chunk));
 *   return true;
 * });
 * assert.deepEqual(result, { consumed: 14, ok: true });
 * assert.deepEqual(chunks, ["hello"]);
 * ```
 */
export const lz4: MemberDecoder = wasmMemberDecoder(WASM_BASE64, MESSAGES);
