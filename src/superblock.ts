// Tmpfs and Ramfs: one superblock each, kept in the linear memory of a
// WebAssembly instance. Models mm/shmem.c (tmpfs: size=, nr_inodes=, mode=,
// uid=, gid=, 4 KiB page accounting, BOGO_DIRENT_SIZE directory sizes) and
// fs/ramfs/inode.c (no limits, directory size 0, root mode 0755).

import { D, DF, I } from "./_layout.ts";
import { type Errno, errnoName, FsError } from "./errors.ts";
import { Core } from "./wasm_core.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Bytes reserved at the end of the input buffer for path arguments. */
export const PATH_AREA = 16384;

/** One tmpfs superblock can hold at most this many bytes of file data. */
export const MAX_SUPERBLOCK_BYTES = 3.5 * 1024 ** 3;

/** Bytes of one write() call of {@linkcode Superblock.dWrite}. */
const WRITE_CHUNK = 65536;

/** Longest symlink target plus its NUL (PATH_MAX). */
const PATH_MAX = 4096;

/** Page size used for tmpfs accounting. */
export const PAGE_SIZE = 4096;

/** Memory of the model machine used for `%` sizes and tmpfs defaults. */
export const DEFAULT_TOTALRAM_PAGES = 243222; // a 1 GiB x86-64 guest (rootfs size=486444k)

/** File types as the manifest writes them. */
export type FileType = "f" | "d" | "l" | "c" | "b" | "p" | "s";

/** What stat(2) reports for an inode. */
export interface Stat {
  /** Inode number (run-specific). */
  ino: number;
  /** Full `st_mode`: type bits and permission bits. */
  mode: number;
  /** The type as one letter. */
  type: FileType;
  /** Link count (directories: 2 + subdirectories). */
  nlink: number;
  /** Owner. */
  uid: number;
  /** Group. */
  gid: number;
  /** `st_size` (tmpfs directories: 20 × (2 + entries); ramfs directories: 0). */
  size: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
  /** Device number of a character or block device, else `null`. */
  rdev: { major: number; minor: number } | null;
  /** 4 KiB pages charged to this inode. */
  blocks: number;
}

/** One directory entry. */
export interface DirEntry {
  /** The name (lossy UTF-8 decoding of `nameBytes`). */
  name: string;
  /** The name as stored. */
  nameBytes: Uint8Array;
  /** The entry's type. */
  type: FileType;
}

/** One entry seen by {@linkcode Superblock.walk}. */
export interface WalkEntry {
  /** Absolute path (lossy UTF-8 decoding of `pathBytes`). */
  path: string;
  /** Absolute path as bytes. */
  pathBytes: Uint8Array;
  /** Its stat (not following a final symlink). */
  stat: Stat;
}

/** Space and inode use, as statfs(2) reports it. */
export interface StatFs {
  /** Page limit (0: unlimited). */
  blocks: number;
  /** Pages in use. */
  usedBlocks: number;
  /** Inode limit (0: unlimited). */
  files: number;
  /** Inodes in use (hard links count on tmpfs). */
  usedFiles: number;
}

/** Options of a new tmpfs, named as the mount options. */
export interface TmpfsOptions {
  /**
   * Size limit: bytes, with an optional k/m/g/t suffix, or a percentage of
   * RAM (`"50%"`); `0` means unlimited.
   * @default {"50%"}
   */
  size?: number | string;
  /**
   * Inode limit (hard links are charged too); `0` means unlimited.
   * @default {half of the RAM pages}
   */
  nr_inodes?: number | string;
  /**
   * Permission bits of the root directory (octal string or number).
   * @default {0o1777}
   */
  mode?: number | string;
  /** Owner of the root directory. @default {0} */
  uid?: number;
  /** Group of the root directory. @default {0} */
  gid?: number;
  /** "Now" in seconds, for everything the kernel stamps with the current time. @default {Date.now()/1000} */
  now?: number;
  /** RAM of the modelled machine in 4 KiB pages, for `%` sizes and defaults. @default {243222} */
  totalRamPages?: number;
}

/** Options of a new ramfs. */
export interface RamfsOptions {
  /** Permission bits of the root directory. @default {0o755} */
  mode?: number | string;
  /** "Now" in seconds. @default {Date.now()/1000} */
  now?: number;
}

const TYPE_OF: Record<number, FileType> = {
  0o140000: "s",
  0o120000: "l",
  0o100000: "f",
  0o060000: "b",
  0o040000: "d",
  0o020000: "c",
  0o010000: "p",
};

/** The letter for a mode's type bits (`"f"` for an unknown type). */
export function typeOf(mode: number): FileType {
  return TYPE_OF[mode & 0o170000] ?? "f";
}

/** Path argument: a string (UTF-8) or raw bytes. */
export type PathLike = string | Uint8Array;

function toBytes(p: PathLike): Uint8Array {
  return typeof p === "string" ? enc.encode(p) : p;
}

/** Parses a memparse() number: digits with an optional k/m/g/t/p/e suffix. */
export function memparse(text: string): number {
  const m = /^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)([kmgtpe]?)$/i.exec(text);
  if (!m) throw new RangeError(`Cannot parse size "${text}"`);
  const digits = m[1]!;
  const base = digits.startsWith("0x") || digits.startsWith("0X")
    ? parseInt(digits.slice(2), 16)
    : digits.length > 1 && digits.startsWith("0")
    ? parseInt(digits, 8)
    : parseInt(digits, 10);
  const shift = " kmgtpe".indexOf((m[2] || " ").toLowerCase()) * 10;
  return base * 2 ** shift;
}

function parseMode(mode: number | string): number {
  const m = typeof mode === "number" ? mode : parseInt(mode, 8);
  if (!Number.isInteger(m) || m < 0) throw new RangeError(`Invalid mode "${mode}"`);
  return m & 0o7777;
}

/** Internal access to a superblock's core. */
export function coreOf(sb: Superblock): Core {
  return (sb as unknown as { _core: Core })._core;
}

/**
 * A filesystem instance in WebAssembly memory. Read-side methods take paths
 * from its root (`/`), follow intermediate symlinks and `..` as the kernel
 * does, and throw {@linkcode FsError}.
 */
export abstract class Superblock {
  /** `"tmpfs"` or `"ramfs"`. */
  abstract readonly fstype: "tmpfs" | "ramfs";
  /** The mount options string as /proc/mounts shows it. */
  abstract readonly options: string;
  /** @internal */
  readonly _core: Core;
  #maxBlocks: number;
  #maxInodes: number;

  /** @internal */
  constructor(
    kind: 0 | 1,
    maxBlocks: number,
    maxInodes: number,
    rootMode: number,
    uid: number,
    gid: number,
    now: number,
  ) {
    this._core = new Core();
    this.#maxBlocks = maxBlocks;
    this.#maxInodes = maxInodes;
    const r = this._core.x.init(
      kind,
      BigInt(maxBlocks),
      BigInt(maxInodes),
      rootMode,
      uid >>> 0,
      gid >>> 0,
      BigInt(Math.floor(now)),
      0,
    );
    if (r !== 0) {
      throw new FsError(errnoName(r), { syscall: "mount", reason: "cannot set up the superblock" });
    }
    this._core.attach();
  }

  /** Page limit (0 = unlimited). */
  get maxBlocks(): number {
    return this.#maxBlocks;
  }

  /** Inode limit (0 = unlimited). */
  get maxInodes(): number {
    return this.#maxInodes;
  }

  /**
   * Replaces the limits (what a remount with `size=` and `nr_inodes=` does);
   * the caller validates them. Pages and inodes already in use stay.
   */
  setLimits(maxBlocks: number, maxInodes: number): void {
    this._core.x.setLimits(BigInt(maxBlocks), BigInt(maxInodes));
    this.#maxBlocks = maxBlocks;
    this.#maxInodes = maxInodes;
  }

  /** Sets "now" (seconds) for later changes. */
  setTime(now: number): void {
    this._core.x.setNow(BigInt(Math.floor(now)));
  }

  #path(p: PathLike): [number, number] {
    const bytes = toBytes(p);
    if (bytes.length > PATH_AREA) {
      throw new FsError("ENAMETOOLONG", { syscall: "lookup", path: String(p) });
    }
    const at = this._core.input + this._core.inputSize - PATH_AREA;
    this._core.u8.set(bytes, at);
    return [at, bytes.length];
  }

  #path2(a: PathLike, b: PathLike): [number, number, number, number] {
    const ab = toBytes(a);
    const bb = toBytes(b);
    if (ab.length + bb.length > PATH_AREA) {
      throw new FsError("ENAMETOOLONG", { syscall: "lookup", path: String(b) });
    }
    const at = this._core.input + this._core.inputSize - PATH_AREA;
    this._core.u8.set(ab, at);
    this._core.u8.set(bb, at + ab.length);
    return [at, ab.length, at + ab.length, bb.length];
  }

  #check(r: number, syscall: string, path: PathLike): void {
    if (r === 0) return;
    if (r === 1000) {
      throw new FsError("EXDEV", {
        syscall,
        path: String(path),
        reason: "the path crosses a mount",
      });
    }
    throw new FsError(errnoName(r), { syscall, path: String(path) });
  }

  #lookup(p: PathLike, follow: boolean, syscall: string): number {
    const [at, len] = this.#path(p);
    this.#check(this._core.x.walk(at, len, follow ? 1 : 0), syscall, p);
    return this._core.x.walkChild();
  }

  /** @internal The stat of an inode record. */
  _statInode(i: number): Stat {
    const c = this._core;
    const mode = c.u32(i + I.MODE);
    const type = typeOf(mode);
    return {
      ino: c.u32(i + I.INO),
      mode,
      type,
      nlink: c.u32(i + I.NLINK),
      uid: c.u32(i + I.UID),
      gid: c.u32(i + I.GID),
      size: c.u64(i + I.SIZE),
      mtime: c.i64(i + I.MTIME),
      rdev: type === "c" || type === "b"
        ? { major: c.u32(i + I.RMAJOR), minor: c.u32(i + I.RMINOR) }
        : null,
      blocks: c.u32(i + I.BLOCKS),
    };
  }

  /**
   * stat(2): follows symlinks.
   * @throws {FsError} ENOENT, ENOTDIR, ELOOP as the kernel's path walk gives them
   */
  stat(path: PathLike): Stat {
    return this._statInode(this._core.u32(this.#lookup(path, true, "stat") + D.INODE));
  }

  /** lstat(2): does not follow a final symlink. */
  lstat(path: PathLike): Stat {
    return this._statInode(this._core.u32(this.#lookup(path, false, "lstat") + D.INODE));
  }

  /** Whether something exists at `path` (not following a final symlink). */
  exists(path: PathLike): boolean {
    try {
      this.lstat(path);
      return true;
    } catch (e) {
      if (e instanceof FsError) return false;
      throw e;
    }
  }

  #nameBytes(d: number): Uint8Array {
    const c = this._core;
    const len = c.u16(d + D.NAMELEN);
    const at = (c.u16(d + D.FLAGS) & DF.EXTNAME) !== 0 ? c.u32(d + D.NAME) : d + D.NAME;
    return c.view(at, len).slice();
  }

  /** @internal Children of a directory dentry: [dentry, name bytes]. */
  *_children(d: number): Generator<[number, Uint8Array]> {
    const c = this._core;
    const i = c.u32(d + D.INODE);
    let child = c.u32(i + I.A);
    while (child !== 0) {
      yield [child, this.#nameBytes(child)];
      child = c.u32(child + D.NEXT);
    }
  }

  /**
   * Lists a directory, sorted bytewise by name.
   * @throws {FsError} ENOTDIR when `path` is not a directory
   */
  readdir(path: PathLike = "/"): DirEntry[] {
    const d = this.#lookup(path, true, "readdir");
    const i = this._core.u32(d + D.INODE);
    if (typeOf(this._core.u32(i + I.MODE)) !== "d") {
      throw new FsError("ENOTDIR", { syscall: "readdir", path: String(path) });
    }
    const out: DirEntry[] = [];
    for (const [child, nameBytes] of this._children(d)) {
      const ci = this._core.u32(child + D.INODE);
      out.push({
        name: dec.decode(nameBytes),
        nameBytes,
        type: typeOf(this._core.u32(ci + I.MODE)),
      });
    }
    return out.sort((a, b) => compareBytes(a.nameBytes, b.nameBytes));
  }

  /** @internal Content of a regular-file inode. */
  _readInode(i: number): Uint8Array {
    const c = this._core;
    const size = c.u64(i + I.SIZE);
    const out = new Uint8Array(size);
    const ptr = c.u32(i + I.A);
    const cap = c.u32(i + I.B);
    const charged = c.u32(i + I.BLOCKS);
    if ((c.u32(i + I.FFLAGS) & 1) === 0) {
      // one extent whose charged pages are a prefix; the rest reads as zeros
      const n = Math.min(size, charged * PAGE_SIZE, cap);
      if (n > 0) out.set(c.view(ptr, n));
      return out;
    }
    const pages = Math.ceil(size / PAGE_SIZE);
    for (let p = 0; p < pages && p < cap; p++) {
      const pg = c.u32(ptr + 4 * p);
      if (pg === 0) continue;
      const n = Math.min(PAGE_SIZE, size - p * PAGE_SIZE);
      out.set(c.view(pg, n), p * PAGE_SIZE);
    }
    return out;
  }

  /**
   * Reads a regular file (holes read as zeros).
   * @throws {FsError} EISDIR for a directory, EINVAL for other non-files
   */
  readFile(path: PathLike): Uint8Array {
    const d = this.#lookup(path, true, "open");
    const i = this._core.u32(d + D.INODE);
    const t = typeOf(this._core.u32(i + I.MODE));
    if (t === "d") throw new FsError("EISDIR", { syscall: "read", path: String(path) });
    if (t !== "f") throw new FsError("EINVAL", { syscall: "read", path: String(path) });
    return this._readInode(i);
  }

  /** @internal Target bytes of a symlink inode. */
  _targetOf(i: number): Uint8Array {
    return this._core.view(this._core.u32(i + I.A), this._core.u32(i + I.B)).slice();
  }

  /**
   * readlink(2).
   * @throws {FsError} EINVAL when `path` is not a symlink
   */
  readlink(path: PathLike): string {
    return dec.decode(this.readlinkBytes(path));
  }

  /** readlink(2), as bytes. */
  readlinkBytes(path: PathLike): Uint8Array {
    const d = this.#lookup(path, false, "readlink");
    const i = this._core.u32(d + D.INODE);
    if (typeOf(this._core.u32(i + I.MODE)) !== "l") {
      throw new FsError("EINVAL", { syscall: "readlink", path: String(path) });
    }
    return this._targetOf(i);
  }

  /**
   * Every path below `path` (itself included), depth first, children in
   * bytewise name order; symlinks are not followed.
   */
  *walk(path: PathLike = "/"): Generator<WalkEntry> {
    const start = this.#lookup(path, false, "walk");
    const base = toBytes(path);
    const rootPath = base.length === 0 ? enc.encode("/") : base;
    const stack: [number, Uint8Array][] = [[start, rootPath]];
    while (stack.length > 0) {
      const [d, p] = stack.pop()!;
      const i = this._core.u32(d + D.INODE);
      const stat = this._statInode(i);
      yield { path: dec.decode(p), pathBytes: p, stat };
      if (stat.type !== "d") continue;
      const kids = [...this._children(d)].sort((a, b) => compareBytes(b[1], a[1]));
      const prefix = p.length === 1 && p[0] === 0x2f ? p : concatBytes(p, SLASH);
      for (const [child, name] of kids) stack.push([child, concatBytes(prefix, name)]);
    }
  }

  /** Space and inode use. */
  statfs(): StatFs {
    return {
      blocks: this.maxBlocks,
      usedBlocks: Number(this._core.x.usedBlocks()),
      files: this.maxInodes,
      usedFiles: Number(this._core.x.usedInodes()),
    };
  }

  /** Bytes of WebAssembly memory this superblock has reserved. */
  get memoryBytes(): number {
    return this._core.x.memory.buffer.byteLength;
  }

  // ---- changes (the file operations scripts and tests use)

  /** mkdir(2); the umask 022 applies as for the kernel's init task. */
  mkdir(path: PathLike, mode = 0o755): void {
    const [at, len] = this.#path(path);
    this.#check(this._core.x.mkdir(at, len, mode), "mkdir", path);
  }

  /** mknod(2) for devices, fifos and sockets (`mode` with type bits). */
  mknod(path: PathLike, mode: number, major = 0, minor = 0): void {
    const [at, len] = this.#path(path);
    this.#check(this._core.x.mknod(at, len, mode, major, minor), "mknod", path);
  }

  /** symlink(2) (an empty target is ENOENT, as getname() gives it to user space). */
  symlink(target: PathLike, path: PathLike): void {
    if (toBytes(target).length === 0) {
      throw new FsError("ENOENT", { syscall: "symlink", path: String(path) });
    }
    const [ta, tl, pa, pl] = this.#path2(target, path);
    this.#check(this._core.x.symlink(ta, tl, pa, pl), "symlink", path);
  }

  /** link(2). */
  link(oldPath: PathLike, newPath: PathLike): void {
    const [oa, ol, na, nl] = this.#path2(oldPath, newPath);
    this.#check(this._core.x.link(oa, ol, na, nl), "link", newPath);
  }

  /** unlink(2). */
  unlink(path: PathLike): void {
    const [at, len] = this.#path(path);
    this.#check(this._core.x.unlink(at, len), "unlink", path);
  }

  /** rmdir(2). */
  rmdir(path: PathLike): void {
    const [at, len] = this.#path(path);
    this.#check(this._core.x.rmdir(at, len), "rmdir", path);
  }

  /** chmod(2). */
  chmod(path: PathLike, mode: number): void {
    const [at, len] = this.#path(path);
    this.#check(this._core.x.chmod(at, len, mode), "chmod", path);
  }

  /** chown(2) (`follow`) or lchown(2); -1 leaves an id unchanged. */
  chown(path: PathLike, uid: number, gid: number, follow = true): void {
    const [at, len] = this.#path(path);
    this.#check(this._core.x.chown(at, len, uid >>> 0, gid >>> 0, follow ? 1 : 0), "chown", path);
  }

  /** Sets the mtime (seconds) without following a final symlink. */
  utime(path: PathLike, mtime: number): void {
    const [at, len] = this.#path(path);
    this.#check(this._core.x.utime(at, len, BigInt(Math.floor(mtime))), "utimensat", path);
  }

  /**
   * open(O_WRONLY|O_CREAT|O_TRUNC) and write: returns the bytes written.
   * @throws {FsError} ENOSPC when not a byte fits (a partial write returns less)
   */
  writeFile(path: PathLike, data: Uint8Array, mode = 0o644): number {
    const [at, len] = this.#path(path);
    const c = this._core;
    this.#check(c.x.openCreate(at, len, mode, 1), "open", path);
    const i = c.x.openedInode();
    let done = 0;
    try {
      const cap = c.inputSize - PATH_AREA;
      while (done < data.length) {
        const n = c.load(data.subarray(done, done + cap));
        const w = c.x.write(i, BigInt(done), c.input, n);
        done += w;
        if (w < n) {
          if (done === 0) {
            throw new FsError(errnoName(c.x.writeErr()), { syscall: "write", path: String(path) });
          }
          break;
        }
      }
    } finally {
      c.x.closeInode(i);
    }
    return done;
  }

  // ---- dentry-level access (for a mount tree)
  //
  // A dentry handle is a number that stays valid while the entry exists, or
  // while it is referenced (dGet): a referenced dentry that is removed stays
  // readable as a dead dentry (dDead) with its inode until the last dPut.
  // A rename keeps the handle of the moved entry. Names are one component
  // (no "/", not "." or ".."); symlinks are never followed; mount flags are
  // ignored (the caller decides what a mount point allows).

  /** The dentry of the root directory. */
  get rootDentry(): number {
    return this._core.x.rootDentry();
  }

  #name(name: Uint8Array, syscall: string): [number, number] {
    const fail = (code: Errno) => new FsError(code, { syscall, path: dec.decode(name) });
    if (name.length === 0) throw fail("ENOENT");
    if (name.length > 255) throw fail("ENAMETOOLONG");
    if (
      name.includes(0x2f) || (name[0] === 0x2e && (name.length === 1 ||
        (name.length === 2 && name[1] === 0x2e)))
    ) {
      throw fail("EINVAL");
    }
    const at = this._core.input + this._core.inputSize - PATH_AREA;
    this._core.u8.set(name, at);
    return [at, name.length];
  }

  #dir(d: number, syscall: string): void {
    if (typeOf(this._core.u32(this._core.u32(d + D.INODE) + I.MODE)) !== "d") {
      throw new FsError("ENOTDIR", { syscall });
    }
  }

  // Runs `op` on one name relative to `dir`, as a raw walk from that dentry.
  #at(dir: number, name: Uint8Array, syscall: string, op: (at: number, len: number) => number) {
    const [at, len] = this.#name(name, syscall);
    const x = this._core.x;
    x.setBase(dir, 1);
    let r: number;
    try {
      r = op(at, len);
    } finally {
      x.setBase(0, 0);
    }
    if (r !== 0) throw new FsError(errnoName(r), { syscall, path: dec.decode(name) });
    return x.walkChild();
  }

  /**
   * The child `name` of directory dentry `dir`, or 0 when there is none.
   * @throws {FsError} ENOTDIR when `dir` is not a directory
   */
  dLookup(dir: number, name: Uint8Array): number {
    this.#dir(dir, "lookup");
    const [at, len] = this.#name(name, "lookup");
    return this._core.x.lookup(dir, at, len);
  }

  /** The parent dentry of `d` (the root is its own parent). */
  dParent(d: number): number {
    return this._core.u32(d + D.PARENT);
  }

  /** The name of dentry `d` (empty for the root). */
  dName(d: number): Uint8Array {
    return this.#nameBytes(d);
  }

  /** lstat(2) of dentry `d`. */
  dStat(d: number): Stat {
    return this._statInode(this._core.u32(d + D.INODE));
  }

  /**
   * The target of symlink dentry `d`.
   * @throws {FsError} EINVAL when `d` is not a symlink
   */
  dReadlink(d: number): Uint8Array {
    const i = this._core.u32(d + D.INODE);
    if (typeOf(this._core.u32(i + I.MODE)) !== "l") {
      throw new FsError("EINVAL", { syscall: "readlink" });
    }
    return this._targetOf(i);
  }

  /**
   * The entries of directory dentry `d` as [dentry, name], newest first (the
   * order of the directory's listing).
   * @throws {FsError} ENOTDIR when `d` is not a directory
   */
  dChildren(d: number): [number, Uint8Array][] {
    this.#dir(d, "getdents64");
    return [...this._children(d)];
  }

  /** Whether `d` was removed while referenced (it stays readable until the last dPut). */
  dDead(d: number): boolean {
    return this._core.x.dDead(d) !== 0;
  }

  /** Takes a reference on `d`: removing it then keeps it (dead) with its inode. */
  dGet(d: number): void {
    this._core.x.dget(d);
  }

  /**
   * Drops a reference; the last one of a dead dentry frees it and its inode
   * (when no link and no open handle is left) and drops its pin on the parent.
   * @throws {FsError} EINVAL when `d` holds no reference
   */
  dPut(d: number): void {
    const r = this._core.x.dput(d);
    if (r !== 0) throw new FsError(errnoName(r), { syscall: "dput" });
  }

  /**
   * mkdir(2) of `name` in `dir` (umask 022); returns the new dentry.
   * @throws {FsError} EEXIST, ENOSPC, ENOENT (dead `dir`), ENOTDIR
   */
  dMkdir(dir: number, name: Uint8Array, mode: number): number {
    return this.#at(dir, name, "mkdir", (at, len) => this._core.x.mkdir(at, len, mode));
  }

  /**
   * Creates the regular file `name` in `dir` (umask 022); returns its dentry.
   * @throws {FsError} EEXIST when the name exists, ENOSPC, ENOENT, ENOTDIR
   */
  dCreate(dir: number, name: Uint8Array, mode: number): number {
    return this.#at(
      dir,
      name,
      "open",
      (at, len) => this._core.x.mknod(at, len, 0o100000 | (mode & 0o7777), 0, 0),
    );
  }

  /**
   * symlink(2): `name` in `dir` pointing to `target`; returns its dentry.
   * @throws {FsError} ENOENT for an empty target, EEXIST, ENOSPC, ENAMETOOLONG
   */
  dSymlink(dir: number, name: Uint8Array, target: Uint8Array): number {
    if (target.length === 0) throw new FsError("ENOENT", { syscall: "symlink" });
    if (target.length + 1 > PATH_MAX) throw new FsError("ENAMETOOLONG", { syscall: "symlink" });
    return this.#at(dir, name, "symlink", (at, len) => {
      const t = at + len;
      this._core.u8.set(target, t);
      return this._core.x.symlink(t, target.length, at, len);
    });
  }

  /**
   * link(2) of the inode of dentry `old` as `name` in `dir`; returns the new dentry.
   * @throws {FsError} EPERM for a directory, ENOENT when the inode has no link left, EEXIST, ENOSPC
   */
  dLink(old: number, dir: number, name: Uint8Array): number {
    return this.#at(dir, name, "link", (at, len) => this._core.x.linkDentry(old, at, len));
  }

  /**
   * unlink(2) of `name` in `dir`.
   * @throws {FsError} ENOENT, EISDIR
   */
  dUnlink(dir: number, name: Uint8Array): void {
    this.#at(dir, name, "unlink", (at, len) => this._core.x.unlink(at, len));
  }

  /**
   * rmdir(2) of `name` in `dir`.
   * @throws {FsError} ENOENT, ENOTDIR, ENOTEMPTY
   */
  dRmdir(dir: number, name: Uint8Array): void {
    this.#at(dir, name, "rmdir", (at, len) => this._core.x.rmdir(at, len));
  }

  /**
   * rename(2) (flags 0) of `oldName` in `oldDir` to `newName` in `newDir`. A
   * replaced target is removed as unlink/rmdir would; the moved dentry keeps
   * its handle.
   * @throws {FsError} ENOENT, EINVAL (into itself), EISDIR, ENOTDIR, ENOTEMPTY
   */
  dRename(oldDir: number, oldName: Uint8Array, newDir: number, newName: Uint8Array): void {
    this.#name(oldName, "rename");
    this.#name(newName, "rename");
    const at = this._core.input + this._core.inputSize - PATH_AREA;
    const u8 = this._core.u8;
    u8.set(oldName, at);
    u8.set(newName, at + oldName.length);
    const x = this._core.x;
    x.setBase(0, 1);
    let r: number;
    try {
      r = x.renameAt(oldDir, at, oldName.length, newDir, at + oldName.length, newName.length);
    } finally {
      x.setBase(0, 0);
    }
    if (r !== 0) throw new FsError(errnoName(r), { syscall: "rename", path: dec.decode(newName) });
  }

  /** Raises the open count of the inode of `d` (an unlinked file lives on while open). */
  dOpen(d: number): void {
    this._core.x.openInode(this._core.u32(d + D.INODE));
  }

  /** Lowers the open count of the inode of `d`; the last close of an unlinked file frees it. */
  dClose(d: number): void {
    this._core.x.closeInode(this._core.u32(d + D.INODE));
  }

  /**
   * Opens regular file `d` for writing (truncating it when asked) and writes
   * `nbytes` bytes of `x` from offset 0 in 64 KiB write() calls, as a
   * user-space loop does: a call that fits only partly counts its bytes and
   * the next one fails; `error` is that errno (tmpfs charges whole pages).
   * @throws {FsError} EISDIR for a directory, EPERM for other non-files
   */
  dWrite(
    d: number,
    nbytes: number,
    truncate: boolean,
  ): { written: number; error: Errno | undefined } {
    const c = this._core;
    const i = c.u32(d + D.INODE);
    const t = typeOf(c.u32(i + I.MODE));
    if (t === "d") throw new FsError("EISDIR", { syscall: "open" });
    if (t !== "f") throw new FsError("EPERM", { syscall: "open" });
    c.x.openInode(i);
    let written = 0;
    let error: Errno | undefined;
    try {
      if (truncate && c.u64(i + I.SIZE) !== 0) c.x.truncate(i, 0n);
      const chunk = Math.min(WRITE_CHUNK, c.inputSize - PATH_AREA);
      c.u8.fill(0x78, c.input, c.input + Math.min(chunk, nbytes));
      while (written < nbytes) {
        const n = Math.min(chunk, nbytes - written);
        const w = c.x.write(i, BigInt(written), c.input, n);
        written += w;
        if (w < n) {
          error = errnoName(c.x.writeErr());
          break;
        }
      }
    } finally {
      c.x.closeInode(i);
    }
    return { written, error };
  }
}

const SLASH = new Uint8Array([0x2f]);

/** Bytewise comparison (as `LC_ALL=C sort`). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    if (a[k] !== b[k]) return a[k]! - b[k]!;
  }
  return a.length - b.length;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function parseSize(size: number | string, totalRamPages: number): number {
  if (typeof size === "number") {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`Invalid tmpfs size ${size}`);
    return Math.ceil(size / PAGE_SIZE);
  }
  if (size.endsWith("%")) {
    const pct = Number(size.slice(0, -1));
    if (!Number.isInteger(pct) || pct < 0 || pct > 100) {
      throw new RangeError(`Invalid tmpfs size "${size}"`);
    }
    // shmem_parse_one: bytes = N << PAGE_SHIFT * totalram / 100, then pages
    // rounded up (size=1% of 6171024 pages is 61711 pages, not 61710)
    return Math.ceil(Math.floor((pct * PAGE_SIZE * totalRamPages) / 100) / PAGE_SIZE);
  }
  return Math.ceil(memparse(size) / PAGE_SIZE);
}

/** tmpfs mount data as parsed: limits in pages and inodes, root mode and owner. */
export interface TmpfsData {
  /** `size=` / `nr_blocks=` in pages (0: unlimited). */
  blocks?: number;
  /** `nr_inodes=` (0: unlimited). */
  inodes?: number;
  /** `mode=`. */
  mode?: number;
  /** `uid=`. */
  uid?: number;
  /** `gid=`. */
  gid?: number;
}

/**
 * Parses tmpfs mount data (`size=1M,nr_inodes=4,mode=0755`) as
 * shmem_parse_one() does; `size=N%` is of `totalRamPages`.
 * @throws {FsError} EINVAL for an unknown option or a bad value, as mount(2)
 */
export function parseTmpfsData(data: string | undefined, totalRamPages: number): TmpfsData {
  const out: TmpfsData = {};
  for (const word of (data ?? "").split(",")) {
    if (word === "") continue;
    const eq = word.indexOf("=");
    const key = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? "" : word.slice(eq + 1);
    try {
      if (value === "") throw new RangeError(`option "${key}" needs a value`);
      switch (key) {
        case "size":
          out.blocks = parseSize(value, totalRamPages);
          break;
        case "nr_blocks":
          out.blocks = memparse(value);
          break;
        case "nr_inodes":
          out.inodes = memparse(value);
          break;
        case "mode":
          if (!/^[0-7]+$/.test(value)) throw new RangeError(`bad mode "${value}"`);
          out.mode = parseInt(value, 8) & 0o7777;
          break;
        case "uid":
        case "gid":
          if (!/^[0-9]+$/.test(value) || Number(value) > 0xffffffff) {
            throw new RangeError(`bad ${key} "${value}"`);
          }
          out[key] = Number(value);
          break;
        default:
          throw new RangeError(`unknown option "${key}"`);
      }
    } catch (e) {
      throw new FsError("EINVAL", { syscall: "mount", reason: `tmpfs: ${(e as Error).message}` });
    }
  }
  return out;
}

/**
 * A tmpfs: limits and accounting as mm/shmem.c, root mode 1777 by default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Tmpfs } from "@ramroot/ramroot";
 * const fs = new Tmpfs({ size: "1M" });
 * assert.equal(fs.writeFile("/big", new Uint8Array(2 << 20)), 1 << 20);
 * assert.equal(fs.stat("/").mode, 0o41777);
 * ```
 */
export class Tmpfs extends Superblock {
  /** Always `"tmpfs"`. */
  readonly fstype = "tmpfs" as const;
  /** The options as /proc/mounts prints them. */
  readonly options: string;

  /**
   * Creates an empty tmpfs.
   * @throws {RangeError} for an unparsable option or a size beyond one WebAssembly memory
   */
  constructor(options: TmpfsOptions = {}) {
    const ram = options.totalRamPages ?? DEFAULT_TOTALRAM_PAGES;
    // the default is shmem_default_max_blocks(): half the RAM, rounded down
    const blocks = options.size === undefined ? Math.floor(ram / 2) : parseSize(options.size, ram);
    if (blocks * PAGE_SIZE > MAX_SUPERBLOCK_BYTES) {
      throw new RangeError(
        `tmpfs size=${options.size} is larger than one superblock can hold (${
          MAX_SUPERBLOCK_BYTES / 1024 ** 3
        } GiB of WebAssembly memory)`,
      );
    }
    const inodes = options.nr_inodes === undefined
      ? Math.floor(ram / 2)
      : typeof options.nr_inodes === "number"
      ? options.nr_inodes
      : memparse(options.nr_inodes);
    const mode = parseMode(options.mode ?? 0o1777);
    const uid = options.uid ?? 0;
    const gid = options.gid ?? 0;
    super(
      0,
      blocks,
      inodes,
      mode,
      uid,
      gid,
      options.now ?? Date.now() / 1000,
    );
    const parts = ["rw"];
    if (blocks !== 0) parts.push(`size=${blocks * 4}k`);
    if (inodes !== 0) parts.push(`nr_inodes=${inodes}`);
    if (mode !== 0o1777) parts.push(`mode=${mode.toString(8).padStart(3, "0")}`);
    if (uid !== 0) parts.push(`uid=${uid}`);
    if (gid !== 0) parts.push(`gid=${gid}`);
    parts.push("inode64");
    this.options = parts.join(",");
  }

  /**
   * Creates a tmpfs from a mount data string such as `"size=1M,nr_inodes=4"`.
   * @throws {FsError} EINVAL for an option tmpfs does not know
   */
  static fromMountData(
    data: string,
    extra: Omit<TmpfsOptions, "size" | "nr_inodes" | "mode" | "uid" | "gid"> = {},
  ): Tmpfs {
    const d = parseTmpfsData(data, extra.totalRamPages ?? DEFAULT_TOTALRAM_PAGES);
    const opts: TmpfsOptions = { ...extra };
    if (d.blocks !== undefined) opts.size = d.blocks * PAGE_SIZE;
    if (d.inodes !== undefined) opts.nr_inodes = d.inodes;
    if (d.mode !== undefined) opts.mode = d.mode;
    if (d.uid !== undefined) opts.uid = d.uid;
    if (d.gid !== undefined) opts.gid = d.gid;
    return new Tmpfs(opts);
  }
}

/**
 * A ramfs: no limits, directory size 0, root mode 0755 by default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Ramfs } from "@ramroot/ramroot";
 * const fs = new Ramfs();
 * fs.mkdir("/a");
 * assert.equal(fs.stat("/").size, 0);
 * ```
 */
export class Ramfs extends Superblock {
  /** Always `"ramfs"`. */
  readonly fstype = "ramfs" as const;
  /** The options as /proc/mounts prints them. */
  readonly options: string;

  /** Creates an empty ramfs. */
  constructor(options: RamfsOptions = {}) {
    const mode = parseMode(options.mode ?? 0o755);
    super(1, 0, 0, mode, 0, 0, options.now ?? Date.now() / 1000);
    this.options = mode === 0o755 ? "rw" : `rw,mode=${mode.toString(8).padStart(3, "0")}`;
  }
}
