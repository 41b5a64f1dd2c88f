// Filesystems as the mount tree sees them: a superblock with dentry handles.
// tmpfs and ramfs are the WebAssembly core (src/superblock.ts); nullfs and
// the "named" filesystems that stand for a disk, proc, nsfs, sysfs, mqueue,
// ... are small in-memory trees here.

import { type Errno, FsError } from "../errors.ts";
import {
  DEFAULT_TOTALRAM_PAGES,
  type FileType,
  MAX_SUPERBLOCK_BYTES,
  PAGE_SIZE,
  parseTmpfsData,
  Ramfs,
  type Stat,
  type Superblock,
  Tmpfs,
} from "../superblock.ts";

/** statfs(2) as the ops language prints it. */
export interface FsStat {
  /** `f_type`. */
  magic: number;
  /** `f_bsize`. */
  bsize: number;
  /** `f_blocks`. */
  blocks: number;
  /** `f_bfree`. */
  bfree: number;
  /** `f_files`. */
  files: number;
  /** `f_ffree`. */
  ffree: number;
}

/** Filesystem magic numbers (`f_type`). */
export const MAGIC = {
  tmpfs: 0x01021994,
  ramfs: 0x858458f6,
  nullfs: 0x4e554c4c,
  proc: 0x9fa0,
  nsfs: 0x6e736673,
  sysfs: 0x62656572,
  mqueue: 0x19800202,
  devpts: 0x1cd1,
  ext4: 0xef53,
  vfat: 0x4d44,
} as const;

/** What a path walk finds at a magic link (proc's fd and ns entries). */
export interface MagicTarget {
  /** @internal the mount (a `Mount` of src/vfs/mount.ts) */
  mnt: unknown;
  /** The dentry on it. */
  dentry: number;
}

/**
 * One superblock, addressed by dentry handles (numbers). Names are bytes.
 * Operations throw {@linkcode FsError} with the errno the kernel gives.
 */
export interface Filesystem {
  /** The type name mountinfo shows (`tmpfs`, `rootfs`, `proc`, ...). */
  readonly fstype: string;
  /** The magic number statfs reports. */
  readonly magic: number;
  /** `SB_NOUSER`: may not be mounted or bound by user space. */
  readonly noUser: boolean;
  /** The superblock is read-only (`SB_RDONLY`). */
  readonly: boolean;
  /** The root dentry. */
  readonly root: number;
  /** `major:minor` (assigned when the superblock is created). */
  dev: string;
  /** The options mountinfo prints after the source, without `rw`/`ro`. */
  superOptions(): string;
  /** A child of `dir`, or 0. */
  lookup(dir: number, name: Uint8Array): number;
  /** The parent dentry (the root's is itself). */
  parent(d: number): number;
  /** The name of a dentry (the root's is empty). */
  name(d: number): Uint8Array;
  /** The inode's attributes. */
  stat(d: number): Stat;
  /** A symlink's target. */
  readlink(d: number): Uint8Array;
  /** Whether a dentry was removed from its directory. */
  dead(d: number): boolean;
  /** Takes a reference that keeps a removed dentry (and its inode) alive. */
  get(d: number): void;
  /** Drops a reference from {@linkcode Filesystem.get}. */
  put(d: number): void;
  /** Names in a directory. */
  list(d: number): Uint8Array[];
  /** mkdir: the new dentry. */
  mkdir(dir: number, name: Uint8Array, mode: number): number;
  /** creat with O_EXCL: the new dentry. */
  create(dir: number, name: Uint8Array, mode: number): number;
  /** symlink: the new dentry. */
  symlink(dir: number, name: Uint8Array, target: Uint8Array): number;
  /** link: the new dentry. */
  link(old: number, dir: number, name: Uint8Array): number;
  /** unlink. */
  unlink(dir: number, name: Uint8Array): void;
  /** rmdir. */
  rmdir(dir: number, name: Uint8Array): void;
  /** rename within this superblock. */
  rename(oldDir: number, oldName: Uint8Array, newDir: number, newName: Uint8Array): void;
  /** An open handle on the inode. */
  open(d: number): void;
  /** Closes a handle from {@linkcode Filesystem.open}. */
  close(d: number): void;
  /** Writes `n` bytes from offset 0 as a write() loop of 64 KiB does. */
  write(d: number, n: number, truncate: boolean): { written: number; error: Errno | undefined };
  /** statfs. */
  statfs(): FsStat;
  /** `MS_REMOUNT` with mount data (the `rw`/`ro` part is the caller's). */
  reconfigure(data: string | undefined): void;
  /** A proc-style magic link: where following it leads. */
  magic_link?(d: number, context: unknown): MagicTarget | undefined;
}

const enc = new TextEncoder();

/** Bytes of a string (UTF-8). */
export function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

// ---------------------------------------------------------------- tmpfs/ramfs

/** The settings of a tmpfs that its options line shows. */
interface TmpfsSettings {
  blocks: number;
  inodes: number;
  mode: number;
  uid: number;
  gid: number;
}

/** Options of {@linkcode CoreFs}. */
export interface CoreFsOptions {
  /** The type name shown (`rootfs` for the boot root, `devtmpfs`). */
  fstype?: string;
  /** RAM of the modelled machine, in pages (the tmpfs defaults). */
  totalRamPages?: number;
  /** Show `inode64` (`CONFIG_TMPFS_INODE64`). */
  inode64?: boolean;
  /** Show every limit as the boot root does (its defaults were taken before RAM was freed). */
  showLimits?: boolean;
  /** The magic number statfs reports (a disk image held in a core superblock). */
  magic?: number;
}

/** tmpfs or ramfs: the WebAssembly core behind the {@linkcode Filesystem} interface. */
export class CoreFs implements Filesystem {
  readonly fstype: string;
  readonly magic: number;
  readonly noUser = false;
  readonly = false;
  dev = "0:0";
  /** The core superblock. */
  readonly sb: Superblock;
  readonly #tmpfs: boolean;
  readonly #ram: number;
  readonly #inode64: boolean;
  readonly #showLimits: boolean;
  #settings: TmpfsSettings;

  /** Wraps a superblock made with the given settings. */
  constructor(sb: Superblock, settings: TmpfsSettings, options: CoreFsOptions = {}) {
    this.sb = sb;
    this.#tmpfs = sb.fstype === "tmpfs";
    this.fstype = options.fstype ?? sb.fstype;
    this.magic = options.magic ?? (this.#tmpfs ? MAGIC.tmpfs : MAGIC.ramfs);
    this.#ram = options.totalRamPages ?? DEFAULT_TOTALRAM_PAGES;
    this.#inode64 = options.inode64 ?? false;
    this.#showLimits = options.showLimits ?? false;
    this.#settings = settings;
  }

  /** A new tmpfs from mount data (`size=`, `nr_inodes=`, `mode=`, `uid=`, `gid=`). */
  static tmpfs(data: string | undefined, options: CoreFsOptions = {}): CoreFs {
    const ram = options.totalRamPages ?? DEFAULT_TOTALRAM_PAGES;
    const s = parseTmpfsData(data, ram);
    const blocks = s.blocks ?? Math.floor(ram / 2);
    const inodes = s.inodes ?? Math.floor(ram / 2);
    const settings: TmpfsSettings = {
      blocks,
      inodes,
      mode: s.mode ?? 0o1777,
      uid: s.uid ?? 0,
      gid: s.gid ?? 0,
    };
    const sb = new Tmpfs({
      size: coreBlocks(blocks) * PAGE_SIZE,
      nr_inodes: inodes,
      mode: settings.mode,
      uid: settings.uid,
      gid: settings.gid,
      totalRamPages: ram,
      now: 0,
    });
    return new CoreFs(sb, settings, options);
  }

  /** A new ramfs (`mode=` is its only option; others are ignored, as ramfs does). */
  static ramfs(data: string | undefined, options: CoreFsOptions = {}): CoreFs {
    let mode = 0o755;
    for (const word of (data ?? "").split(",")) {
      if (word.startsWith("mode=") && /^[0-7]+$/.test(word.slice(5))) {
        mode = parseInt(word.slice(5), 8) & 0o7777;
      }
    }
    const sb = new Ramfs({ mode, now: 0 });
    return new CoreFs(sb, { blocks: 0, inodes: 0, mode, uid: 0, gid: 0 }, options);
  }

  /** Wraps an existing superblock (the unpacked rootfs). */
  static of(sb: Superblock, options: CoreFsOptions = {}): CoreFs {
    const root = sb.stat("/");
    return new CoreFs(sb, {
      blocks: sb.maxBlocks,
      inodes: sb.maxInodes,
      mode: root.mode & 0o7777,
      uid: root.uid,
      gid: root.gid,
    }, { showLimits: true, ...options });
  }

  get root(): number {
    return this.sb.rootDentry;
  }

  superOptions(): string {
    if (!this.#tmpfs) {
      const m = this.#settings.mode;
      return m === 0o755 ? "" : `mode=${m.toString(8).padStart(3, "0")}`;
    }
    const s = this.#settings;
    const half = Math.floor(this.#ram / 2);
    const parts: string[] = [];
    if (this.#showLimits ? s.blocks !== 0 : s.blocks !== half) parts.push(`size=${s.blocks * 4}k`);
    if (this.#showLimits ? s.inodes !== 0 : s.inodes !== half) parts.push(`nr_inodes=${s.inodes}`);
    if (s.mode !== 0o1777) parts.push(`mode=${s.mode.toString(8).padStart(3, "0")}`);
    if (s.uid !== 0) parts.push(`uid=${s.uid}`);
    if (s.gid !== 0) parts.push(`gid=${s.gid}`);
    if (this.#inode64) parts.push("inode64");
    return parts.join(",");
  }

  lookup(dir: number, name: Uint8Array): number {
    return this.sb.dLookup(dir, name);
  }
  parent(d: number): number {
    return this.sb.dParent(d);
  }
  name(d: number): Uint8Array {
    return this.sb.dName(d);
  }
  stat(d: number): Stat {
    return this.sb.dStat(d);
  }
  readlink(d: number): Uint8Array {
    return this.sb.dReadlink(d);
  }
  dead(d: number): boolean {
    return this.sb.dDead(d);
  }
  get(d: number): void {
    this.sb.dGet(d);
  }
  put(d: number): void {
    this.sb.dPut(d);
  }
  list(d: number): Uint8Array[] {
    return this.sb.dChildren(d).map(([, n]) => n);
  }
  mkdir(dir: number, name: Uint8Array, mode: number): number {
    return this.sb.dMkdir(dir, name, mode);
  }
  create(dir: number, name: Uint8Array, mode: number): number {
    return this.sb.dCreate(dir, name, mode);
  }
  symlink(dir: number, name: Uint8Array, target: Uint8Array): number {
    return this.sb.dSymlink(dir, name, target);
  }
  link(old: number, dir: number, name: Uint8Array): number {
    return this.sb.dLink(old, dir, name);
  }
  unlink(dir: number, name: Uint8Array): void {
    this.sb.dUnlink(dir, name);
  }
  rmdir(dir: number, name: Uint8Array): void {
    this.sb.dRmdir(dir, name);
  }
  rename(oldDir: number, oldName: Uint8Array, newDir: number, newName: Uint8Array): void {
    this.sb.dRename(oldDir, oldName, newDir, newName);
  }
  open(d: number): void {
    this.sb.dOpen(d);
  }
  close(d: number): void {
    this.sb.dClose(d);
  }
  write(d: number, n: number, truncate: boolean): { written: number; error: Errno | undefined } {
    return this.sb.dWrite(d, n, truncate);
  }

  statfs(): FsStat {
    const s = { ...this.sb.statfs(), blocks: this.#settings.blocks };
    if (!this.#tmpfs) {
      return { magic: this.magic, bsize: PAGE_SIZE, blocks: 0, bfree: 0, files: 0, ffree: 0 };
    }
    return {
      magic: this.magic,
      bsize: PAGE_SIZE,
      blocks: s.blocks,
      bfree: s.blocks === 0 ? 0 : Math.max(0, s.blocks - s.usedBlocks),
      files: s.files,
      ffree: s.files === 0 ? 0 : Math.max(0, s.files - s.usedFiles),
    };
  }

  reconfigure(data: string | undefined): void {
    if (!this.#tmpfs) return; // ramfs ignores its options
    const s = parseTmpfsData(data, this.#ram);
    const cur = this.#settings;
    const use = this.sb.statfs();
    let blocks = cur.blocks;
    let inodes = cur.inodes;
    if (s.blocks !== undefined) {
      // shmem_reconfigure: never below what is in use, never a limit where there was none
      if (s.blocks !== 0 && s.blocks < use.usedBlocks) invalid("too small for what is in use");
      if (s.blocks !== 0 && cur.blocks === 0) invalid("cannot limit an unlimited tmpfs");
      blocks = s.blocks;
    }
    if (s.inodes !== undefined) {
      if (s.inodes !== 0 && s.inodes < use.usedFiles) invalid("too few inodes for what is in use");
      if (s.inodes !== 0 && cur.inodes === 0) invalid("cannot limit an unlimited tmpfs");
      inodes = s.inodes;
    }
    this.sb.setLimits(coreBlocks(blocks), inodes);
    this.#settings = { ...cur, blocks, inodes };
  }
}

/**
 * The page limit given to the core: a tmpfs may be larger than one
 * WebAssembly memory holds (its default is half the RAM); its limit is then
 * shown and reported as it is, and only the core stops at its own ceiling.
 */
function coreBlocks(blocks: number): number {
  const cap = Math.floor(MAX_SUPERBLOCK_BYTES / PAGE_SIZE);
  return blocks === 0 ? 0 : Math.min(blocks, cap);
}

function invalid(reason: string): never {
  throw new FsError("EINVAL", { syscall: "mount", reason: `tmpfs: ${reason}` });
}

// ---------------------------------------------------------------- MemFs

interface MemNode {
  parent: MemNode;
  name: Uint8Array;
  stat: Stat;
  children: Map<string, MemNode> | null;
  target: Uint8Array | null;
  refs: number;
  dead: boolean;
  id: number;
  /** proc: a magic link resolved at walk time. */
  magic?: (context: unknown) => MagicTarget | undefined;
}

const dec = new TextDecoder("latin1");
function key(name: Uint8Array): string {
  return dec.decode(name);
}

/** Options of {@linkcode MemFs}. */
export interface MemFsOptions {
  /** Magic number for statfs. @default {0} */
  magic?: number;
  /** `SB_NOUSER`. */
  noUser?: boolean;
  /** An immutable directory tree (nullfs): every change is EPERM. */
  immutable?: boolean;
  /** Root directory mode. @default {0o755} */
  rootMode?: number;
  /** The options mountinfo prints. @default {""} */
  options?: string;
}

/**
 * A small in-memory filesystem: the generic "named" filesystem that stands for
 * a disk, a USB stick, proc, sysfs, mqueue or nsfs, and (immutable) nullfs.
 * Its references are counted, so a scenario can tell when it is released.
 */
export class MemFs implements Filesystem {
  readonly fstype: string;
  readonly magic: number;
  readonly noUser: boolean;
  readonly = false;
  dev = "0:0";
  readonly #immutable: boolean;
  readonly #options: string;
  readonly #nodes: (MemNode | undefined)[] = [undefined];
  readonly #rootNode: MemNode;
  #nextIno = 1;

  /** Creates an empty filesystem of type `fstype`. */
  constructor(fstype: string, options: MemFsOptions = {}) {
    this.fstype = fstype;
    this.magic = options.magic ?? 0;
    this.noUser = options.noUser ?? false;
    this.#immutable = options.immutable ?? false;
    this.#options = options.options ?? "";
    const root = {} as MemNode;
    Object.assign(root, {
      parent: root,
      name: new Uint8Array(0),
      stat: this.#newStat("d", options.rootMode ?? 0o755),
      children: new Map(),
      target: null,
      refs: 0,
      dead: false,
      id: 1,
    });
    this.#nodes.push(root);
    this.#rootNode = root;
  }

  get root(): number {
    return 1;
  }

  #newStat(type: FileType, perm: number): Stat {
    const fmt = {
      d: 0o040000,
      f: 0o100000,
      l: 0o120000,
      c: 0o020000,
      b: 0o060000,
      p: 0o010000,
      s: 0o140000,
    }[type];
    return {
      ino: this.#nextIno++,
      mode: fmt | (perm & 0o7777),
      type,
      nlink: type === "d" ? 2 : 1,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 0,
      rdev: null,
      blocks: 0,
    };
  }

  #node(d: number): MemNode {
    const n = this.#nodes[d];
    if (n === undefined) throw new FsError("ENOENT", { syscall: "lookup" });
    return n;
  }

  #mutable(): void {
    if (this.#immutable) throw new FsError("EPERM", { syscall: "write", reason: "immutable" });
  }

  /** Adds a node under `dir` (for building the tree; no checks). */
  add(
    dir: number,
    name: string | Uint8Array,
    type: FileType,
    perm: number,
    extra: {
      target?: Uint8Array;
      size?: number;
      magic?: (context: unknown) => MagicTarget | undefined;
    } = {},
  ): number {
    const parent = this.#node(dir);
    const nb = typeof name === "string" ? bytes(name) : name;
    const node: MemNode = {
      parent,
      name: nb,
      stat: this.#newStat(type, perm),
      children: type === "d" ? new Map() : null,
      target: extra.target ?? null,
      refs: 0,
      dead: false,
      id: this.#nodes.length,
    };
    if (extra.magic) node.magic = extra.magic;
    if (extra.target) node.stat.size = extra.target.length;
    if (extra.size !== undefined) node.stat.size = extra.size;
    this.#nodes.push(node);
    parent.children!.set(key(nb), node);
    if (type === "d") parent.stat.nlink++;
    return node.id;
  }

  superOptions(): string {
    return this.#options;
  }
  lookup(dir: number, name: Uint8Array): number {
    return this.#node(dir).children?.get(key(name))?.id ?? 0;
  }
  parent(d: number): number {
    return this.#node(d).parent.id;
  }
  name(d: number): Uint8Array {
    return this.#node(d).name;
  }
  stat(d: number): Stat {
    return { ...this.#node(d).stat };
  }
  readlink(d: number): Uint8Array {
    const n = this.#node(d);
    if (n.target === null) throw new FsError("EINVAL", { syscall: "readlink" });
    return n.target;
  }
  dead(d: number): boolean {
    return this.#node(d).dead;
  }
  get(d: number): void {
    this.#node(d).refs++;
  }
  put(d: number): void {
    this.#node(d).refs--;
  }
  /** References held on dentries of this filesystem (mounts, handles, cwds). */
  get references(): number {
    let n = 0;
    for (const node of this.#nodes) n += node?.refs ?? 0;
    return n;
  }
  list(d: number): Uint8Array[] {
    const n = this.#node(d);
    if (n.children === null) throw new FsError("ENOTDIR", { syscall: "getdents" });
    return [...n.children.values()].map((c) => c.name);
  }
  #create(
    dir: number,
    name: Uint8Array,
    type: FileType,
    perm: number,
    target?: Uint8Array,
  ): number {
    this.#mutable();
    const p = this.#node(dir);
    if (p.children === null) throw new FsError("ENOTDIR", { syscall: "mknod" });
    if (p.children.has(key(name))) throw new FsError("EEXIST", { syscall: "mknod" });
    return this.add(dir, name, type, perm & ~0o022, target ? { target } : {});
  }
  mkdir(dir: number, name: Uint8Array, mode: number): number {
    return this.#create(dir, name, "d", mode);
  }
  create(dir: number, name: Uint8Array, mode: number): number {
    return this.#create(dir, name, "f", mode);
  }
  symlink(dir: number, name: Uint8Array, target: Uint8Array): number {
    return this.#create(dir, name, "l", 0o777 | 0o022, target);
  }
  link(old: number, dir: number, name: Uint8Array): number {
    this.#mutable();
    const o = this.#node(old);
    if (o.children !== null) throw new FsError("EPERM", { syscall: "link" });
    const p = this.#node(dir);
    if (p.children!.has(key(name))) throw new FsError("EEXIST", { syscall: "link" });
    const node: MemNode = { ...o, parent: p, name, refs: 0, dead: false, id: this.#nodes.length };
    o.stat.nlink++;
    node.stat = o.stat;
    this.#nodes.push(node);
    p.children!.set(key(name), node);
    return node.id;
  }
  #remove(dir: number, name: Uint8Array, wantDir: boolean): void {
    this.#mutable();
    const p = this.#node(dir);
    const n = p.children?.get(key(name));
    if (n === undefined) throw new FsError("ENOENT", { syscall: wantDir ? "rmdir" : "unlink" });
    if (wantDir && n.children === null) throw new FsError("ENOTDIR", { syscall: "rmdir" });
    if (!wantDir && n.children !== null) throw new FsError("EISDIR", { syscall: "unlink" });
    if (wantDir && n.children!.size > 0) throw new FsError("ENOTEMPTY", { syscall: "rmdir" });
    p.children!.delete(key(name));
    n.dead = true;
    if (wantDir) {
      p.stat.nlink--;
      n.stat.nlink = 0;
    } else {
      n.stat.nlink--;
    }
  }
  unlink(dir: number, name: Uint8Array): void {
    this.#remove(dir, name, false);
  }
  rmdir(dir: number, name: Uint8Array): void {
    this.#remove(dir, name, true);
  }
  rename(oldDir: number, oldName: Uint8Array, newDir: number, newName: Uint8Array): void {
    this.#mutable();
    const op = this.#node(oldDir);
    const np = this.#node(newDir);
    const n = op.children?.get(key(oldName));
    if (n === undefined) throw new FsError("ENOENT", { syscall: "rename" });
    for (let a = np;; a = a.parent) {
      if (a === n) throw new FsError("EINVAL", { syscall: "rename" });
      if (a.parent === a) break;
    }
    const existing = np.children!.get(key(newName));
    if (existing === n) return;
    if (existing !== undefined) {
      if (existing.children !== null) {
        if (n.children === null) throw new FsError("EISDIR", { syscall: "rename" });
        if (existing.children.size > 0) throw new FsError("ENOTEMPTY", { syscall: "rename" });
        this.#remove(newDir, newName, true);
      } else {
        if (n.children !== null) throw new FsError("ENOTDIR", { syscall: "rename" });
        this.#remove(newDir, newName, false);
      }
    }
    op.children!.delete(key(oldName));
    np.children!.set(key(newName), n);
    if (n.children !== null && op !== np) {
      op.stat.nlink--;
      np.stat.nlink++;
    }
    n.parent = np;
    n.name = newName;
  }
  open(d: number): void {
    this.#node(d).refs++;
  }
  close(d: number): void {
    this.#node(d).refs--;
  }
  write(d: number, n: number, truncate: boolean): { written: number; error: Errno | undefined } {
    this.#mutable();
    const node = this.#node(d);
    node.stat.size = truncate ? n : Math.max(n, node.stat.size);
    return { written: n, error: undefined };
  }
  statfs(): FsStat {
    return { magic: this.magic, bsize: PAGE_SIZE, blocks: 0, bfree: 0, files: 0, ffree: 0 };
  }
  reconfigure(_data: string | undefined): void {}
  magic_link(d: number, context: unknown): MagicTarget | undefined {
    return this.#node(d).magic?.(context);
  }
}
