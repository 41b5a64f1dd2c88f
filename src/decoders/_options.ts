// What a profile says about how its kernel's decoders were built, shared by
// the registry (src/decoders/mod.ts) and the decoding thread (_worker.ts).

import type { KernelProfile } from "../profile.ts";
import type { LzmaDecoderOptions } from "./lzma.ts";
import type { XzDecoderOptions } from "./xz.ts";

/** The xz decoder of `profile`'s kernel: its BCJ filters and its RAM. */
export function xzOptions(profile: KernelProfile): XzDecoderOptions {
  return { bcj: profile.xzBcjFilters, totalRamPages: profile.totalRamPages };
}

/** The lzma decoder of `profile`'s kernel: its RAM. */
export function lzmaOptions(profile: KernelProfile): LzmaDecoderOptions {
  return { totalRamPages: profile.totalRamPages };
}
