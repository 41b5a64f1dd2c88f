// Kernel profiles: everything in the unpack and the early boot that changed
// between kernel versions, in one named record each (spec: cpio.md §11,
// boot.md §2). Nothing else in ramroot branches on a kernel version.

/** Names of the built-in profiles. */
export type ProfileName = "linux-6.1" | "linux-6.12" | "linux-6.18" | "linux-7.0";

/** How the kernel version orders and answers the mount checks that changed. */
export interface MountBehaviour {
  /**
   * `"6.x"`: a target (or put_old) whose mount is in another namespace gets
   * EINVAL from the later namespace check, propagation changes of another
   * namespace's mounts are allowed, unshare keeps `unbindable`.
   * `"newest"`: locking such a target fails first with ENOENT, propagation
   * changes there are EINVAL, unshare drops `unbindable` on the copies.
   */
  order: "6.x" | "newest";
  /** The boot root (rootfs) is `MNT_LOCKED` (seen on 6.1). */
  rootfsLocked: boolean;
  /**
   * Inode number of the initial network namespace's nsfs file: allocated
   * like any other on 6.1 and 6.12 (the first, 0xf0000000), fixed on 6.18.
   */
  initNetNsInode: number;
}

/** Compression methods the kernel's decompress_method() knows. */
export type Compression = "gzip" | "bzip2" | "lzma" | "xz" | "lzo" | "lz4" | "zstd";

/** A kernel's behaviour, as ramroot models it. */
export interface KernelProfile {
  /** Profile name. */
  readonly name: ProfileName;
  /** `070702` archives with data checksums are accepted (v6.0+). */
  readonly crc: boolean;
  /** Names must be NUL-terminated within namesize, else `malformed archive` (v6.14+). */
  readonly nameNulCheck: boolean;
  /** Header fields parsed with hex2bin: a non-hex character is `damaged header` (vfs 2026). */
  readonly strictHex: boolean;
  /** The hard-link table is freed at the end of every unpack call, trailer or not (v6.14+). */
  readonly freeLinksPerUnpack: boolean;
  /** CONFIG_INITRAMFS_PRESERVE_MTIME. */
  readonly preserveMtime: boolean;
  /** Compression methods configured in the kernel. */
  readonly compressions: readonly Compression[];
  /** Message for a known but unconfigured method: the v6.14+ wording or the older one. */
  readonly unconfiguredMessage: "decompressor failed" | "compression method %s not configured";
  /** CONFIG_BLK_DEV_RAM: `y` writes /initrd.image on failure, `m` only logs, `n` logs "Unpacking initramfs...". */
  readonly blkDevRam: "y" | "m" | "n";
  /** rootfs type rule: "6.8" (root= alone no longer forces ramfs when rootfstype= says tmpfs) or "old". */
  readonly rootfsRule: "6.8" | "old";
  /** The built-in initramfs: gen_init_cpio list (the kernel's usr/default_cpio_list). */
  readonly builtinList: string;
  /** Build time of the kernel (mtime of the built-in entries) in seconds. */
  readonly buildTime: number;
  /** RAM of the modelled machine in 4 KiB pages (rootfs tmpfs default size = half). */
  readonly totalRamPages: number;
  /** The BCJ filters lib/xz is built with (CONFIG_XZ_DEC_*); others are "not supported". */
  readonly xzBcjFilters: readonly ("x86" | "arm64" | "riscv")[];
  /** How the mount system calls order the checks that changed (src/vfs/mount.ts). */
  readonly mounts: MountBehaviour;
  /**
   * RAM in pages once the kernel has freed its init memory: the later tmpfs
   * defaults (`size=50%`, `nr_inodes`) and `size=N%` use it, while rootfs was
   * sized with {@linkcode KernelProfile.totalRamPages} early in boot (which is
   * why rootfs shows its size and other tmpfs mounts do not). Measured on the
   * oracle's 1 GiB guest: 245936 with 6.1, 247696 with 6.12.
   */
  readonly ramPagesAfterBoot: number;
  /** tmpfs prints `inode64` (`CONFIG_TMPFS_INODE64`, on in Debian's kernels). */
  readonly tmpfsInode64: boolean;
  /** The namespace root is nullfs with rootfs mounted on it (Linux 7.0+). */
  readonly nullfsRoot: boolean;
  /** `initramfs_options=` sets the rootfs mount options (v6.17, and 6.1.y, 6.12.y); older kernels pass it to init. */
  readonly initramfsOptions: boolean;
  /** A failed access check of an explicit `rdinit=` is logged (`check access for rdinit=...`). */
  readonly rdinitAccessMessage: boolean;
  /** The warning when `/dev/console` cannot be opened. */
  readonly consoleWarning: string;
  /** CONFIG_DEVTMPFS_MOUNT: `prepare_namespace` mounts devtmpfs on the new root's `dev`. */
  readonly devtmpfsMount: boolean;
  /**
   * Block filesystem types built into the kernel, in registration order: what
   * `prepare_namespace` tries without `rootfstype=` (modules cannot load then).
   */
  readonly blockFilesystems: readonly string[];
  /**
   * `mount_root` before the 6.6 rework (`"6.1"`: the device name without
   * `/dev/`, panic `...on unknown-block(M,m)`) or after it (`"6.6"`: the
   * name as given, panic `...on "NAME" or unknown-block(M,m)`).
   */
  readonly mountRootStyle: "6.1" | "6.6";
  /** `retain_initrd` exposes the image as `/sys/firmware/initrd` (0440; v6.9+). */
  readonly retainedInitrdSysfs: boolean;
}

/** The kernel's usr/default_cpio_list. */
export const DEFAULT_CPIO_LIST = `# This is a very simple, default initramfs

dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /root 0700 0 0
`;

const ALL: readonly Compression[] = ["gzip", "bzip2", "lzma", "xz", "lzo", "lz4", "zstd"];

/** Debian 12's kernel (6.1.0-56-amd64), the one the kernel oracle boots. */
const LINUX_6_1: KernelProfile = {
  name: "linux-6.1",
  crc: true,
  // the NUL-termination checks of v6.14 were backported to 6.1.y: Debian's
  // 6.1.0-56 logs "initramfs name without nulterm" and stops (observed)
  nameNulCheck: true,
  strictHex: false,
  freeLinksPerUnpack: false,
  preserveMtime: true,
  compressions: ALL,
  unconfiguredMessage: "compression method %s not configured",
  // Debian builds brd as a module: IS_ENABLED() is true ("Trying to unpack
  // rootfs image as initramfs...") but #ifdef CONFIG_BLK_DEV_RAM is false,
  // so a failure is logged as "Initramfs unpacking failed: ..." (observed).
  blkDevRam: "m",
  rootfsRule: "6.8", // the rootfstype fix was backported to 6.1.y
  builtinList: DEFAULT_CPIO_LIST,
  buildTime: 1794824260,
  totalRamPages: 243222,
  // Debian amd64: CONFIG_XZ_DEC_X86 (the ARM64 and RISC-V filters came later)
  xzBcjFilters: ["x86"],
  ramPagesAfterBoot: 245936,
  mounts: { order: "6.x", rootfsLocked: true, initNetNsInode: 0xf0000000 },
  tmpfsInode64: true,
  nullfsRoot: false,
  // backported to 6.1.y: initramfs_options=size=10m gives rootfs size=10240k (observed)
  initramfsOptions: true,
  // rdinit=/nonexistent: prepare_namespace runs without a word about it (observed)
  rdinitAccessMessage: false,
  consoleWarning: "Warning: unable to open an initial console.",
  // Debian: CONFIG_DEVTMPFS=y, CONFIG_DEVTMPFS_MOUNT is not set
  devtmpfsMount: false,
  // every block filesystem is a module: "No filesystem could mount root, tried: " (observed)
  blockFilesystems: [],
  mountRootStyle: "6.1",
  // retain_initrd keeps the image but shows it nowhere (observed)
  retainedInitrdSysfs: false,
};

/**
 * Debian 12's linux-image-6.12-amd64 (6.12.117+deb12-amd64). Every kernel
 * case (tests/kernel/golden-6.12/) unpacked exactly as on 6.1: the same
 * trees and the same unpack messages, so the unpacker fields are 6.1's.
 */
const LINUX_6_12: KernelProfile = {
  ...LINUX_6_1,
  name: "linux-6.12",
  // mtime of the built-in /dev, /dev/console and /root (observed)
  buildTime: 1794660961,
  // rootfs size=490536k with 1 GiB of guest RAM (observed): 245268 / 2 pages
  totalRamPages: 245268,
  ramPagesAfterBoot: 247696,
  // Debian amd64 6.12 builds every BCJ filter lib/xz has on x86
  xzBcjFilters: ["x86", "arm64", "riscv"],
  // CONFIG_FUSE_FS=y registers fuseblk; no device: "error -19" (observed)
  blockFilesystems: ["fuseblk"],
  mountRootStyle: "6.6",
  retainedInitrdSysfs: true,
};

/**
 * Linux 7.0 as far as the unpacker goes: name NUL checks, per-call link table,
 * `decompressor failed`, strict hex. The nullfs boot root belongs to the boot
 * model (a later part of ramroot).
 */
/**
 * The 6.18 kernel the host mount answers were recorded on: mount checks in
 * the newest order, tmpfs without `inode64`, and that machine's RAM
 * (`size=1%` and the default `nr_inodes` depend on it).
 */
const LINUX_6_18: KernelProfile = {
  ...LINUX_6_12,
  name: "linux-6.18",
  totalRamPages: 6171024,
  ramPagesAfterBoot: 6171024,
  mounts: { order: "newest", rootfsLocked: true, initNetNsInode: 0xeffffff9 },
  tmpfsInode64: false,
  initramfsOptions: true,
};

const LINUX_7_0: KernelProfile = {
  ...LINUX_6_1,
  name: "linux-7.0",
  nameNulCheck: true,
  strictHex: true,
  freeLinksPerUnpack: true,
  unconfiguredMessage: "decompressor failed",
  xzBcjFilters: ["x86", "arm64", "riscv"],
  mounts: { order: "newest", rootfsLocked: false, initNetNsInode: 0xeffffff9 },
  nullfsRoot: true,
  initramfsOptions: true,
  rdinitAccessMessage: true,
  // the newest console_on_rootfs() says what to check (spec boot.md §3 step 6)
  consoleWarning:
    "Warning: unable to open an initial console. You likely supplied your own internal initramfs, make sure /dev/console is there.",
  // a kernel with its disk filesystems built in (no distribution's config)
  blockFilesystems: ["ext4", "ext3", "ext2", "vfat", "iso9660", "squashfs", "xfs", "btrfs"],
  mountRootStyle: "6.6",
  retainedInitrdSysfs: true,
};

/** The built-in profiles by name. */
export const PROFILES: Readonly<Record<ProfileName, KernelProfile>> = {
  "linux-6.1": LINUX_6_1,
  "linux-6.12": LINUX_6_12,
  "linux-6.18": LINUX_6_18,
  "linux-7.0": LINUX_7_0,
};

/**
 * Looks up a profile by name (or returns the profile given).
 * @throws {RangeError} for an unknown name
 */
export function getProfile(profile: ProfileName | KernelProfile = "linux-6.1"): KernelProfile {
  if (typeof profile !== "string") return profile;
  const p = PROFILES[profile];
  if (!p) {
    throw new RangeError(
      `Unknown kernel profile "${profile}": expected one of ${Object.keys(PROFILES).join(", ")}`,
    );
  }
  return p;
}

/** The unpacker flags the WebAssembly core takes. */
export function profileFlags(p: KernelProfile): number {
  return (p.crc ? 1 : 0) | (p.nameNulCheck ? 2 : 0) | (p.strictHex ? 4 : 0) |
    (p.freeLinksPerUnpack ? 8 : 0) | (p.preserveMtime ? 16 : 0);
}

/** Whether the rootfs is a tmpfs for this command line (boot.md §2). */
export function rootfsIsTmpfs(p: KernelProfile, cmdline: string): boolean {
  const words = cmdline.split(/\s+/).filter((w) => w !== "");
  let root = "";
  let fstype: string | undefined;
  for (const w of words) {
    if (w.startsWith("root=")) root = w.slice(5);
    else if (w.startsWith("rootfstype=")) fstype = w.slice(11);
  }
  if (p.rootfsRule === "6.8") {
    return (root === "" && fstype === undefined) ||
      (fstype !== undefined && fstype.includes("tmpfs"));
  }
  return root === "" && (fstype === undefined || fstype.includes("tmpfs"));
}
