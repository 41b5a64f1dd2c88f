/**
 * ramroot: what Linux does between "the boot loader handed over an initrd"
 * and "PID 1 runs", in memory and in user space. It unpacks initramfs cpio
 * archives (newc and crc, several concatenated members) into a tmpfs or
 * ramfs model with the kernel's exact semantics: the parser and the file
 * store run in WebAssembly, and the result can be compared line by line with
 * what a real kernel built.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { manifest, Tmpfs, unpack, writeCpio } from "@ramroot/ramroot";
 *
 * const image = writeCpio([
 *   { name: "etc", mode: 0o40755, mtime: 1600000000 },
 *   { name: "etc/hostname", mode: 0o100644, mtime: 1600000000, data: new TextEncoder().encode("box\n") },
 * ]);
 * const fs = new Tmpfs({ now: 1700000000 });
 * await unpack(fs, image);
 * assert.equal(fs.stat("/etc/hostname").size, 4);
 * assert.match(await manifest(fs), /^\/etc\/hostname\tf\t0644\t/m);
 * ```
 *
 * @module
 */

export {
  CPIO_CODES,
  CpioError,
  type CpioErrorCode,
  type CpioErrorOptions,
  type EntryRef,
  ERRNO,
  type Errno,
  FsError,
  type FsErrorOptions,
} from "./src/errors.ts";
export {
  compareBytes,
  type DirEntry,
  type FileType,
  type PathLike,
  Ramfs,
  type RamfsOptions,
  type Stat,
  type StatFs,
  Superblock,
  Tmpfs,
  type TmpfsOptions,
  type WalkEntry,
} from "./src/superblock.ts";
export {
  bytesOf,
  type KernelMessage,
  type Segment,
  unpack,
  type UnpackCounts,
  type UnpackOptions,
  type UnpackResult,
  type UnpackSource,
  type Warning,
  WARNING_CODES,
  type WarningCode,
} from "./src/unpack.ts";
export {
  type Compression,
  DEFAULT_CPIO_LIST,
  getProfile,
  type KernelProfile,
  type ProfileName,
  PROFILES,
  rootfsIsTmpfs,
} from "./src/profile.ts";
export { populateRootfs, type Rootfs, type RootfsOptions } from "./src/rootfs.ts";
export { escapeBytes, manifest, type ManifestOptions } from "./src/manifest.ts";
export * from "./src/writer.ts";
export * from "./src/gen_list.ts";
export { type ListEntry, listImage, listSource } from "./src/list.ts";
export { programStandIn, sampleImage } from "./src/sample.ts";
export { detectCompression } from "./src/decompress.ts";
export {
  type DecodeResult,
  decoderFor,
  DECODERS,
  type Flush,
  type MemberDecoder,
} from "./src/decoders/mod.ts";
export type { ImageReader } from "./src/decoders/types.ts";
export {
  FsContext,
  type FsFactory,
  type Handle,
  Kernel,
  mangle,
  MF,
  MNT,
  Mount,
  type MountBehaviour,
  MountNamespace,
  MS,
  type Path,
  type PathArg,
  PeerGroup,
  Task,
} from "./src/vfs/mount.ts";
export {
  CoreFs,
  type CoreFsOptions,
  type Filesystem,
  type FsStat,
  MAGIC,
  type MagicTarget,
  MemFs,
  type MemFsOptions,
} from "./src/vfs/fs.ts";
export { NsFs, System } from "./src/vfs/system.ts";
export {
  execOp,
  type OpsEnvironment,
  opsEnvironment,
  type OpsOptions,
  type OpsRoot,
  runOps,
} from "./src/vfs/ops_run.ts";
export {
  normalizeMountinfo,
  type OpOutcome,
  type OpsOutput,
  parseScript,
  runScript,
  type ScriptOp,
  tokenize,
} from "./src/ops.ts";
export {
  boot,
  type BootOptions,
  type BootResult,
  type Design,
  DESIGNS,
  type InitExec,
  type RootDevice,
  rootDeviceFrom,
} from "./src/boot/boot.ts";
export { type BootParams, MAX_INIT_ARGS, parseCmdline } from "./src/boot/cmdline.ts";
export {
  handoff,
  type HandoffOptions,
  type HandoffResult,
  type HandoffStep,
  type HandoffTool,
  type OldRoot,
} from "./src/boot/handoff.ts";
export {
  containerLeak,
  type ContainerLeakOptions,
  type ContainerLeakResult,
  type Leak,
  type PinnedSuperblock,
} from "./src/boot/scenario.ts";
export {
  compareDesigns,
  type CompareOptions,
  type DesignComparison,
  formatBoot,
  formatCompare,
  formatLeak,
  handoffSummary,
  hiddenMounts,
  mountRealRoot,
  TOOLS,
} from "./src/boot/report.ts";
