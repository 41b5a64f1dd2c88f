// The boot-time unpack of do_populate_rootfs() (init/initramfs.c): the rootfs
// superblock chosen by the command line, the built-in initramfs, then the
// bootloader's image, with the log lines the kernel prints.

import type { CpioError } from "./errors.ts";
import { packList } from "./gen_list.ts";
import { getProfile, type KernelProfile, type ProfileName, rootfsIsTmpfs } from "./profile.ts";
import { Ramfs, type Superblock, Tmpfs } from "./superblock.ts";
import {
  chunksOf,
  type KernelMessage,
  unpackOutcome,
  type UnpackResult,
  type UnpackSource,
} from "./unpack.ts";

/** Options of {@linkcode populateRootfs}. */
export interface RootfsOptions {
  /** Kernel profile. @default {"linux-6.1"} */
  profile?: ProfileName | KernelProfile;
  /** Kernel command line (root= and rootfstype= choose tmpfs or ramfs). @default {""} */
  cmdline?: string;
  /** mtime of the built-in entries (the kernel's build time). @default {the profile's} */
  buildTime?: number;
  /** Boot time: "now" for everything the kernel stamps while unpacking. @default {Date.now()/1000} */
  bootTime?: number;
  /** rootfs tmpfs `size=` (bytes, k/m/g, %). @default {half of the profile's RAM} */
  rootfsSize?: number | string;
  /** The built-in initramfs image. @default {the profile's default list} */
  builtin?: Uint8Array;
  /** Decode large members of a file image on a second thread while this one parses. @default {true} */
  threads?: boolean;
}

/** The rootfs after the kernel's unpack. */
export interface Rootfs {
  /** The rootfs superblock. */
  fs: Superblock;
  /** Log lines about the unpack, in order. */
  messages: KernelMessage[];
  /** Result of the built-in unpack. */
  builtin: UnpackResult;
  /** Result of the image unpack, when images were given. */
  initrd: UnpackResult | null;
  /** The error the image unpack stopped with, if any. */
  error: CpioError | null;
}

/** The profile's built-in initramfs, as gen_init_cpio -t buildTime writes it. */
export async function builtinImage(profile: KernelProfile, buildTime: number): Promise<Uint8Array> {
  const r = await packList(profile.builtinList, { mtime: buildTime });
  return r.archive;
}

/**
 * Builds the rootfs the kernel would have when it is about to run init:
 * built-in initramfs first, then the images concatenated as the bootloader
 * hands them over.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { populateRootfs } from "@ramroot/ramroot";
 * const { fs, messages } = await populateRootfs([], { bootTime: 1700000000 });
 * assert.equal(fs.stat("/dev/console").rdev?.major, 5);
 * assert.deepEqual(messages, []);
 * ```
 */
export async function populateRootfs(
  images: UnpackSource[],
  options: RootfsOptions = {},
): Promise<Rootfs> {
  const profile = getProfile(options.profile);
  const cmdline = options.cmdline ?? "";
  const now = options.bootTime ?? Date.now() / 1000;
  const fs = rootfsIsTmpfs(profile, cmdline)
    ? new Tmpfs({
      now,
      totalRamPages: profile.totalRamPages,
      ...(options.rootfsSize !== undefined ? { size: options.rootfsSize } : {}),
    })
    : new Ramfs({ now });
  const builtinBytes = options.builtin ??
    await builtinImage(profile, options.buildTime ?? profile.buildTime);
  const b = await unpackOutcome(fs, builtinBytes, { profile, now });
  if (b.error) {
    // the kernel panics: "Failed to decompress INTERNAL initramfs" path
    throw b.error;
  }
  const messages: KernelMessage[] = [...b.result.messages];
  if (images.length === 0) {
    return { fs, messages, builtin: b.result, initrd: null, error: null };
  }
  messages.push(unpackStartMessage(profile));
  // one image goes as it is, so that a file stays a file (read as needed)
  const source = images.length === 1 ? images[0]! : concatSources(images);
  const r = await unpackOutcome(fs, source, {
    profile,
    now,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  messages.push(...r.result.messages);
  if (r.error) messages.push(unpackFailureMessage(profile, r.error));
  return { fs, messages, builtin: b.result, initrd: r.result, error: r.error };
}

/** What the kernel logs before it unpacks the boot loader's image. */
export function unpackStartMessage(profile: KernelProfile): KernelMessage {
  return {
    level: 6,
    text: profile.blkDevRam === "n"
      ? "Unpacking initramfs..."
      : "Trying to unpack rootfs image as initramfs...",
  };
}

/**
 * What the kernel logs when that image is not (all) an initramfs: with
 * CONFIG_BLK_DEV_RAM=y it is taken for an old initrd (and kept as
 * `/initrd.image`), else the unpack failed.
 */
export function unpackFailureMessage(profile: KernelProfile, error: CpioError): KernelMessage {
  return profile.blkDevRam === "y"
    ? {
      level: 6,
      text: `rootfs image is not initramfs (${error.kernelMessage}); looks like an initrd`,
    }
    : { level: 0, text: `Initramfs unpacking failed: ${error.kernelMessage}` };
}

/** The images one after another, as the boot loader hands them over. */
export async function* concatSources(images: UnpackSource[]): AsyncGenerator<Uint8Array> {
  for (const img of images) yield* chunksOf(img);
}
