// xz members as lib/decompress_unxz.c reads them for unpack_to_rootfs(): one
// .xz stream decoded by lib/xz in multi-call mode (XZ_DYNALLOC, no dictionary
// limit of its own) over the rest of the image, output flushed in 4096-byte
// buffers (XZ_IOBUF_SIZE), my_inptr = the end of the Stream Footer (padding
// or a next member after it is left to the unpacker). Checks None and CRC32;
// CRC64 and SHA-256 are XZ_OPTIONS_ERROR. The dictionary is vmalloc()ed at
// its declared size, which fails ("XZ decompressor ran out of memory") beyond
// the machine's RAM. The state machines run in WebAssembly
// (wasm/decoders/xz.ts).

import { type DecoderExports, wasmMemberDecoder } from "./_wasm.ts";
import { WASM_BASE64 } from "./_xz_wasm.ts";
import type { MemberDecoder } from "./types.ts";

/** unxz()'s output buffer size when the caller gives none (XZ_IOBUF_SIZE). */
export const XZ_FLUSH_SIZE = 4096;

/** What unxz() passes to error() for each xz_ret that ends decoding. */
export const XZ_MESSAGES: Readonly<Record<number, string>> = {
  2: "Bug in the XZ decompressor", // XZ_UNSUPPORTED_CHECK (not built in the kernel)
  3: "XZ decompressor ran out of memory", // XZ_MEM_ERROR
  4: "Bug in the XZ decompressor", // XZ_MEMLIMIT_ERROR (no limit in unxz)
  5: "Input is not in the XZ format (wrong magic bytes)", // XZ_FORMAT_ERROR
  6: "Input was encoded with settings that are not supported by this XZ decoder",
  7: "XZ-compressed data is corrupt", // XZ_DATA_ERROR
  8: "XZ-compressed data is corrupt", // XZ_BUF_ERROR
};

/** A BCJ filter lib/xz can be built with (CONFIG_XZ_DEC_*). */
export type XzBcjFilter = "x86" | "arm64" | "riscv";

/** The BCJ filters of Debian's amd64 kernels. */
export const XZ_BCJ_FILTERS: Readonly<Record<"linux-6.1" | "linux-6.12", readonly XzBcjFilter[]>> =
  {
    "linux-6.1": ["x86"],
    "linux-6.12": ["x86", "arm64", "riscv"],
  };

/** Options of {@linkcode createXzDecoder}. */
export interface XzDecoderOptions {
  /**
   * The BCJ filters the modelled kernel was built with; a block using another
   * one is "Input was encoded with settings that are not supported by this
   * XZ decoder".
   * @default {["x86", "arm64", "riscv"]} (Debian 6.12 amd64)
   */
  bcj?: readonly XzBcjFilter[];
  /**
   * totalram_pages() of the modelled machine: vmalloc() refuses a dictionary
   * of more pages.
   * @default {245268} (Debian 6.12 with 1 GiB of RAM, the kernel oracle's guest)
   */
  totalRamPages?: number;
}

interface XzExports extends DecoderExports {
  setBcjFilters(mask: number): void;
  setMemoryPages(pages: number): void;
}

/** totalram_pages() of the kernel oracle's guest (Debian 6.12, 1 GiB). */
export const DEFAULT_TOTAL_RAM_PAGES = 245268;

const FILTER_IDS: Record<XzBcjFilter, number> = { x86: 4, arm64: 10, riscv: 11 };

/**
 * Makes an xz decoder for a kernel built with the given BCJ filters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createXzDecoder } from "./xz.ts";
 *
 * const xz = createXzDecoder({ bcj: ["x86"] });
 * const result = xz.decode(new Uint8Array([0xfd, 0x37, 0x7a]), () => true);
 * assert.equal(result.ok, false);
 * assert.equal(result.message, "XZ-compressed data is corrupt");
 * ```
 */
export function createXzDecoder(options: XzDecoderOptions = {}): MemberDecoder {
  let mask = 0;
  for (const f of options.bcj ?? XZ_BCJ_FILTERS["linux-6.12"]) mask |= 1 << FILTER_IDS[f];
  const pages = Math.min(options.totalRamPages ?? DEFAULT_TOTAL_RAM_PAGES, 0xffffffff) >>> 0;
  return wasmMemberDecoder<XzExports>(WASM_BASE64, XZ_MESSAGES, (x) => {
    x.setBcjFilters(mask);
    x.setMemoryPages(pages);
  });
}

/** The xz decoder, with Debian 6.12's BCJ filters (x86, ARM64, RISC-V). */
export const xz: MemberDecoder = createXzDecoder();
