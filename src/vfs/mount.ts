// The mount tree of fs/namespace.c: mounts, peer groups, namespaces, the
// tasks' root and cwd, the path walk of fs/namei.c, and the mount system
// calls with their checks in the kernel's order (spec: mounts.md).

import { type Errno, FsError } from "../errors.ts";
import type { Stat } from "../superblock.ts";
import type { MountBehaviour } from "../profile.ts";
import { bytes, type Filesystem } from "./fs.ts";

export type { MountBehaviour };

/** mount(2) flags. */
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  REMOUNT: 32,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOSYMFOLLOW: 256,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  SILENT: 32768,
  POSIXACL: 1 << 16,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  KERNMOUNT: 1 << 22,
  I_VERSION: 1 << 23,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
  NOUSER: 2 ** 31,
} as const;

/** umount2(2) flags. */
export const MNT = { FORCE: 1, DETACH: 2, EXPIRE: 4, NOFOLLOW: 8 } as const;

/** Per-mount flags (`mnt_flags`). */
export const MF = {
  NOSUID: 1,
  NODEV: 2,
  NOEXEC: 4,
  NOATIME: 8,
  NODIRATIME: 16,
  RELATIME: 32,
  READONLY: 64,
  NOSYMFOLLOW: 128,
} as const;

const MNT_OPTS: [number, string][] = [
  [MF.NOSUID, ",nosuid"],
  [MF.NODEV, ",nodev"],
  [MF.NOEXEC, ",noexec"],
  [MF.NOATIME, ",noatime"],
  [MF.NODIRATIME, ",nodiratime"],
  [MF.RELATIME, ",relatime"],
  [MF.NOSYMFOLLOW, ",nosymfollow"],
];

const PROPAGATION = MS.SHARED | MS.PRIVATE | MS.SLAVE | MS.UNBINDABLE;
const MAX_SYMLINKS = 40;
const PATH_MAX = 4096;
const NAME_MAX = 255;

/** A (mount, dentry) pair: what a path names. */
export interface Path {
  /** The mount. */
  mnt: Mount;
  /** The dentry inside the mount's filesystem. */
  dentry: number;
}

/** A peer group of shared mounts. */
export class PeerGroup {
  /** The group id mountinfo prints (`shared:N`, `master:N`). */
  readonly id: number;
  /** The mounts in the group. */
  readonly members: Set<Mount> = new Set();
  /** Mounts that receive from the group. */
  readonly slaves: Set<Mount> = new Set();
  /** @internal */
  constructor(id: number) {
    this.id = id;
  }
}

/** One mount (`struct mount`). */
export class Mount {
  /** Mount id. */
  readonly id: number;
  /** Creation order (the order of /proc/self/mountinfo). */
  readonly seq: number;
  /** The filesystem. */
  readonly fs: Filesystem;
  /** The dentry that is this mount's root. */
  readonly root: number;
  /** The source name (`mnt_devname`). */
  source: string;
  /** The parent mount; null for a namespace root or a detached mount. */
  parent: Mount | null = null;
  /** The dentry in the parent this mount sits on. */
  mountpoint = 0;
  /**
   * Child mounts in attach order (a Set: removing one of 10,000 children of a
   * mount must not shift an array, or unmounting them all is quadratic).
   */
  readonly children: Set<Mount> = new Set();
  /** Child mounts by mountpoint dentry, bottom to top. */
  readonly at: Map<number, Mount[]> = new Map();
  /** `MF` flags. */
  flags = 0;
  /** `MNT_LOCKED`. */
  locked = false;
  /** The namespace; null once unmounted. */
  ns: MountNamespace | null = null;
  /** Shared: the peer group. */
  peers: PeerGroup | null = null;
  /** Slave: the group it receives from. */
  master: PeerGroup | null = null;
  /** `MNT_UNBINDABLE`. */
  unbindable = false;
  /** `mnt_expiry_mark`. */
  expiry = false;
  /** References from tasks' root and cwd and from open handles. */
  refs = 0;
  /** Freed: its references to dentries are given back. */
  freed = false;

  /** @internal */
  constructor(id: number, seq: number, fs: Filesystem, root: number, source: string) {
    this.id = id;
    this.seq = seq;
    this.fs = fs;
    this.root = root;
    this.source = source;
    fs.get(root);
  }

  /** The topmost mount stacked on `dentry` of this mount, if any. */
  topAt(dentry: number): Mount | undefined {
    const stack = this.at.get(dentry);
    return stack === undefined ? undefined : stack[stack.length - 1];
  }

  /** This mount and every mount below it, parents before children. */
  subtree(): Mount[] {
    const out: Mount[] = [];
    const stack: Mount[] = [this];
    while (stack.length > 0) {
      const m = stack.pop()!;
      out.push(m);
      if (m.children.size === 0) continue;
      const cs = [...m.children];
      for (let k = cs.length - 1; k >= 0; k--) stack.push(cs[k]!);
    }
    return out;
  }
}

/** A mount namespace. */
export class MountNamespace {
  /** Creation order (mount-namespace files may only bind newer namespaces). */
  readonly seq: number;
  /** The root mount. */
  root: Mount;
  /** The mounts, in creation order. */
  readonly mounts: Set<Mount> = new Set();
  /** `fs.mount-max`. */
  mountMax = 100000;

  /** @internal */
  constructor(seq: number, root: Mount) {
    this.seq = seq;
    this.root = root;
  }
}

/** A task's root and cwd (`struct fs_struct`); tasks may share one. */
export class FsContext {
  /** Root. */
  root: Path;
  /** Current directory. */
  pwd: Path;
  /** @internal */
  constructor(root: Path, pwd: Path) {
    this.root = root;
    this.pwd = pwd;
  }
}

/** An open file: holds its mount and dentry. */
export interface Handle {
  /** What it refers to. */
  path: Path;
}

/** How a filesystem type is instantiated by `mount -t TYPE`. */
export type FsFactory = (source: string | undefined, data: string | undefined) => Filesystem;

/** The whole system: ids, filesystem types, namespaces and tasks. */
export class Kernel {
  /** Behaviour that changed between versions. */
  readonly behaviour: MountBehaviour;
  /** Filesystem types `mount -t` knows. */
  readonly types: Map<string, FsFactory> = new Map();
  /** Every task. */
  readonly tasks: Set<Task> = new Set();
  /** Every namespace created (kept for the lifetime of the model). */
  readonly namespaces: Set<MountNamespace> = new Set();
  #mountId = 0;
  #seq = 0;
  #group = 0;
  #minor = 0;
  #nsSeq = 0;

  /** @internal */
  constructor(behaviour: MountBehaviour) {
    this.behaviour = behaviour;
  }

  /** Gives a new superblock its anonymous device number. */
  register<F extends Filesystem>(fs: F): F {
    if (fs.dev === "0:0") fs.dev = `0:${++this.#minor}`;
    return fs;
  }

  /** @internal */
  newMount(fs: Filesystem, root: number, source: string): Mount {
    return new Mount(++this.#mountId, ++this.#seq, fs, root, source);
  }

  /** @internal */
  newGroup(): PeerGroup {
    return new PeerGroup(++this.#group);
  }

  /** Creates a namespace whose root is `root` (a new mount of a filesystem). */
  newNamespace(root: Mount): MountNamespace {
    const ns = new MountNamespace(++this.#nsSeq, root);
    for (const m of root.subtree()) {
      m.ns = ns;
      ns.mounts.add(m);
    }
    this.namespaces.add(ns);
    return ns;
  }

  /** Creates a task in `ns` with root and cwd at `root`. */
  newTask(ns: MountNamespace, root: Path): Task {
    const t = new Task(this, ns, new FsContext(hold(root), hold(root)));
    this.tasks.add(t);
    return t;
  }

  /** Mounts `fs` as a namespace root and returns it (boot: rootfs, nullfs). */
  mountRoot(fs: Filesystem, source: string, flags = 0): Mount {
    this.register(fs);
    const m = this.newMount(fs, fs.root, source);
    m.flags = flags;
    return m;
  }

  /** @internal drops a reference and frees a detached tree nobody uses. */
  release(m: Mount): void {
    m.refs--;
    this.reap(m);
  }

  /** @internal frees the detached tree `m` belongs to when it is unused. */
  reap(m: Mount): void {
    if (m.ns !== null) return;
    let top = m;
    while (top.parent !== null && top.parent.ns === null) top = top.parent;
    if (top.parent !== null) return; // still attached under a live mount
    const all = top.subtree();
    if (all.some((x) => x.refs > 0)) return;
    for (const x of all) {
      if (x.freed) continue;
      x.freed = true;
      x.fs.put(x.root);
      if (x.parent !== null) x.parent.fs.put(x.mountpoint);
    }
  }
}

function hold(p: Path): Path {
  p.mnt.refs++;
  p.mnt.fs.get(p.dentry);
  return p;
}

function same(a: Path, b: Path): boolean {
  return a.mnt === b.mnt && a.dentry === b.dentry;
}

function fail(code: Errno, syscall: string, path?: string, reason?: string): never {
  const o: { syscall: string; path?: string; reason?: string } = { syscall };
  if (path !== undefined) o.path = path;
  if (reason !== undefined) o.reason = reason;
  throw new FsError(code, o);
}

/** The last component of a path, as `path_parentat` leaves it. */
interface Parent {
  dir: Path;
  name: Uint8Array;
  kind: "norm" | "dot" | "dotdot" | "root";
  trailing: boolean;
}

interface WalkFlags {
  follow?: boolean;
  directory?: boolean;
  mountpoint?: boolean;
}

const latin1 = new TextDecoder("latin1");

/** Path arguments: a string (UTF-8) or bytes. */
export type PathArg = string | Uint8Array;

function toBytes(p: PathArg): Uint8Array {
  return typeof p === "string" ? bytes(p) : p;
}
function show(p: PathArg): string {
  return typeof p === "string" ? p : latin1.decode(p);
}

/** A process: its namespace, its root and cwd, its open files. */
export class Task {
  /** The kernel. */
  readonly kernel: Kernel;
  /** The mount namespace. */
  ns: MountNamespace;
  /** Root and cwd. */
  fs: FsContext;
  /** Open files by descriptor. */
  readonly fds: Map<number, Handle> = new Map();

  /** @internal */
  constructor(kernel: Kernel, ns: MountNamespace, fs: FsContext) {
    this.kernel = kernel;
    this.ns = ns;
    this.fs = fs;
  }

  // ---------------------------------------------------------------- walking

  #traverse(p: Path): Path {
    let cur = p;
    for (;;) {
      const top = cur.mnt.topAt(cur.dentry);
      if (top === undefined) return cur;
      cur = { mnt: top, dentry: top.root };
    }
  }

  #dotdot(p: Path): Path {
    const root = this.fs.root;
    let cur = p;
    for (;;) {
      if (same(cur, root)) break;
      if (cur.dentry !== cur.mnt.root) {
        cur = { mnt: cur.mnt, dentry: cur.mnt.fs.parent(cur.dentry) };
        break;
      }
      const parent = cur.mnt.parent;
      if (parent === null) break;
      cur = { mnt: parent, dentry: cur.mnt.mountpoint };
    }
    return this.#traverse(cur);
  }

  #isDir(p: Path): boolean {
    return p.mnt.fs.stat(p.dentry).type === "d";
  }

  /**
   * Walks `path` as `path_lookupat` does; `parent` stops before the last
   * component (`path_parentat`).
   */
  #walk(path: PathArg, syscall: string, flags: WalkFlags, parent: true): Parent;
  #walk(path: PathArg, syscall: string, flags: WalkFlags, parent?: false): Path;
  #walk(path: PathArg, syscall: string, flags: WalkFlags, parent = false): Path | Parent {
    const b = toBytes(path);
    if (b.length === 0) fail("ENOENT", syscall, show(path));
    if (b.length >= PATH_MAX) fail("ENAMETOOLONG", syscall, show(path));
    let links = 0;
    // frames of components still to walk; the last frame is walked first
    const frames: { comps: Uint8Array[]; i: number }[] = [];
    const split = (x: Uint8Array): Uint8Array[] => {
      const out: Uint8Array[] = [];
      let s = 0;
      for (let k = 0; k <= x.length; k++) {
        if (k === x.length || x[k] === 0x2f) {
          if (k > s) out.push(x.subarray(s, k));
          s = k + 1;
        }
      }
      return out;
    };
    let cur: Path = b[0] === 0x2f ? this.fs.root : this.fs.pwd;
    const trailing = b[b.length - 1] === 0x2f;
    frames.push({ comps: split(b), i: 0 });
    const isLast = () => frames.every((f) => f.i >= f.comps.length);
    const kindOf = (c: Uint8Array) =>
      c.length === 1 && c[0] === 0x2e
        ? "dot"
        : c.length === 2 && c[0] === 0x2e && c[1] === 0x2e
        ? "dotdot"
        : "norm";
    if (frames[0]!.comps.length === 0) {
      // only slashes
      if (parent) return { dir: cur, name: new Uint8Array(0), kind: "root", trailing: false };
      return this.#done(flags.mountpoint ? this.#traverse(cur) : cur, flags);
    }
    for (;;) {
      const f = frames[frames.length - 1]!;
      if (f.i >= f.comps.length) {
        frames.pop();
        if (frames.length === 0) break;
        continue;
      }
      const c = f.comps[f.i++]!;
      const last = isLast();
      const kind = kindOf(c);
      if (!this.#isDir(cur)) fail("ENOTDIR", syscall, show(path));
      if (last && parent) {
        if (kind === "norm" && c.length > NAME_MAX) fail("ENAMETOOLONG", syscall, show(path));
        return { dir: cur, name: c, kind, trailing };
      }
      if (kind === "dot") continue;
      if (kind === "dotdot") {
        cur = this.#dotdot(cur);
        continue;
      }
      if (c.length > NAME_MAX) fail("ENAMETOOLONG", syscall, show(path));
      const child = cur.mnt.fs.lookup(cur.dentry, c);
      if (child === 0) fail("ENOENT", syscall, show(path));
      const next = this.#traverse({ mnt: cur.mnt, dentry: child });
      const st = next.mnt.fs.stat(next.dentry);
      if (st.type === "l" && (!last || flags.follow || trailing)) {
        if (++links > MAX_SYMLINKS) fail("ELOOP", syscall, show(path));
        if (next.mnt.flags & MF.NOSYMFOLLOW) fail("ELOOP", syscall, show(path));
        const magic = next.mnt.fs.magic_link?.(next.dentry, this);
        if (magic !== undefined) {
          cur = magic as Path;
          continue;
        }
        const target = next.mnt.fs.readlink(next.dentry);
        if (target.length === 0) fail("ENOENT", syscall, show(path));
        if (target[0] === 0x2f) cur = this.fs.root;
        frames.push({ comps: split(target), i: 0 });
        continue;
      }
      if (!last && st.type !== "d") fail("ENOTDIR", syscall, show(path));
      cur = next;
    }
    if ((trailing || flags.directory) && !this.#isDir(cur)) fail("ENOTDIR", syscall, show(path));
    return this.#done(flags.mountpoint ? this.#traverse(cur) : cur, flags);
  }

  /**
   * A use of a mount clears its expiry mark (mntput); umount's own lookup
   * does not (it drops its reference with mntput_no_expire).
   */
  #done(p: Path, flags: WalkFlags): Path {
    if (!flags.mountpoint) p.mnt.expiry = false;
    return p;
  }

  /** Resolves a path to (mount, dentry). */
  resolve(path: PathArg, follow = true): Path {
    return this.#walk(path, "lookup", { follow });
  }

  // ---------------------------------------------------------------- helpers

  #check(m: Mount): boolean {
    return m.ns === this.ns;
  }

  #writable(p: Path, syscall: string, path: PathArg): void {
    if ((p.mnt.flags & MF.READONLY) || p.mnt.fs.readonly) fail("EROFS", syscall, show(path));
  }

  /** A dentry is a mountpoint of some mount in this task's namespace. */
  #localMountpoint(fs: Filesystem, dentry: number): boolean {
    // the mounts on that dentry, not every mount of the namespace: an unlink
    // or rmdir must not cost O(mounts)
    const on = mountpointIndex(fs, dentry, false);
    if (on === undefined) return false;
    for (const m of on) if (m.ns === this.ns) return true;
    return false;
  }

  /** Whether (m, d) is at or below `root`: `is_path_reachable`. */
  #reachable(m: Mount, d: number, root: Path): boolean {
    let mnt = m;
    let dentry = d;
    while (mnt !== root.mnt) {
      if (mnt.parent === null) return false;
      dentry = mnt.mountpoint;
      mnt = mnt.parent;
    }
    return isSubdir(mnt.fs, dentry, root.dentry);
  }

  /** `lock_mount`: the topmost mount stacked on `p`, checked. */
  #lockMount(p: Path, syscall: string, path: PathArg): Path {
    const top = this.#traverse(p);
    if (top.mnt.fs.dead(top.dentry)) {
      fail("ENOENT", syscall, show(path), "the mountpoint was removed");
    }
    if (top.mnt.ns === null) fail("ENOENT", syscall, show(path), "not mounted");
    if (this.kernel.behaviour.order === "newest" && !this.#check(top.mnt)) {
      fail("ENOENT", syscall, show(path), "the target is in another mount namespace");
    }
    return top;
  }

  /** Attaches `m` (a detached tree) at `where`, propagating to its peers. */
  #attach(m: Mount, where: Path, ns: MountNamespace, moving: boolean): void {
    const parent = where.mnt;
    const copies: [Mount, Path][] = [];
    if (parent.peers !== null || parent.master !== null) {
      // the mounts that receive events from `parent`: its peers and slaves
      for (const target of receivers(parent)) {
        if (target === parent) continue;
        if (!isSubdir(target.fs, where.dentry, target.root) || target.ns === null) continue;
        const copy = copyTree(this.kernel, m, m.root, { skipUnbindable: true });
        const loc = this.#traverse({ mnt: target, dentry: where.dentry });
        copies.push([copy, loc]);
      }
    }
    if (parent.peers !== null) {
      // a tree attached under a shared mount is shared
      for (const x of m.subtree()) {
        if (x.peers === null && !x.unbindable) {
          const g = this.kernel.newGroup();
          x.peers = g;
          g.members.add(x);
        }
      }
    }
    link(m, where);
    for (const x of m.subtree()) {
      if (!moving || x.ns !== ns) {
        x.ns = ns;
        ns.mounts.add(x);
      }
    }
    for (const [copy, loc] of copies) {
      const recvShared = loc.mnt.peers !== null;
      for (const [orig, cp] of zipTrees(m, copy)) {
        if (parent.peers !== null && orig.peers !== null && peersOf(loc.mnt, parent)) {
          cp.peers = orig.peers;
          orig.peers.members.add(cp);
        } else if (orig.peers !== null) {
          // a copy on a non-peer receives as a slave only (CL_SLAVE): it
          // leaves the group its clone joined when `orig` was already shared
          leaveGroups(cp);
          cp.master = orig.peers;
          orig.peers.slaves.add(cp);
          if (recvShared) {
            const g = this.kernel.newGroup();
            cp.peers = g;
            g.members.add(cp);
          }
        }
      }
      link(copy, loc);
      for (const x of copy.subtree()) {
        x.ns = loc.mnt.ns;
        loc.mnt.ns!.mounts.add(x);
      }
    }
  }

  #countCheck(extra: number, syscall: string): void {
    if (this.ns.mounts.size + extra > this.ns.mountMax) fail("ENOSPC", syscall);
  }

  /** `graft_tree`. */
  #graft(m: Mount, where: Path, syscall: string, path: PathArg): void {
    if (m.fs.noUser) fail("EINVAL", syscall, show(path), "SB_NOUSER");
    if (this.#isDir(where) !== (m.fs.stat(m.root).type === "d")) {
      fail("ENOTDIR", syscall, show(path));
    }
    this.#countCheck(m.subtree().length, syscall);
    this.#attach(m, where, this.ns, false);
  }

  /** Attaches a new mount at `where` as the kernel does internally (no checks). */
  adopt(m: Mount, where: Path): void {
    this.#attach(m, this.#traverse(where), this.ns, false);
  }

  // ---------------------------------------------------------------- mount(2)

  /**
   * mount(2).
   * @throws {FsError} with the errno of spec/mounts.md §2–§4 and §8
   */
  mount(
    source: PathArg | undefined,
    target: PathArg,
    fstype: string | undefined,
    flags: number,
    data?: string,
  ): void {
    const sc = "mount";
    const where = this.#walk(target, sc, { follow: true });
    let f = flags >>> 0;
    if (((f & 0xffff0000) >>> 0) === 0xc0ed0000) f &= 0xffff;
    if (f & MS.NOUSER) fail("EINVAL", sc, show(target), "MS_NOUSER");
    let mf = 0;
    if (!(f & MS.NOATIME)) mf |= MF.RELATIME;
    if (f & MS.NOSUID) mf |= MF.NOSUID;
    if (f & MS.NODEV) mf |= MF.NODEV;
    if (f & MS.NOEXEC) mf |= MF.NOEXEC;
    if (f & MS.NOATIME) mf |= MF.NOATIME;
    if (f & MS.NODIRATIME) mf |= MF.NODIRATIME;
    if (f & MS.STRICTATIME) mf &= ~(MF.RELATIME | MF.NOATIME);
    if (f & MS.RDONLY) mf |= MF.READONLY;
    if (f & MS.NOSYMFOLLOW) mf |= MF.NOSYMFOLLOW;
    // a remount that names no atime flag keeps the mount's own
    if ((f & MS.REMOUNT) && !(f & (MS.NOATIME | MS.NODIRATIME | MS.RELATIME | MS.STRICTATIME))) {
      const atime = MF.NOATIME | MF.NODIRATIME | MF.RELATIME;
      mf = (mf & ~atime) | (where.mnt.flags & atime);
    }
    if ((f & (MS.REMOUNT | MS.BIND)) === (MS.REMOUNT | MS.BIND)) {
      if (!this.#check(where.mnt)) fail("EINVAL", sc, show(target));
      if (where.dentry !== where.mnt.root) fail("EINVAL", sc, show(target), "not a mount root");
      if (where.mnt.locked && (where.mnt.flags & MF.READONLY) && !(mf & MF.READONLY)) {
        fail("EPERM", sc, show(target));
      }
      where.mnt.flags = mf;
    } else if (f & MS.REMOUNT) {
      if (!this.#check(where.mnt)) fail("EINVAL", sc, show(target));
      if (where.dentry !== where.mnt.root) fail("EINVAL", sc, show(target), "not a mount root");
      where.mnt.fs.reconfigure(data);
      if (f & MS.RDONLY) this.#remountReadonly(where.mnt.fs, sc, target);
      else where.mnt.fs.readonly = false;
      where.mnt.flags = mf;
    } else if (f & MS.BIND) {
      this.#bind(where, source, (f & MS.REC) !== 0, target);
    } else if (f & PROPAGATION) {
      this.#changeType(where, f, target);
    } else if (f & MS.MOVE) {
      this.#move(source, where, target);
    } else {
      this.#newMount(where, source, fstype, mf, f, data, target);
    }
  }

  #newMount(
    where: Path,
    source: PathArg | undefined,
    fstype: string | undefined,
    mf: number,
    f: number,
    data: string | undefined,
    target: PathArg,
  ): void {
    const sc = "mount";
    if (fstype === undefined) fail("EINVAL", sc, show(target), "no filesystem type");
    const factory = this.kernel.types.get(fstype);
    if (factory === undefined) {
      fail("ENODEV", sc, show(target), `unknown filesystem type "${fstype}"`);
    }
    const src = source === undefined ? undefined : show(source);
    const fs = this.kernel.register(factory(src, data));
    const m = this.kernel.newMount(fs, fs.root, src ?? "none");
    try {
      const loc = this.#lockMount(where, sc, target);
      if (!this.#check(loc.mnt)) fail("EINVAL", sc, show(target), "not in this mount namespace");
      if (loc.mnt.fs === fs && loc.mnt.root === loc.dentry) fail("EBUSY", sc, show(target));
      if (fs.stat(fs.root).type === "l") fail("EINVAL", sc, show(target));
      m.flags = mf;
      if (f & MS.RDONLY) fs.readonly = true;
      this.#graft(m, loc, sc, target);
    } catch (e) {
      m.ns = null;
      this.kernel.reap(m);
      throw e;
    }
  }

  #bind(where: Path, source: PathArg | undefined, rec: boolean, target: PathArg): void {
    const sc = "mount";
    if (source === undefined || toBytes(source).length === 0) {
      fail("EINVAL", sc, show(target), "no source");
    }
    const old = this.#walk(source, sc, { follow: true });
    const nsTarget = (old.mnt.fs as { nsTarget?: (d: number) => MountNamespace | undefined })
      .nsTarget?.(
        old.dentry,
      );
    if (nsTarget !== undefined && nsTarget.seq <= this.ns.seq) {
      fail("EINVAL", sc, show(source), "a mount namespace file of a namespace not newer than ours");
    }
    const loc = this.#lockMount(where, sc, target);
    if (!this.#check(loc.mnt)) fail("EINVAL", sc, show(target), "not in this mount namespace");
    if (old.mnt.unbindable) fail("EINVAL", sc, show(source), "unbindable");
    const nsfs = old.mnt.fs.fstype === "nsfs";
    if (!this.#check(old.mnt) && !nsfs) {
      fail("EINVAL", sc, show(source), "not in this mount namespace");
    }
    if (!rec && hasLockedChildren(old.mnt, old.dentry)) fail("EINVAL", sc, show(source));
    let m: Mount;
    if (rec) {
      m = copyTree(this.kernel, old.mnt, old.dentry, { skipUnbindable: true, checkLocked: true });
    } else {
      m = cloneMount(this.kernel, old.mnt, old.dentry);
    }
    m.locked = false;
    try {
      this.#graft(m, loc, sc, target);
    } catch (e) {
      // the clones joined their sources' peer groups and masters: a failed
      // graft leaves them again (umount_tree makes them private), or the
      // groups keep members that are mounted nowhere
      for (const x of m.subtree()) {
        x.ns = null;
        leaveGroups(x);
      }
      this.kernel.reap(m);
      throw e;
    }
  }

  #changeType(where: Path, f: number, target: PathArg): void {
    const sc = "mount";
    if (where.dentry !== where.mnt.root) fail("EINVAL", sc, show(target), "not a mount root");
    const kinds = f & ~(MS.REC | MS.SILENT);
    if (![MS.SHARED, MS.PRIVATE, MS.SLAVE, MS.UNBINDABLE].includes(kinds)) {
      fail("EINVAL", sc, show(target), "exactly one propagation type");
    }
    if (this.kernel.behaviour.order === "newest" && !this.#check(where.mnt)) {
      fail("EINVAL", sc, show(target), "not in this mount namespace");
    }
    const list = (f & MS.REC) ? where.mnt.subtree() : [where.mnt];
    for (const m of list) setPropagation(this.kernel, m, kinds);
  }

  #move(source: PathArg | undefined, where: Path, target: PathArg): void {
    const sc = "mount";
    if (source === undefined || toBytes(source).length === 0) {
      fail("EINVAL", sc, show(target), "no source");
    }
    const from = this.#walk(source, sc, { follow: true });
    const old = from.mnt;
    if (from.dentry !== old.root) fail("EINVAL", sc, show(source), "not a mount root");
    if (this.#isDir(where) !== this.#isDir(from)) fail("EINVAL", sc, show(target));
    const loc = this.#lockMount(where, sc, target);
    if (this.#check(old)) {
      if (old.parent === null) fail("EINVAL", sc, show(source), "the namespace root has no parent");
      if (old.locked) fail("EINVAL", sc, show(source), "locked");
      if (old.parent.peers !== null) fail("EINVAL", sc, show(source), "its parent is shared");
      if (!this.#check(loc.mnt)) fail("EINVAL", sc, show(target), "not in this mount namespace");
    } else {
      fail("EINVAL", sc, show(source), "not in this mount namespace");
    }
    if (loc.mnt.peers !== null && old.subtree().some((x) => x.unbindable)) {
      fail("EINVAL", sc, show(source), "an unbindable mount under a shared one");
    }
    for (let p: Mount | null = loc.mnt; p !== null; p = p.parent) {
      if (p === old) fail("ELOOP", sc, show(target), "the target is inside the mount being moved");
    }
    unlink(old);
    old.expiry = false;
    this.#attach(old, loc, this.ns, true);
  }

  // ---------------------------------------------------------------- umount2

  /**
   * umount2(2).
   * @throws {FsError} with the errno of spec/mounts.md §5
   */
  umount2(target: PathArg, flags = 0): void {
    const sc = "umount2";
    if (flags & ~(MNT.FORCE | MNT.DETACH | MNT.EXPIRE | MNT.NOFOLLOW)) {
      fail("EINVAL", sc, show(target));
    }
    const p = this.#walk(target, sc, { follow: !(flags & MNT.NOFOLLOW), mountpoint: true });
    const m = p.mnt;
    if (p.dentry !== m.root) fail("EINVAL", sc, show(target), "not a mount point");
    if (!this.#check(m)) fail("EINVAL", sc, show(target), "not in this mount namespace");
    if (m.locked) fail("EINVAL", sc, show(target), "locked");
    if (flags & MNT.EXPIRE) {
      if (m === this.fs.root.mnt || (flags & (MNT.FORCE | MNT.DETACH))) {
        fail("EINVAL", sc, show(target));
      }
      if (m.refs > 0 || m.children.size > 0) fail("EBUSY", sc, show(target));
      if (!m.expiry) {
        m.expiry = true;
        fail("EAGAIN", sc, show(target), "marked for expiry");
      }
    }
    if (m === this.fs.root.mnt && !(flags & MNT.DETACH)) {
      // unmounting your own root remounts it read-only
      this.#remountReadonly(m.fs, sc, target);
      return;
    }
    if (m.parent === null) fail("EINVAL", sc, show(target), "the namespace root");
    if (flags & MNT.DETACH) {
      this.#umountTree(m, true);
      return;
    }
    if (propagateBusy(m)) fail("EBUSY", sc, show(target));
    this.#umountTree(m, false);
  }

  #umountTree(m: Mount, lazy: boolean): void {
    const victims = new Set<Mount>(m.subtree());
    // propagated copies on the parent's peers and slaves
    if (m.parent !== null) {
      for (const r of receivers(m.parent)) {
        if (r === m.parent) continue;
        const c = r.topAt(m.mountpoint);
        if (c === undefined || c.fs !== m.fs || c.root !== m.root) continue;
        if (!lazy && c.children.size > 0) continue;
        for (const x of c.subtree()) victims.add(x);
      }
    }
    for (const x of victims) {
      if (x.ns !== null) x.ns.mounts.delete(x);
      x.ns = null;
      leaveGroups(x);
    }
    for (const x of victims) {
      // disconnect_mount(): a lazily unmounted child stays connected to its
      // unmounted parent only when it is locked
      if (x.parent !== null && (!lazy || !victims.has(x.parent) || !x.locked)) unlink(x);
    }
    for (const x of victims) this.kernel.reap(x);
  }

  /**
   * A superblock goes read-only only when no removed inode is still in use
   * (`sb_prepare_remount_readonly`: `s_remove_count` → EBUSY).
   */
  #remountReadonly(fs: Filesystem, syscall: string, target: PathArg): void {
    if (fs.readonly) return;
    const dead = (p: Path) => p.mnt.fs === fs && fs.dead(p.dentry);
    for (const t of this.kernel.tasks) {
      if (dead(t.fs.root) || dead(t.fs.pwd)) {
        fail("EBUSY", syscall, show(target), "a removed inode is in use");
      }
      for (const h of t.fds.values()) {
        if (dead(h.path)) fail("EBUSY", syscall, show(target), "a removed inode is in use");
      }
    }
    for (const ns of this.kernel.namespaces) {
      for (const m of ns.mounts) {
        if (dead({ mnt: m, dentry: m.root })) {
          fail("EBUSY", syscall, show(target), "a removed inode is in use");
        }
      }
    }
    fs.readonly = true;
  }

  // ---------------------------------------------------------------- pivot_root

  /**
   * pivot_root(2): the 16 checks of spec/mounts.md §6 in order.
   * @throws {FsError} ENOENT, ENOTDIR, EINVAL, EBUSY
   */
  pivotRoot(newRoot: PathArg, putOld: PathArg): void {
    const sc = "pivot_root";
    const nw = this.#walk(newRoot, sc, { follow: true, directory: true });
    const old = this.#walk(putOld, sc, { follow: true, directory: true });
    const root = this.fs.root;
    const L = this.#lockMount(old, sc, putOld);
    const N = nw.mnt;
    const O = root.mnt;
    const sharedParent = (m: Mount) => (m.parent ?? m).peers !== null;
    if (L.mnt.peers !== null || sharedParent(N) || sharedParent(O)) {
      fail("EINVAL", sc, show(newRoot), "shared");
    }
    if (!this.#check(O) || !this.#check(N)) {
      fail("EINVAL", sc, show(newRoot), "not in this mount namespace");
    }
    if (N.locked) fail("EINVAL", sc, show(newRoot), "locked");
    if (N.fs.dead(nw.dentry)) fail("ENOENT", sc, show(newRoot), "removed");
    if (N === O || L.mnt === O) fail("EBUSY", sc, show(newRoot), "on the same mount as the root");
    if (root.dentry !== O.root) fail("EINVAL", sc, show(newRoot), "the root is not a mount root");
    if (O.parent === null) fail("EINVAL", sc, show(newRoot), "the root mount has no parent");
    if (nw.dentry !== N.root) fail("EINVAL", sc, show(newRoot), "not a mount point");
    if (N.parent === null) fail("EINVAL", sc, show(newRoot), "new_root has no parent");
    if (!this.#reachable(L.mnt, L.dentry, nw)) {
      fail("EINVAL", sc, show(putOld), "not under new_root");
    }
    if (!this.#reachable(N, nw.dentry, root)) {
      fail("EINVAL", sc, show(newRoot), "not under the root");
    }
    const rootParent = O.parent;
    const rootMp = O.mountpoint;
    if (O.locked) {
      N.locked = true;
      O.locked = false;
    }
    unlink(N);
    unlink(O);
    link(O, L);
    link(N, { mnt: rootParent, dentry: rootMp });
    N.expiry = false;
    // every task whose root or cwd was exactly the old root follows
    const newPath: Path = { mnt: N, dentry: nw.dentry };
    for (const t of this.kernel.tasks) {
      if (same(t.fs.root, root)) t.#setRoot(newPath);
      if (same(t.fs.pwd, root)) t.#setPwd(newPath);
    }
  }

  #setRoot(p: Path): void {
    const old = this.fs.root;
    this.fs.root = hold({ ...p });
    this.#drop(old);
  }
  #setPwd(p: Path): void {
    const old = this.fs.pwd;
    this.fs.pwd = hold({ ...p });
    this.#drop(old);
  }
  #drop(p: Path): void {
    p.mnt.fs.put(p.dentry);
    this.kernel.release(p.mnt);
  }

  // ---------------------------------------------------------------- chroot, chdir, unshare

  /** chroot(2). */
  chroot(path: PathArg): void {
    this.#setRoot(this.#walk(path, "chroot", { follow: true, directory: true }));
  }

  /** chdir(2). */
  chdir(path: PathArg): void {
    this.#setPwd(this.#walk(path, "chdir", { follow: true, directory: true }));
  }

  /** unshare(CLONE_NEWNS): copies the whole tree; root and cwd move to the copies. */
  unshare(): void {
    const old = this.ns;
    const map = new Map<Mount, Mount>();
    const copy = copyTree(this.kernel, old.root, old.root.root, {
      skipMntNs: true,
      keepUnbindable: this.kernel.behaviour.order === "6.x",
      sharedJoin: true,
      map,
    });
    const ns = this.kernel.newNamespace(copy);
    const tr = (p: Path): Path => ({ mnt: map.get(p.mnt) ?? p.mnt, dentry: p.dentry });
    const fsc = new FsContext(hold(tr(this.fs.root)), hold(tr(this.fs.pwd)));
    const prev = this.fs;
    this.fs = fsc;
    this.#drop(prev.root);
    this.#drop(prev.pwd);
    this.ns = ns;
  }

  /** getcwd(2): ENOENT when the cwd is removed or outside the root. */
  getcwd(): string {
    const pwd = this.fs.pwd;
    if (pwd.mnt.fs.dead(pwd.dentry)) fail("ENOENT", "getcwd");
    const p = this.pathOf(pwd);
    if (p === undefined) fail("ENOENT", "getcwd", undefined, "outside the root");
    return p;
  }

  /** The path of `p` as seen from this task's root, or undefined when unreachable. */
  pathOf(p: Path): string | undefined {
    const parts: Uint8Array[] = [];
    const root = this.fs.root;
    let mnt = p.mnt;
    let d = p.dentry;
    for (;;) {
      if (mnt === root.mnt && d === root.dentry) break;
      if (d === mnt.root) {
        if (mnt.parent === null) return undefined;
        d = mnt.mountpoint;
        mnt = mnt.parent;
        continue;
      }
      parts.push(mnt.fs.name(d));
      d = mnt.fs.parent(d);
    }
    if (parts.length === 0) return "/";
    return parts.reverse().map((x) => "/" + latin1.decode(x)).join("");
  }

  // ---------------------------------------------------------------- files

  #create(path: PathArg, syscall: string): Parent {
    const p = this.#walk(path, syscall, { follow: false }, true);
    if (p.kind !== "norm") fail("EEXIST", syscall, show(path));
    return p;
  }

  /** mkdir(2). */
  mkdir(path: PathArg, mode = 0o755): void {
    const p = this.#create(path, "mkdir");
    if (p.dir.mnt.fs.lookup(p.dir.dentry, p.name) !== 0) fail("EEXIST", "mkdir", show(path));
    this.#writable(p.dir, "mkdir", path);
    p.dir.mnt.fs.mkdir(p.dir.dentry, p.name, mode);
  }

  /** symlink(2). */
  symlink(target: PathArg, path: PathArg): void {
    const t = toBytes(target);
    if (t.length === 0) fail("ENOENT", "symlink", show(path));
    const p = this.#create(path, "symlink");
    if (p.trailing) fail("ENOENT", "symlink", show(path));
    if (p.dir.mnt.fs.lookup(p.dir.dentry, p.name) !== 0) fail("EEXIST", "symlink", show(path));
    this.#writable(p.dir, "symlink", path);
    p.dir.mnt.fs.symlink(p.dir.dentry, p.name, t);
  }

  /** link(2) (does not follow `oldPath`). */
  link(oldPath: PathArg, newPath: PathArg): void {
    const o = this.#walk(oldPath, "link", { follow: false });
    const p = this.#create(newPath, "link");
    if (p.dir.mnt.fs.lookup(p.dir.dentry, p.name) !== 0) fail("EEXIST", "link", show(newPath));
    if (o.mnt !== p.dir.mnt) fail("EXDEV", "link", show(newPath));
    this.#writable(p.dir, "link", newPath);
    p.dir.mnt.fs.link(o.dentry, p.dir.dentry, p.name);
  }

  #removal(path: PathArg, syscall: string, dir: boolean): Parent {
    const p = this.#walk(path, syscall, { follow: false }, true);
    if (p.kind !== "norm") {
      if (!dir) fail("EISDIR", syscall, show(path));
      fail(
        p.kind === "dot" ? "EINVAL" : p.kind === "dotdot" ? "ENOTEMPTY" : "EBUSY",
        syscall,
        show(path),
      );
    }
    this.#writable(p.dir, syscall, path);
    const c = p.dir.mnt.fs.lookup(p.dir.dentry, p.name);
    if (c === 0) fail("ENOENT", syscall, show(path));
    const type = p.dir.mnt.fs.stat(c).type;
    if (dir && type !== "d") fail("ENOTDIR", syscall, show(path));
    if (!dir && type === "d") fail("EISDIR", syscall, show(path));
    if (!dir && p.trailing) fail("ENOTDIR", syscall, show(path));
    if (this.#localMountpoint(p.dir.mnt.fs, c)) fail("EBUSY", syscall, show(path));
    return p;
  }

  /** unlink(2). */
  unlink(path: PathArg): void {
    const p = this.#removal(path, "unlink", false);
    p.dir.mnt.fs.unlink(p.dir.dentry, p.name);
  }

  /** rmdir(2). */
  rmdir(path: PathArg): void {
    const p = this.#removal(path, "rmdir", true);
    p.dir.mnt.fs.rmdir(p.dir.dentry, p.name);
  }

  /** rename(2). */
  rename(oldPath: PathArg, newPath: PathArg): void {
    const sc = "rename";
    const o = this.#walk(oldPath, sc, { follow: false }, true);
    const n = this.#walk(newPath, sc, { follow: false }, true);
    if (o.dir.mnt !== n.dir.mnt) fail("EXDEV", sc, show(newPath));
    if (o.kind !== "norm") fail("EBUSY", sc, show(oldPath));
    if (n.kind !== "norm") fail("EBUSY", sc, show(newPath));
    this.#writable(o.dir, sc, oldPath);
    const fs = o.dir.mnt.fs;
    const oc = fs.lookup(o.dir.dentry, o.name);
    if (oc === 0) fail("ENOENT", sc, show(oldPath));
    const nc = fs.lookup(n.dir.dentry, n.name);
    if (this.#localMountpoint(fs, oc) || (nc !== 0 && this.#localMountpoint(fs, nc))) {
      fail("EBUSY", sc, show(oldPath));
    }
    fs.rename(o.dir.dentry, o.name, n.dir.dentry, n.name);
  }

  /** open(O_WRONLY|O_CREAT[|O_TRUNC]): the path of the (new) regular file. */
  #openCreate(path: PathArg, mode: number, excl = false): Path {
    const sc = "open";
    const p = this.#walk(path, sc, { follow: true }, true);
    let at: Path;
    if (p.kind !== "norm") {
      at = this.#walk(path, sc, { follow: true });
    } else {
      const c = p.dir.mnt.fs.lookup(p.dir.dentry, p.name);
      if (c === 0) {
        if (p.trailing) fail("EISDIR", sc, show(path));
        this.#writable(p.dir, sc, path);
        const d = p.dir.mnt.fs.create(p.dir.dentry, p.name, mode);
        return { mnt: p.dir.mnt, dentry: d };
      }
      if (excl) fail("EEXIST", sc, show(path));
      at = this.#walk(path, sc, { follow: true });
    }
    const type = at.mnt.fs.stat(at.dentry).type;
    if (type === "d") fail("EISDIR", sc, show(path));
    this.#writable(at, sc, path);
    return at;
  }

  /** Creates a file if needed (`touch`); with `excl`, EEXIST if it exists (O_EXCL). */
  touch(path: PathArg, mode = 0o644, excl = false): void {
    this.#openCreate(path, mode, excl);
  }

  /** Writes `n` bytes to a (new or truncated) file; returns the count and any error. */
  write(path: PathArg, n: number): { written: number; error: Errno | undefined } {
    const at = this.#openCreate(path, 0o644);
    if (at.mnt.fs.stat(at.dentry).type !== "f") return { written: 0, error: "EINVAL" };
    return at.mnt.fs.write(at.dentry, n, true);
  }

  /** open(O_RDONLY): a descriptor that holds the mount busy. */
  open(path: PathArg): number {
    const p = hold(this.#walk(path, "open", { follow: true }));
    p.mnt.fs.open(p.dentry);
    let fd = 3;
    while (this.fds.has(fd)) fd++;
    this.fds.set(fd, { path: p });
    return fd;
  }

  /** Closes a descriptor. */
  close(fd: number): void {
    const h = this.fds.get(fd);
    if (h === undefined) fail("EBADF", "close");
    this.fds.delete(fd);
    h.path.mnt.fs.close(h.path.dentry);
    this.#drop(h.path);
  }

  /** lstat(2). */
  lstat(path: PathArg): Stat {
    const p = this.#walk(path, "lstat", { follow: false });
    return p.mnt.fs.stat(p.dentry);
  }

  /** statfs(2) of the filesystem `path` is on. */
  statfs(path: PathArg): ReturnType<Filesystem["statfs"]> {
    const p = this.#walk(path, "statfs", { follow: true });
    return p.mnt.fs.statfs();
  }

  /** Names in a directory (unsorted). */
  readdir(path: PathArg): Uint8Array[] {
    const p = this.#walk(path, "open", { follow: true, directory: true });
    return p.mnt.fs.list(p.dentry);
  }

  // ---------------------------------------------------------------- mountinfo

  /**
   * `pathOf` of a mount's root ("" for this task's root, null when it cannot
   * be reached), each mount's path computed once per listing in `memo`.
   */
  #rootPath(m: Mount, memo: Map<Mount, string | null>): string | null {
    const root = this.fs.root;
    const pending: [Mount, string][] = [];
    let base: string | null;
    let x = m;
    for (;;) {
      const known = memo.get(x);
      if (known !== undefined) {
        base = known;
        break;
      }
      if (x === root.mnt && x.root === root.dentry) {
        base = "";
        memo.set(x, base);
        break;
      }
      const p = x.parent;
      if (p === null) {
        base = null;
        memo.set(x, base);
        break;
      }
      // the names from the mountpoint up to the parent's root (or our root)
      const parts: string[] = [];
      let d = x.mountpoint;
      let atRoot = false;
      for (;;) {
        if (p === root.mnt && d === root.dentry) {
          atRoot = true;
          break;
        }
        if (d === p.root) break;
        parts.push("/" + latin1.decode(p.fs.name(d)));
        d = p.fs.parent(d);
      }
      const rel = parts.reverse().join("");
      if (atRoot) {
        base = rel;
        memo.set(x, base);
        break;
      }
      pending.push([x, rel]);
      x = p;
    }
    for (let k = pending.length - 1; k >= 0; k--) {
      const [y, rel] = pending[k]!;
      if (base !== null) base += rel;
      memo.set(y, base);
    }
    return base;
  }

  /** `/proc/self/mountinfo` of this task. */
  mountinfo(): string[] {
    const out: string[] = [];
    const mounts = [...this.ns.mounts].sort((a, b) => a.seq - b.seq);
    // memoized for this listing: with 10,000 mounts, walking every mount's
    // path to the root and decoding each name again dominated the cost
    const paths = new Map<Mount, string | null>();
    const roots = new Map<Filesystem, Map<number, string>>();
    const supers = new Map<Filesystem, string>();
    for (const m of mounts) {
      const at = this.#rootPath(m, paths);
      if (at === null) continue;
      const where = at === "" ? "/" : at;
      let byRoot = roots.get(m.fs);
      if (byRoot === undefined) roots.set(m.fs, byRoot = new Map());
      let rootPath = byRoot.get(m.root);
      if (rootPath === undefined) byRoot.set(m.root, rootPath = mangle(dentryPath(m.fs, m.root)));
      let superOpts = supers.get(m.fs);
      if (superOpts === undefined) {
        const sopts = m.fs.superOptions();
        superOpts = (m.fs.readonly ? "ro" : "rw") + (sopts === "" ? "" : "," + sopts);
        supers.set(m.fs, superOpts);
      }
      const parentId = m.parent === null ? m.id : m.parent.id;
      let opts = (m.flags & MF.READONLY) ? "ro" : "rw";
      for (const [bit, s] of MNT_OPTS) if (m.flags & bit) opts += s;
      const optional: string[] = [];
      if (m.peers !== null) optional.push(`shared:${m.peers.id}`);
      if (m.master !== null) optional.push(`master:${m.master.id}`);
      if (m.unbindable) optional.push("unbindable");
      out.push(
        [
          m.id,
          parentId,
          m.fs.dev,
          rootPath,
          mangle(where),
          opts,
          ...optional,
          "-",
          m.fs.fstype,
          mangle(m.source),
          superOpts,
        ].join(" "),
      );
    }
    return out;
  }
}

/** Escapes space, tab, newline and backslash as mountinfo does (`\ooo`). */
export function mangle(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => "\\" + c.charCodeAt(0).toString(8).padStart(3, "0"));
}

/** The path of a dentry inside its filesystem (`//deleted` once removed). */
export function dentryPath(fs: Filesystem, d: number): string {
  const named = (fs as { pathName?: (d: number) => string }).pathName;
  if (named !== undefined && d !== fs.root) return named.call(fs, d);
  const parts: string[] = [];
  let cur = d;
  const dead = fs.dead(d);
  while (cur !== fs.root) {
    parts.push(latin1.decode(fs.name(cur)));
    const p = fs.parent(cur);
    if (p === cur) break;
    cur = p;
  }
  const path = "/" + parts.reverse().join("/");
  return dead ? path + "//deleted" : path;
}

function isSubdir(fs: Filesystem, d: number, ancestor: number): boolean {
  let cur = d;
  for (;;) {
    if (cur === ancestor) return true;
    const p = fs.parent(cur);
    if (p === cur) return false;
    cur = p;
  }
}

/**
 * The mounts attached on each dentry, by the parent's filesystem (what
 * `d_mountpoint` answers in the kernel), kept by `link` and `unlink`.
 */
const MOUNTPOINTS = new WeakMap<Filesystem, Map<number, Set<Mount>>>();

function mountpointIndex(fs: Filesystem, dentry: number, create: true): Set<Mount>;
function mountpointIndex(fs: Filesystem, dentry: number, create: false): Set<Mount> | undefined;
function mountpointIndex(fs: Filesystem, dentry: number, create: boolean): Set<Mount> | undefined {
  let byDentry = MOUNTPOINTS.get(fs);
  if (byDentry === undefined) {
    if (!create) return undefined;
    byDentry = new Map();
    MOUNTPOINTS.set(fs, byDentry);
  }
  let on = byDentry.get(dentry);
  if (on === undefined && create) {
    on = new Set();
    byDentry.set(dentry, on);
  }
  return on;
}

function link(m: Mount, where: Path): void {
  m.parent = where.mnt;
  m.mountpoint = where.dentry;
  where.mnt.fs.get(where.dentry);
  where.mnt.children.add(m);
  mountpointIndex(where.mnt.fs, where.dentry, true).add(m);
  const stack = where.mnt.at.get(where.dentry);
  if (stack === undefined) where.mnt.at.set(where.dentry, [m]);
  else stack.push(m);
}

function unlink(m: Mount): void {
  const p = m.parent;
  if (p === null) return;
  p.children.delete(m);
  const on = mountpointIndex(p.fs, m.mountpoint, false);
  on?.delete(m);
  if (on?.size === 0) MOUNTPOINTS.get(p.fs)!.delete(m.mountpoint);
  const stack = p.at.get(m.mountpoint)!;
  stack.splice(stack.indexOf(m), 1);
  if (stack.length === 0) p.at.delete(m.mountpoint);
  p.fs.put(m.mountpoint);
  m.parent = null;
  m.mountpoint = 0;
}

/** The mounts that receive mount events from `m`: its peers and, recursively, slaves. */
function receivers(m: Mount): Mount[] {
  const out: Mount[] = [m];
  const seen = new Set<Mount>([m]);
  const queue: Mount[] = [m];
  while (queue.length > 0) {
    const x = queue.shift()!;
    const groups = x.peers === null ? [] : [x.peers];
    for (const g of groups) {
      for (const y of [...g.members, ...g.slaves]) {
        if (seen.has(y)) continue;
        seen.add(y);
        out.push(y);
        queue.push(y);
      }
    }
  }
  return out;
}

function peersOf(a: Mount, b: Mount): boolean {
  return a.peers !== null && a.peers === b.peers;
}

function propagateBusy(m: Mount): boolean {
  if (m.refs > 0 || m.children.size > 0) return true;
  if (m.parent === null) return false;
  for (const r of receivers(m.parent)) {
    if (r === m.parent) continue;
    const c = r.topAt(m.mountpoint);
    if (c === undefined || c.children.size > 0) continue;
    if (c.refs > 0) return true;
  }
  return false;
}

function leaveGroups(m: Mount): void {
  if (m.peers !== null) {
    m.peers.members.delete(m);
    m.peers = null;
  }
  if (m.master !== null) {
    m.master.slaves.delete(m);
    m.master = null;
  }
}

function setPropagation(kernel: Kernel, m: Mount, type: number): void {
  if (type === MS.SHARED) {
    if (m.peers === null) {
      const g = kernel.newGroup();
      g.members.add(m);
      m.peers = g;
    }
    m.unbindable = false;
    return;
  }
  // make slave / private / unbindable: leave the peer group first
  const g = m.peers;
  let master = m.master;
  if (g !== null) {
    g.members.delete(m);
    m.peers = null;
    if (g.members.size > 0) {
      master = g; // a peer becomes the master
    } else {
      // the group dies: its slaves go to our master
      for (const s of g.slaves) {
        s.master = master;
        master?.slaves.add(s);
      }
      g.slaves.clear();
    }
  }
  if (m.master !== null) m.master.slaves.delete(m);
  m.master = null;
  if (type === MS.SLAVE && master !== null) {
    m.master = master;
    master.slaves.add(m);
  }
  // MS_SLAVE leaves the unbindable flag alone; private and unbindable set it
  if (type !== MS.SLAVE) m.unbindable = type === MS.UNBINDABLE;
}

function hasLockedChildren(m: Mount, d: number): boolean {
  for (const c of m.children) if (c.locked && isSubdir(m.fs, c.mountpoint, d)) return true;
  return false;
}

function cloneMount(kernel: Kernel, old: Mount, root: number): Mount {
  const m = kernel.newMount(old.fs, root, old.source);
  m.flags = old.flags;
  m.locked = old.locked;
  // a bind of a shared mount joins its peer group; of a slave, the same master
  if (old.peers !== null) {
    m.peers = old.peers;
    old.peers.members.add(m);
  } else if (old.master !== null) {
    m.master = old.master;
    old.master.slaves.add(m);
  }
  return m;
}

interface CopyOptions {
  skipUnbindable?: boolean;
  keepUnbindable?: boolean;
  checkLocked?: boolean;
  skipMntNs?: boolean;
  sharedJoin?: boolean;
  map?: Map<Mount, Mount>;
}

/** `copy_tree`: the mount at `root` and every mount below that dentry. */
function copyTree(kernel: Kernel, src: Mount, root: number, o: CopyOptions): Mount {
  const top = cloneMount(kernel, src, root);
  if (o.keepUnbindable) top.unbindable = src.unbindable;
  o.map?.set(src, top);
  const walk = (from: Mount, to: Mount) => {
    for (const c of from.children) {
      if (from === src && !isSubdir(from.fs, c.mountpoint, root)) continue;
      if (c.unbindable && o.skipUnbindable) {
        if (o.checkLocked && c.locked) {
          fail("EPERM", "mount", undefined, "a locked unbindable mount");
        }
        continue;
      }
      if (
        o.skipMntNs && c.fs.fstype === "nsfs" &&
        (c.fs as { nsTarget?: (d: number) => unknown }).nsTarget?.(c.root)
      ) {
        continue;
      }
      const cp = cloneMount(kernel, c, c.root);
      if (o.keepUnbindable) cp.unbindable = c.unbindable;
      o.map?.set(c, cp);
      link(cp, { mnt: to, dentry: c.mountpoint });
      walk(c, cp);
    }
  };
  walk(src, top);
  return top;
}

function* zipTrees(a: Mount, b: Mount): Generator<[Mount, Mount]> {
  const sa = a.subtree();
  const sb = b.subtree();
  for (let k = 0; k < Math.min(sa.length, sb.length); k++) yield [sa[k]!, sb[k]!];
}
