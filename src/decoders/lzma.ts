// .lzma members as lib/decompress_unlzma.c reads them for unpack_to_rootfs():
// the 13-byte header (properties < 225 else "bad header", dictionary size,
// 64-bit size), an output buffer of MIN(size, dictionary) bytes flushed each
// time it fills and once at the end, the end marker when the size is unknown,
// and my_inptr = rc.ptr - rc.buffer: the header plus every byte the range
// decoder pulled in. Buffers the kernel's vmalloc() refuses (0 bytes, 2 GiB
// and more through an int, more than the machine's RAM) fail without a
// message. The decoder runs in WebAssembly (wasm/decoders/lzma.ts).

import { type DecoderExports, wasmMemberDecoder } from "./_wasm.ts";
import { WASM_BASE64 } from "./_lzma_wasm.ts";
import type { MemberDecoder } from "./types.ts";

/**
 * What unlzma() passes to error(), by the module's error code. Code 4 (no
 * buffer could be allocated, or the final flush failed) has no message: the
 * unpacker then says "decompressor failed".
 */
export const LZMA_MESSAGES: Readonly<Record<number, string>> = {
  1: "unexpected EOF",
  2: "bad header",
  3: "LZMA data is corrupt",
};

/**
 * The size of the buffers unlzma() flushes for a member whose header has
 * these sizes: the dictionary size (0 counts as 1) when the uncompressed size
 * is at least that, else the whole output at once. Undefined when the kernel
 * cannot allocate it whatever its RAM (0 bytes, or 2 GiB and more through an
 * int).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lzmaFlushSize } from "./lzma.ts";
 *
 * assert.equal(lzmaFlushSize(8 << 20, 2n ** 64n - 1n), 8 << 20);
 * assert.equal(lzmaFlushSize(8 << 20, 1000n), 1000);
 * ```
 */
export function lzmaFlushSize(
  dictionarySize: number,
  uncompressedSize: bigint,
): number | undefined {
  const dict = BigInt(dictionarySize === 0 ? 1 : dictionarySize);
  const size = uncompressedSize < dict ? uncompressedSize : dict;
  return size === 0n || size >= 0x80000000n ? undefined : Number(size);
}

/** Options of {@linkcode createLzmaDecoder}. */
export interface LzmaDecoderOptions {
  /**
   * totalram_pages() of the modelled machine: vmalloc() refuses an output
   * buffer of more pages.
   * @default {245268} (Debian 6.12 with 1 GiB of RAM, the kernel oracle's guest)
   */
  totalRamPages?: number;
}

interface LzmaExports extends DecoderExports {
  setMemoryPages(pages: number): void;
}

/**
 * Makes an lzma decoder for a machine with the given RAM.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLzmaDecoder } from "./lzma.ts";
 *
 * const lzma = createLzmaDecoder({ totalRamPages: 262144 });
 * const result = lzma.decode(new Uint8Array([0x5d, 0, 0]), () => true);
 * assert.deepEqual(result, { consumed: 3, ok: false, message: "unexpected EOF" });
 * ```
 */
export function createLzmaDecoder(options: LzmaDecoderOptions = {}): MemberDecoder {
  const pages = Math.min(options.totalRamPages ?? 245268, 0xffffffff) >>> 0;
  return wasmMemberDecoder<LzmaExports>(WASM_BASE64, LZMA_MESSAGES, (x) => x.setMemoryPages(pages));
}

/** The lzma decoder. */
export const lzma: MemberDecoder = createLzmaDecoder();
