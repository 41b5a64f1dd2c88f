// Boot from "the boot loader handed over an initrd" to "PID 1 runs": the
// kernel's sequence (spec: boot.md §3, §4) under three designs of the root —
// the kernel's own rootfs (`legacy`), the 2021 "user root" patch series and
// its revisions (boot.md §5), and Linux 7.0's nullfs (boot.md §6, mounts.md
// §9). Every mount operation runs on the mount model, so what the kernel
// would answer (EINVAL from a locked rootfs, a detach that works) is computed,
// not written down.

import { type CpioError, FsError } from "../errors.ts";
import { getProfile, type KernelProfile, type ProfileName, rootfsIsTmpfs } from "../profile.ts";
import { concat } from "../_bytes.ts";
import {
  builtinImage,
  concatSources,
  unpackFailureMessage,
  unpackStartMessage,
} from "../rootfs.ts";
import { PAGE_SIZE, Ramfs, type Superblock, Tmpfs } from "../superblock.ts";
import {
  bytesOf,
  type KernelMessage,
  unpackOutcome,
  type UnpackResult,
  type UnpackSource,
} from "../unpack.ts";
import { CoreFs, type Filesystem, MAGIC, type MemFs } from "../vfs/fs.ts";
import { dentryPath, MF, MNT, MS, type Path, type Task } from "../vfs/mount.ts";
import { System } from "../vfs/system.ts";
import { type BootParams, deviceNumber, parseCmdline } from "./cmdline.ts";

/**
 * How the root of the mount tree is built.
 * - `legacy`: rootfs is the namespace root (every kernel before 7.0).
 * - `user-root`: the patch series of 2021-05-22: a second tmpfs/ramfs on
 *   `/root` receives the external image and becomes the root.
 * - `user-root-v6`: its v6 (2021-06-05): `finish_mount_rootfs()` /
 *   `revert_mount_rootfs()` with `umount(".", MNT_DETACH)`.
 * - `user-root-v7`: v7 (2022-01-17): the second mount is made before the
 *   built-in archive, so both archives land in it.
 * - `nullfs`: Linux 7.0: nullfs is the namespace root, rootfs is mounted on it.
 */
export type Design = "legacy" | "user-root" | "user-root-v6" | "user-root-v7" | "nullfs";

/** Every design, in the order `boot --compare` shows them. */
export const DESIGNS: readonly Design[] = [
  "legacy",
  "user-root",
  "user-root-v6",
  "user-root-v7",
  "nullfs",
];

/** The real root `root=` names, for `prepare_namespace`. */
export interface RootDevice {
  /** Device name as `root=` gives it (`/dev/sda1`, `PARTUUID=...`, `8:1`). */
  name: string;
  /** The filesystem on it (see {@linkcode rootDeviceFrom}). */
  fs: Filesystem;
}

/** Options of {@linkcode boot}. */
export interface BootOptions {
  /** Design of the root. @default {"nullfs" for linux-7.0, else "legacy"} */
  design?: Design;
  /** Kernel profile. @default {"linux-7.0" for nullfs, else "linux-6.1"} */
  profile?: ProfileName | KernelProfile;
  /** The kernel command line. @default {""} */
  cmdline?: string;
  /** The built-in initramfs. @default {the profile's default list} */
  builtin?: Uint8Array;
  /** The images the boot loader hands over, concatenated. @default {[]} */
  initrd?: UnpackSource[];
  /** The device `root=` names, when init is not in the initramfs. */
  rootDevice?: RootDevice;
  /** Boot time, for everything the kernel stamps. @default {0} */
  bootTime?: number;
  /** mtime of the built-in entries. @default {the profile's build time} */
  buildTime?: number;
  /**
   * Boot as the kernel oracle does (`rdinit=` a probe program that is in the
   * initramfs but not part of the tree under test): the rdinit exists and
   * runs, whatever the images hold. @default {false}
   */
  probe?: boolean;
}

/** The program that becomes PID 1. */
export interface InitExec {
  /** Path executed. */
  path: string;
  /** Its argv. */
  argv: string[];
  /** Its environment. */
  envp: string[];
  /** Which rule chose it: `rdinit`, `init=`, or the default list. */
  from: "rdinit" | "init" | "default";
}

/** What a boot ends with. */
export interface BootResult {
  /** The design booted. */
  design: Design;
  /** The profile. */
  profile: KernelProfile;
  /** The command line as parsed. */
  params: BootParams;
  /** The modelled machine. */
  system: System;
  /** PID 1 (the init task): its namespace, root and cwd. */
  task: Task;
  /** The kernel's log lines, in order. */
  messages: KernelMessage[];
  /** `/proc/self/mountinfo` of PID 1. */
  mountinfo: string[];
  /** fds 0, 1, 2 are `/dev/console`. */
  console: boolean;
  /** The init that runs, or null after a panic. */
  init: InitExec | null;
  /** The panic text (`Kernel panic - not syncing: ...` without the prefix). */
  panic: string | null;
  /** The rootfs filesystem. */
  rootfs: CoreFs;
  /** The second mount of the user-root designs, when one was made. */
  userRoot: CoreFs | null;
  /** The real root mounted by `prepare_namespace`, when it ran and succeeded. */
  realRoot: Filesystem | null;
  /**
   * Calls whose failure the design's code ignores, with the errno they got:
   * e.g. `umount("/..", 0) = -22` in the user-root failure branch.
   */
  ignored: string[];
  /** Unpack results: the built-in archive, the external image, the error it stopped with. */
  unpack: { builtin: UnpackResult | null; initrd: UnpackResult | null; error: CpioError | null };
}

class Panic extends Error {}

/** Where a design starts by default. */
function defaultProfile(design: Design | undefined): ProfileName {
  return design === "nullfs" ? "linux-7.0" : "linux-6.1";
}

const errno: Record<string, number> = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENOSPC: 28,
  EROFS: 30,
  ENAMETOOLONG: 36,
  ELOOP: 40,
};

function code(e: unknown): number {
  if (e instanceof FsError) return -(errno[e.code] ?? 22);
  throw e;
}

/**
 * Boots: rootfs, the built-in and the external archives, the console, then
 * the initramfs's init or `prepare_namespace` and the real root.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { boot } from "@ramroot/ramroot";
 * const legacy = await boot({ design: "legacy" });
 * // no /init in the built-in archive: the kernel looks for a root device
 * assert.equal(legacy.panic, "VFS: Unable to mount root fs on unknown-block(0,0)");
 * ```
 */
export async function boot(options: BootOptions = {}): Promise<BootResult> {
  const profile = getProfile(options.profile ?? defaultProfile(options.design));
  const design = options.design ?? (profile.nullfsRoot ? "nullfs" : "legacy");
  if ((design === "nullfs") !== profile.nullfsRoot) {
    throw new RangeError(
      design === "nullfs"
        ? `design "nullfs" needs a kernel with nullfs (linux-7.0), not ${profile.name}`
        : `${profile.name} boots on nullfs: design "${design}" needs a kernel before 7.0`,
    );
  }
  return await new Boot(profile, design, options).run();
}

class Boot {
  readonly profile: KernelProfile;
  readonly design: Design;
  readonly options: BootOptions;
  readonly params: BootParams;
  readonly messages: KernelMessage[] = [];
  readonly system: System;
  readonly now: number;
  task!: Task;
  rootfs!: CoreFs;
  userRoot: CoreFs | null = null;
  realRoot: Filesystem | null = null;
  console = false;
  builtin: UnpackResult | null = null;
  initrd: UnpackResult | null = null;
  error: CpioError | null = null;
  /** Return codes the design ignores, for the report. */
  readonly failed: string[] = [];

  constructor(profile: KernelProfile, design: Design, options: BootOptions) {
    this.profile = profile;
    this.design = design;
    this.options = options;
    this.now = options.bootTime ?? 0;
    const cmdline = options.cmdline ?? "";
    this.params = parseCmdline(cmdline, profile);
    this.system = new System(profile);
  }

  log(level: number, text: string): void {
    this.messages.push({ level, text });
  }

  get userRootDesign(): boolean {
    return this.design.startsWith("user-root");
  }

  async run(): Promise<BootResult> {
    const p = this.params;
    this.log(6, `Command line: ${p.cmdline}`);
    this.log(5, `Kernel command line: ${p.cmdline}`);
    this.messages.push(...p.messages);
    let panic: string | null = null;
    let init: InitExec | null = null;
    // while the kernel boots, tmpfs defaults come from the RAM before the
    // init memory is freed (the rootfs and a user root show them as limits)
    const k = this.system.kernel;
    const saved = k.types.get("tmpfs")!;
    const opts = {
      totalRamPages: this.profile.totalRamPages,
      inode64: this.profile.tmpfsInode64,
      showLimits: true,
    };
    k.types.set("tmpfs", (_s, data) => {
      const fs = CoreFs.tmpfs(data, opts);
      fs.sb.utime("/", this.now);
      return fs;
    });
    try {
      if (p.panic !== undefined) throw new Panic(p.panic);
      this.mountTree();
      await this.populate();
      k.types.set("tmpfs", saved);
      this.openConsole();
      const rdinit = p.rdinit ?? "/init";
      const access = this.options.probe ? 0 : this.eaccess(rdinit);
      let ramdisk: string | null = rdinit;
      if (access !== 0) {
        if (p.rdinit !== undefined && this.profile.rdinitAccessMessage) {
          this.log(4, `check access for rdinit=${rdinit} failed: ${access}, ignoring`);
        }
        ramdisk = null;
        this.prepareNamespace();
      }
      init = this.runInit(ramdisk);
    } catch (e) {
      if (!(e instanceof Panic)) throw e;
      panic = e.message;
      this.log(0, `Kernel panic - not syncing: ${panic}`);
    } finally {
      k.types.set("tmpfs", saved);
    }
    return {
      design: this.design,
      profile: this.profile,
      params: p,
      system: this.system,
      task: this.task,
      messages: this.messages,
      mountinfo: this.task?.mountinfo() ?? [],
      console: this.console,
      init,
      panic,
      rootfs: this.rootfs,
      userRoot: this.userRoot,
      realRoot: this.realRoot,
      ignored: this.failed,
      unpack: { builtin: this.builtin, initrd: this.initrd, error: this.error },
    };
  }

  // ------------------------------------------------------------ mnt_init

  /** init_rootfs() and init_mount_tree(). */
  mountTree(): void {
    const p = this.params;
    const profile = this.profile;
    // the patch series makes the kernel's own rootfs always ramfs (its 3/3)
    const tmpfs = !this.userRootDesign && rootfsIsTmpfs(profile, p.cmdline);
    let sb: Superblock;
    try {
      const data = profile.initramfsOptions ? p.initramfsOptions : undefined;
      sb = tmpfs
        ? Tmpfs.fromMountData(data ?? "", { now: this.now, totalRamPages: profile.totalRamPages })
        : new Ramfs({ now: this.now, ...ramfsMode(data) });
    } catch (e) {
      if (e instanceof FsError || e instanceof RangeError) throw new Panic("Can't create rootfs");
      throw e;
    }
    this.task = this.system.initramfs(sb, profile.totalRamPages);
    this.rootfs = this.task.fs.root.mnt.fs as CoreFs;
    if (profile.nullfsRoot) this.log(6, "VFS: Finished mounting rootfs on nullfs");
  }

  // ------------------------------------------------------------ populate_rootfs

  async populate(): Promise<void> {
    const profile = this.profile;
    const images = this.options.initrd ?? [];
    if (this.design === "user-root-v7") {
      // v7 makes the second mount first, so the built-in archive lands in it
      this.try(() => this.task.mkdir("/root", 0o700));
      this.mountUserRoot("Failed to mount rootfs");
    }
    const builtin = this.options.builtin ??
      await builtinImage(profile, this.options.buildTime ?? profile.buildTime);
    const b = await unpackOutcome(this.target(), builtin, { profile, now: this.now });
    this.builtin = b.result;
    this.messages.push(...b.result.messages);
    if (b.error) throw new Panic(b.error.kernelMessage);
    if (images.length === 0) {
      if (this.design === "user-root-v7") this.finishV6(true);
      return;
    }
    this.messages.push(unpackStartMessage(profile));
    if (this.design === "user-root") this.mountUserRoot("Failed to create user root");
    if (this.design === "user-root-v6") this.mountUserRoot("Failed to mount rootfs");
    const source = images.length === 1 ? images[0]! : concatSources(images);
    const r = await unpackOutcome(this.target(), source, { profile, now: this.now });
    this.initrd = r.result;
    this.error = r.error;
    this.messages.push(...r.result.messages);
    if (this.design === "user-root") this.endUserRoot(r.error === null);
    else if (this.design !== "legacy" && this.design !== "nullfs") this.finishV6(r.error === null);
    if (r.error) {
      this.messages.push(unpackFailureMessage(profile, r.error));
      if (profile.blkDevRam === "y") await this.writeInitrdImage(images);
    }
    const size = r.result.inputBytes;
    if (this.params.retainInitrd) {
      if (!profile.retainedInitrdSysfs) return;
      // /sys/firmware/initrd keeps the image for user space
      const fw = this.system.kernel.types.get("sysfs")!(undefined, undefined) as MemFs;
      const dir = fw.lookup(fw.root, new TextEncoder().encode("firmware")) ||
        fw.add(fw.root, "firmware", "d", 0o755);
      fw.add(dir, "initrd", "f", 0o440, { size });
    } else {
      this.log(6, `Freeing initrd memory: ${Math.ceil(size / PAGE_SIZE) * 4}K`);
    }
  }

  /** The superblock the unpacker writes into: the one the cwd is on. */
  target(): Superblock {
    const fs = this.task.fs.pwd.mnt.fs;
    if (!(fs instanceof CoreFs)) throw new Error("the unpack target is not a tmpfs or ramfs");
    return fs.sb;
  }

  try(f: () => void): number {
    try {
      f();
      return 0;
    } catch (e) {
      return code(e);
    }
  }

  /**
   * The second mount on `/root` (`mount_user_root()`, later
   * `prepare_mount_rootfs()`): tmpfs unless `root=` is given or
   * `rootfstype=` names no tmpfs (the rule before v6.8), without `ro`,
   * with `rootflags=`; then chdir into it.
   */
  mountUserRoot(panicText: string): void {
    const p = this.params;
    const tmpfs = p.root === "" && (p.rootfstype === undefined || p.rootfstype.includes("tmpfs"));
    const type = tmpfs ? "tmpfs" : "ramfs";
    // the seed passes no device name; v4 and later name the type
    const source = this.design === "user-root" ? undefined : type;
    const flags = MS.SILENT;
    const r = this.try(() => this.task.mount(source, "/root", type, flags, p.rootflags));
    if (r !== 0) throw new Panic(panicText);
    this.task.chdir("/root");
    const fs = this.task.fs.pwd.mnt.fs as CoreFs;
    this.userRoot = fs;
    this.log(6, `VFS: Mounted root (${type} filesystem) on device ${fs.dev}.`);
  }

  /** ramdisk_exec_exist(): the init program, absolute or relative to the cwd. */
  execExists(absolute: boolean): boolean {
    if (this.options.probe) return true;
    let cmd = this.params.rdinit ?? "/init";
    if (!absolute) cmd = cmd.replace(/^[/.]+/, "");
    return this.eaccess(cmd) === 0;
  }

  /** end_mount_user_root() of the 2021-05-22 series. */
  endUserRoot(succeed: boolean): void {
    const t = this.task;
    if (succeed && this.execExists(false)) {
      this.try(() => t.mount(".", "/", undefined, MS.MOVE));
      this.try(() => t.chroot("."));
      return;
    }
    this.try(() => t.chdir("/"));
    const r = this.try(() => t.umount2("/..", 0));
    if (r !== 0) this.failed.push(`umount("/..", 0) = ${r}`);
  }

  /** finish_mount_rootfs() / revert_mount_rootfs() of v6 and v7. */
  finishV6(succeed: boolean): void {
    const t = this.task;
    if (succeed) {
      this.try(() => t.mount(".", "/", undefined, MS.MOVE));
      if (this.execExists(false)) {
        this.try(() => t.chroot("."));
        return;
      }
    }
    this.try(() => t.chdir("/"));
    const r = this.try(() => t.umount2(".", MNT.DETACH));
    if (r !== 0) this.failed.push(`umount(".", MNT_DETACH) = ${r}`);
  }

  async writeInitrdImage(images: UnpackSource[]): Promise<void> {
    const parts: Uint8Array[] = [];
    for (const img of images) parts.push(await bytesOf(img));
    const data = concat(parts);
    const n = data.length;
    // absolute: the process root (rootfs, or a user root after its chroot)
    const root = this.task.fs.root;
    if (root.mnt.fs instanceof CoreFs && root.dentry === root.mnt.fs.root) {
      const written = root.mnt.fs.sb.writeFile("/initrd.image", data, 0o700);
      if (written !== n) this.log(3, `/initrd.image: incomplete write (${written} != ${n})`);
    }
  }

  // ------------------------------------------------------------ kernel_init_freeable

  /** console_on_rootfs(): open /dev/console read-write as fds 0, 1, 2. */
  openConsole(): void {
    try {
      const st = this.stat("/dev/console");
      if (st.type === "d") throw new FsError("EISDIR", { syscall: "open" });
      this.console = true;
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
      this.log(3, this.profile.consoleWarning);
    }
  }

  stat(path: string): ReturnType<Filesystem["stat"]> {
    const p = this.task.resolve(path, true);
    return p.mnt.fs.stat(p.dentry);
  }

  /** init_eaccess(): 0 when the path exists (following symlinks), else -errno. */
  eaccess(path: string): number {
    return this.try(() => this.stat(path));
  }

  /** prepare_namespace(): mount the real root on /root and make it the root. */
  prepareNamespace(): void {
    const p = this.params;
    const t = this.task;
    let devNo: [number, number] = [0, 0];
    let name = "";
    if (p.root !== "") {
      name = p.root.startsWith("/dev/") ? p.root.slice(5) : p.root;
      const dev = this.options.rootDevice;
      if (dev !== undefined && dev.name === p.root) {
        devNo = deviceNumber(p.root) ?? [8, 1];
      } else {
        devNo = [0, 0];
      }
    }
    // the ram disk of an old-style initrd: identified, then removed
    if (this.eaccess("/initrd.image") === 0) {
      if (!p.noinitrd) this.identifyRamdisk();
      this.try(() => t.unlink("/initrd.image"));
    }
    // create_dev("/dev/root", ROOT_DEV): the node every type is tried on
    this.try(() => t.unlink("/dev/root"));
    const created = this.try(() => t.touch("/dev/root", 0o600));
    if (created !== 0) this.log(0, `Failed to create /dev/root: ${created}`);
    const block = `unknown-block(${devNo[0]},${devNo[1]})`;
    const style = this.profile.mountRootStyle;
    const pretty = style === "6.1" ? (p.root === "" ? "(null)" : name) : p.root;
    const dev = this.options.rootDevice;
    const present = dev !== undefined && !(devNo[0] === 0 && devNo[1] === 0);
    if (present) {
      if (dev.fs.dev === "0:0") dev.fs.dev = `${devNo[0]}:${devNo[1]}`;
      this.system.setDevice("/dev/root", dev.fs);
    }
    const builtin = this.profile.blockFilesystems;
    const types = p.rootfstype !== undefined
      ? p.rootfstype.split(",").filter((s) => s !== "")
      : [...builtin];
    let flags = (p.readonly ? MS.RDONLY : 0) | MS.SILENT;
    let mounted = false;
    for (let pass = 0; pass < 2 && !mounted; pass++) {
      for (const type of types) {
        // a type that is not built in cannot load (no modules yet); no
        // device, or no /dev/root node, cannot be opened
        const r = !builtin.includes(type) || !present
          ? -19
          : created !== 0
          ? -2
          : this.try(() => t.mount("/dev/root", "/root", type, flags, p.rootflags));
        if (r === 0) {
          mounted = true;
          break;
        }
        // a wrong type answers EINVAL (or EACCES): the next one is tried
        if (r === -22 || r === -13) continue;
        this.log(4, `VFS: Cannot open root device "${pretty}" or ${block}: error ${r}`);
        this.log(
          4,
          'Please append a correct "root=" boot option; here are the available partitions:',
        );
        throw new Panic(`VFS: Unable to mount root fs on ${block}`);
      }
      // everything failed read-write: once more read-only
      if (flags & MS.RDONLY) break;
      flags |= MS.RDONLY;
    }
    if (!mounted) {
      this.log(4, "List of all partitions:");
      this.log(4, `No filesystem could mount root, tried: ${types.map((x) => ` ${x}`).join("")}`);
      this.log(4, ""); // the list ends with a printk("\n") of its own
      throw new Panic(
        style === "6.1"
          ? `VFS: Unable to mount root fs on ${block}`
          : `VFS: Unable to mount root fs on "${pretty}" or ${block}`,
      );
    }
    t.chdir("/root");
    const fs = dev!.fs;
    this.realRoot = fs;
    this.log(
      6,
      `VFS: Mounted root (${fs.fstype} filesystem)${p.readonly ? " readonly" : ""} on device ${
        devNo[0]
      }:${devNo[1]}.`,
    );
    if (this.profile.devtmpfsMount) {
      const r = this.try(() => t.mount("devtmpfs", "dev", "devtmpfs", 0));
      this.log(6, r === 0 ? "devtmpfs: mounted" : `devtmpfs: error mounting ${r}`);
    }
    if (this.profile.nullfsRoot) {
      if (this.try(() => t.pivotRoot(".", ".")) !== 0) {
        this.log(3, "VFS: Failed to pivot into new rootfs");
        return;
      }
      if (this.try(() => t.umount2(".", MNT.DETACH)) !== 0) {
        this.log(3, "VFS: Failed to unmount old rootfs");
        return;
      }
      this.log(6, "VFS: Pivoted into new rootfs");
      return;
    }
    this.try(() => t.mount(".", "/", undefined, MS.MOVE));
    this.try(() => t.chroot("."));
  }

  identifyRamdisk(): void {
    const root = this.task.fs.root;
    if (!(root.mnt.fs instanceof CoreFs)) return;
    const data = root.mnt.fs.sb.readFile("/initrd.image");
    const ext2 = data.length >= 1082 && data[1080] === 0x53 && data[1081] === 0xef;
    this.log(
      5,
      ext2
        ? "RAMDISK: ext2 filesystem found at block 0"
        : "RAMDISK: Couldn't find valid RAM disk image starting at 0.",
    );
  }

  /** kernel_init(): the first program that executes becomes PID 1. */
  runInit(ramdisk: string | null): InitExec {
    const p = this.params;
    const envp = p.envp;
    const attempt = (path: string): number => {
      // init/main.c is built with DEBUG: the argument lists go to the log
      this.log(6, `Run ${path} as init process`);
      this.log(7, "  with arguments:");
      for (const a of [path, ...p.argv.slice(1)]) this.log(7, `    ${a}`);
      this.log(7, "  with environment:");
      for (const e of envp) this.log(7, `    ${e}`);
      return this.options.probe && path === ramdisk ? 0 : this.execCheck(path);
    };
    if (ramdisk !== null) {
      const r = attempt(ramdisk);
      if (r === 0) {
        return { path: ramdisk, argv: [ramdisk, ...p.argv.slice(1)], envp, from: "rdinit" };
      }
      this.log(3, `Failed to execute ${ramdisk} (error ${r})`);
    }
    if (p.init !== undefined) {
      const r = attempt(p.init);
      if (r === 0) return { path: p.init, argv: [p.init, ...p.argv.slice(1)], envp, from: "init" };
      throw new Panic(`Requested init ${p.init} failed (error ${r}).`);
    }
    for (const path of ["/sbin/init", "/etc/init", "/bin/init", "/bin/sh"]) {
      const r = attempt(path);
      if (r === 0) return { path, argv: [path, ...p.argv.slice(1)], envp, from: "default" };
      if (r !== -2) {
        this.log(3, `Starting init: ${path} exists but couldn't execute it (error ${r})`);
      }
    }
    throw new Panic(
      "No working init found.  Try passing init= option to kernel. See Linux Documentation/admin-guide/init.rst for guidance.",
    );
  }

  /** What execve() would answer: 0, or -errno. */
  execCheck(path: string, depth = 0): number {
    let where: Path;
    try {
      where = this.task.resolve(path, true);
    } catch (e) {
      return code(e);
    }
    const st = where.mnt.fs.stat(where.dentry);
    if (st.type !== "f" || (st.mode & 0o111) === 0) return -13;
    if (where.mnt.flags & MF.NOEXEC) return -13;
    const fs = where.mnt.fs;
    if (!(fs instanceof CoreFs)) return 0; // a disk keeps sizes only: taken as a program
    const file = fs.sb.readFile(dentryPath(fs, where.dentry));
    const head = file.subarray(0, 256);
    if (head[0] === 0x23 && head[1] === 0x21) {
      if (depth >= 4) return -40;
      const line = new TextDecoder("latin1").decode(head.subarray(2)).split("\n")[0]!;
      const interp = line.trim().split(/[ \t]/)[0] ?? "";
      if (interp === "") return -8;
      return this.execCheck(interp, depth + 1);
    }
    if (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) {
      const interp = elfInterpreter(file);
      if (interp === null) return 0;
      try {
        const ip = this.task.resolve(interp, true);
        return ip.mnt.fs.stat(ip.dentry).type === "f" ? 0 : -13;
      } catch (e) {
        return code(e);
      }
    }
    return -8;
  }
}

function ramfsMode(data: string | undefined): { mode?: number } {
  for (const w of (data ?? "").split(",")) {
    if (w.startsWith("mode=") && /^[0-7]+$/.test(w.slice(5))) {
      return { mode: parseInt(w.slice(5), 8) & 0o7777 };
    }
  }
  return {};
}

/** PT_INTERP of a 64-bit little-endian ELF file, or null. */
function elfInterpreter(b: Uint8Array): string | null {
  if (b.length < 64 || b[4] !== 2 || b[5] !== 1) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const phoff = Number(v.getBigUint64(32, true));
  const phentsize = v.getUint16(54, true);
  const phnum = v.getUint16(56, true);
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (o + 56 > b.length) return null;
    if (v.getUint32(o, true) !== 3) continue;
    const off = Number(v.getBigUint64(o + 8, true));
    const size = Number(v.getBigUint64(o + 32, true));
    if (off + size > b.length) return null;
    let end = off;
    while (end < off + size && b[end] !== 0) end++;
    return new TextDecoder("latin1").decode(b.subarray(off, end));
  }
  return null;
}

/**
 * A root device from a cpio image (unpacked into a ramfs as the kernel's
 * unpacker would) or a host directory (copied), shown as `fstype`.
 */
export async function rootDeviceFrom(
  name: string,
  source: { image: UnpackSource } | { directory: string },
  fstype = "ext4",
): Promise<RootDevice> {
  const sb = new Ramfs({ now: 0 });
  if ("image" in source) {
    const r = await unpackOutcome(sb, source.image, { now: 0 });
    if (r.error) throw r.error;
  } else {
    await copyDirectory(sb, source.directory, "/");
  }
  const magic = (MAGIC as Record<string, number>)[fstype];
  const fs = CoreFs.of(sb, { fstype, ...(magic !== undefined ? { magic } : {}) });
  return { name, fs };
}

async function copyDirectory(sb: Superblock, from: string, to: string): Promise<void> {
  for await (const e of Deno.readDir(from)) {
    const src = `${from}/${e.name}`;
    const dst = to === "/" ? `/${e.name}` : `${to}/${e.name}`;
    const st = await Deno.lstat(src);
    const mode = (st.mode ?? 0o644) & 0o7777;
    if (e.isSymlink) sb.symlink(await Deno.readLink(src), dst);
    else if (e.isDirectory) {
      sb.mkdir(dst, mode);
      await copyDirectory(sb, src, dst);
    } else if (e.isFile) sb.writeFile(dst, await Deno.readFile(src), mode);
  }
}
