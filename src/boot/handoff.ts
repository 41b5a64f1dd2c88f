// The userspace hand-off from the initramfs root to the real root: what
// util-linux switch_root, busybox switch_root, systemd's switch_root() and
// runc (with and without pivot_root) do, call by call, on a modelled Task
// (spec: boot.md §7, mounts.md §5.1, §6, §9, §10). Every outcome, errors
// included, comes from the mount model; nothing here decides one.
//
// Sources followed (no code taken from them, only their order of calls and
// their messages):
//   util-linux sys-utils/switch_root.c @ d8379563fe5c8a4adba12804abbe20e43a8e1cde
//   busybox util-linux/switch_root.c @ 5c69ad0ecdc18cf51b312c7c82848f4438fe1c8d
//   systemd src/shared/switch-root.c @ 006b3bff17a17236292780fed79aeeea97873832
//     and umount_recursive_full() of src/shared/mount-util.c
//   runc libcontainer/rootfs_linux.go (prepareRoot, pivotRoot, msMoveRoot, chroot)

import { FsError } from "../errors.ts";
import { CoreFs, type Filesystem, MAGIC } from "../vfs/fs.ts";
import { MNT, type Mount, MS, type Path, type Task } from "../vfs/mount.ts";

/** The userspace tools whose root switch is modelled. */
export type HandoffTool = "util-linux" | "busybox" | "systemd" | "runc" | "runc-no-pivot";

/** One system call a tool made, and what the model answered. */
export interface HandoffStep {
  /** The call as C spells it, e.g. `mount("/sysroot", "/", NULL, MS_MOVE)`. */
  call: string;
  /** `"OK"` or the errno name the model returned. */
  result: "OK" | string;
  /** What the tool made of it (a warning, a skipped path, a count). */
  note?: string;
}

/** The mount that was the task's root when the tool started. */
export interface OldRoot {
  /** Its filesystem type (`rootfs` for the initramfs). */
  fstype: string;
  /** Still mounted in the task's namespace. */
  attached: boolean;
  /** Reachable by a path from the task's (new) root. */
  visible: boolean;
  /**
   * Data its superblock still holds: used pages × 4096 for tmpfs/ramfs, 0
   * once the superblock was released (no mount and no open file uses it).
   */
  bytes: number;
  /** Inodes its superblock still holds (0 once released). */
  inodes: number;
}

/** What a hand-off did. */
export interface HandoffResult {
  /** The tool. */
  tool: HandoffTool;
  /** The tool reached its exec. */
  ok: boolean;
  /**
   * The tool's own message when it gave up (lines joined with "\n"), e.g.
   * `failed to mount moving /sysroot to /: Invalid argument`.
   */
  error: string | null;
  /** The system calls in order. */
  steps: HandoffStep[];
  /** The program it executes, when it got that far. */
  exec: { path: string; argv: string[] } | null;
  /** The old root afterwards. */
  oldRoot: OldRoot;
  /** The task's mountinfo afterwards. */
  mountinfo: string[];
}

/** Options of {@linkcode handoff}. */
export interface HandoffOptions {
  /** The init to execute in the new root. @default {"/sbin/init"} */
  init?: string;
  /** Its arguments after argv[0]. @default {[]} */
  args?: string[];
  /** The caller's process id (busybox refuses anything but 1). @default {1} */
  pid?: number;
  /**
   * systemd: where to keep the old root, below the new root (e.g.
   * `/run/initramfs`). Without it the old root is unmounted: `pivot_root(".",
   * ".")` then `umount2(".", MNT_DETACH)`. @default {undefined}
   */
  oldRootAfter?: string;
}

/**
 * Switches `task` from its current root to the filesystem mounted at
 * `newRoot` as `tool` does, running each of the tool's system calls on the
 * model, then records the steps, the old root's fate and the mount table.
 *
 * Tools: `util-linux` and `busybox` (`switch_root`: MS_MOVE over `/`, then
 * chroot, deleting the initramfs contents), `systemd` (pivot_root first,
 * MS_MOVE when that fails), `runc` (a container in a new mount namespace:
 * `pivot_root(".", ".")`) and `runc-no-pivot` (Docker's `DOCKER_RAMDISK`:
 * MS_MOVE and chroot, leaving every host mount in the container's namespace).
 *
 * @param task The process that switches (PID 1 of the initramfs, or runc's init).
 * @param tool Which tool's sequence to run.
 * @param newRoot The new root (`/sysroot`), or the container's rootfs for runc.
 * @param options Init, arguments, pid, and systemd's `oldRootAfter`.
 * @returns The steps and the outcome; a tool's failure is `ok: false` with its message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getProfile, handoff, System, Tmpfs } from "@ramroot/ramroot";
 *
 * const sys = new System(getProfile("linux-7.0"));
 * const task = sys.initramfs(new Tmpfs({ now: 0 }));
 * const disk = sys.addDevice("/dev/sda1", "ext4");
 * disk.add(disk.add(disk.root, "sbin", "d", 0o755), "init", "f", 0o755);
 * task.mkdir("/sysroot");
 * task.mount("/dev/sda1", "/sysroot", "ext4", 0);
 * const r = handoff(task, "systemd", "/sysroot");
 * assert.ok(r.ok);
 * assert.equal(r.oldRoot.attached, false); // pivot_root worked: rootfs is gone
 * ```
 */
export function handoff(
  task: Task,
  tool: HandoffTool,
  newRoot: string,
  options: HandoffOptions = {},
): HandoffResult {
  const init = options.init ?? "/sbin/init";
  const argv = [init, ...(options.args ?? [])];
  const t = new Trace(task);
  // runc's old root is the copy in the container's namespace: the unshare
  // comes first, as runc's clone(CLONE_NEWNS) does
  let old = task.fs.root.mnt;
  let error: string | null;
  try {
    switch (tool) {
      case "util-linux":
        error = utilLinux(t, newRoot, init);
        break;
      case "busybox":
        error = busybox(t, newRoot, init, options.pid ?? 1);
        break;
      case "systemd":
        error = systemd(t, newRoot, init, options.oldRootAfter);
        break;
      case "runc":
      case "runc-no-pivot":
        if (t.call("unshare(CLONE_NEWNS)", () => task.unshare()) !== null) {
          error = "unshare: " + goError("EPERM");
          break;
        }
        old = task.fs.root.mnt;
        error = runc(t, newRoot, init, tool === "runc");
        break;
      default:
        throw new TypeError(`Unknown hand-off tool "${String(tool)}"`);
    }
  } finally {
    t.closeAll();
  }
  return {
    tool,
    ok: error === null,
    error,
    steps: t.steps,
    exec: error === null ? { path: init, argv } : null,
    oldRoot: describeOldRoot(task, old),
    mountinfo: task.mountinfo(),
  };
}

// ---------------------------------------------------------------- recording

/** An errno name: the model's `Errno`, or one only this module produces (`EACCES`, `ENOSYS`). */
type Code = string;

type Outcome<T> = { value: T; code: null } | { value: undefined; code: Code };

/** Runs system calls on the task and records each one. */
class Trace {
  readonly task: Task;
  readonly steps: HandoffStep[] = [];
  readonly #open = new Map<number, string>();

  constructor(task: Task) {
    this.task = task;
  }

  /** One system call; returns its errno name, or null when it succeeded. */
  call(call: string, fn: () => void, note?: string): Code | null {
    return this.get(call, fn, note).code;
  }

  /** One system call with a value. */
  get<T>(call: string, fn: () => T, note?: string): Outcome<T> {
    try {
      const value = fn();
      this.record(call, "OK", note);
      return { value, code: null };
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
      this.record(call, e.code, note);
      return { value: undefined, code: e.code };
    }
  }

  record(call: string, result: string, note?: string): void {
    this.steps.push(note === undefined ? { call, result } : { call, result, note });
  }

  /** Adds a note to the last step. */
  warn(note: string): void {
    const last = this.steps[this.steps.length - 1];
    if (last === undefined) return;
    last.note = last.note === undefined ? note : `${last.note}; ${note}`;
  }

  /** stat(2) (follows): device and type, recorded. */
  stat(path: string): Outcome<{ dev: string; type: string }> {
    return this.get(`stat(${q(path)})`, () => {
      const p = this.task.resolve(path, true);
      return { dev: p.mnt.fs.dev, type: p.mnt.fs.stat(p.dentry).type };
    });
  }

  /** open(2); the descriptor is closed by {@linkcode Trace.closeAll} if the tool does not. */
  open(path: string, name: string): Outcome<number> {
    const r = this.get(
      `${name} = open(${q(path)}, O_RDONLY|O_DIRECTORY)`,
      () => this.task.open(path),
    );
    if (r.code === null) this.#open.set(r.value, name);
    return r;
  }

  close(fd: number, name: string): void {
    if (!this.#open.delete(fd)) return;
    this.call(`close(${name})`, () => this.task.close(fd));
  }

  /** What a tool's exit closes (systemd's `_cleanup_close_`, Go's `defer`). */
  closeAll(): void {
    for (const [fd, name] of [...this.#open]) this.close(fd, name);
  }

  /**
   * fchdir(2). The model has no fchdir, so the cwd is moved with a path that
   * the walk resolves to exactly the descriptor's (mount, dentry): its path
   * from the root, its `/proc/self/fd/N` magic link, or `..` (after
   * `pivot_root(".", ".")` the old root is stacked on the cwd, and `..` from
   * the root follows mounts there). Each candidate is checked first.
   */
  fchdir(fd: number, name: string): Code | null {
    const call = `fchdir(${name})`;
    const h = this.task.fds.get(fd);
    if (h === undefined) {
      this.record(call, "EBADF");
      return "EBADF";
    }
    const candidates = [this.task.pathOf(h.path), `/proc/self/fd/${fd}`, ".."];
    for (const c of candidates) {
      if (c === undefined) continue;
      let p: Path;
      try {
        p = this.task.resolve(c, true);
      } catch {
        continue;
      }
      if (p.mnt === h.path.mnt && p.dentry === h.path.dentry) {
        return this.call(call, () => this.task.chdir(c), `modelled as chdir(${q(c)})`);
      }
    }
    this.record(call, "ENOSYS", "no path reaches this descriptor; fchdir is not modelled");
    return "ENOSYS";
  }

  /** execv(2) of the new init: a regular file with an execute bit, or ENOENT/EACCES. */
  execv(init: string, argv: string[]): Code | null {
    const call = `execv(${q(init)}, [${argv.map(q).join(", ")}])`;
    const r = this.get(call, () => executable(this.task, init));
    if (r.code !== null) return r.code;
    if (r.value) return null;
    this.steps[this.steps.length - 1]!.result = "EACCES";
    return "EACCES";
  }
}

// ---------------------------------------------------------------- util-linux

// util-linux sys-utils/switch_root.c: switchroot() then main()'s access/execv.
function utilLinux(t: Trace, newRoot: string, init: string): string | null {
  const task = t.task;
  const sorry = (msg: string) => `${msg}\nfailed. Sorry.`;
  const root = t.stat("/");
  if (root.code !== null) return sorry(`stat of / failed: ${strerror(root.code)}`);
  const nr = t.stat(newRoot);
  if (nr.code !== null) return sorry(`stat of ${newRoot} failed: ${strerror(nr.code)}`);
  for (const path of ["/dev", "/proc", "/sys", "/run"]) {
    const target = newRoot + path;
    const here = t.stat(path);
    // a plain directory of the old root: nothing mounted to carry over
    if (here.code === null && here.value.dev === root.value.dev) continue;
    const there = t.stat(target);
    if (there.code !== null || there.value.dev !== nr.value.dev) {
      t.call(`umount2(${q(path)}, MNT_DETACH)`, () => task.umount2(path, MNT.DETACH));
      continue;
    }
    const moved = t.call(
      `mount(${q(path)}, ${q(target)}, NULL, MS_MOVE)`,
      () => task.mount(path, target, undefined, MS.MOVE),
    );
    if (moved !== null) {
      t.warn(`failed to mount moving ${path} to ${target}: ${strerror(moved)}`);
      t.warn(`forcing unmount of ${path}`);
      t.call(`umount2(${q(path)}, MNT_FORCE)`, () => task.umount2(path, MNT.FORCE));
    }
  }
  let e = t.call(`chdir(${q(newRoot)})`, () => task.chdir(newRoot));
  if (e !== null) return sorry(`failed to change directory to ${newRoot}: ${strerror(e)}`);
  const cfd = t.open("/", "cfd");
  if (cfd.code !== null) return sorry(`cannot open /: ${strerror(cfd.code)}`);
  e = t.call(`mount(${q(newRoot)}, "/", NULL, MS_MOVE)`, () => {
    task.mount(newRoot, "/", undefined, MS.MOVE);
  });
  if (e !== null) return sorry(`failed to mount moving ${newRoot} to /: ${strerror(e)}`);
  e = t.call(`chroot(".")`, () => task.chroot("."));
  if (e !== null) return sorry(`failed to change root: ${strerror(e)}`);
  e = t.call(`chdir("/")`, () => task.chdir("/"));
  if (e !== null) return sorry(`cannot change directory to /: ${strerror(e)}`);
  // the child empties the old root through cfd; the parent closes it
  t.record("fork()", "OK", "the child empties the old root through cfd");
  const h = task.fds.get(cfd.value)!;
  const magic = t.get("fstatfs(cfd)", () => h.path.mnt.fs.statfs().magic);
  if (magic.code === null && (magic.value === MAGIC.ramfs || magic.value === MAGIC.tmpfs)) {
    const tally = removeBelow(task, h.path, false);
    t.record("recursiveRemove(cfd)", "OK", tally);
  } else {
    t.warn("old root filesystem is not an initramfs");
  }
  t.close(cfd.value, "cfd");
  const access = t.get(`access(${q(init)}, X_OK)`, () => executable(task, init));
  if (access.code === null && !access.value) t.steps[t.steps.length - 1]!.result = "EACCES";
  const denied = access.code ?? (access.value ? null : "EACCES");
  if (denied !== null) t.warn(`cannot access ${init}: ${strerror(denied)}`);
  e = t.execv(init, [init]);
  if (e !== null) return `failed to execute ${init}: ${strerror(e)}`;
  return null;
}

// ---------------------------------------------------------------- busybox

// busybox util-linux/switch_root.c: switch_root_main() and delete_contents().
function busybox(t: Trace, newRoot: string, init: string, pid: number): string | null {
  const task = t.task;
  let e = t.call(`chdir(${q(newRoot)})`, () => task.chdir(newRoot));
  if (e !== null) return `can't change directory to '${newRoot}': ${strerror(e)}`;
  const root = t.stat("/");
  if (root.code !== null) return `can't stat '/': ${strerror(root.code)}`;
  const dot = t.stat(".");
  if (dot.code !== null) return `can't stat '.': ${strerror(dot.code)}`;
  // bb_show_usage(): the usage text names both conditions
  if (dot.value.dev === root.value.dev) return "NEW_ROOT must be a mountpoint";
  t.record("getpid()", String(pid));
  if (pid !== 1) return "PID must be 1";
  const initrd = t.stat("/init");
  if (initrd.code !== null || initrd.value.type !== "f") {
    return "'/init' is not a regular file";
  }
  const fsType = t.get(`statfs("/")`, () => task.statfs("/").magic);
  if (fsType.value !== MAGIC.ramfs && fsType.value !== MAGIC.tmpfs) {
    return "root filesystem is not ramfs/tmpfs";
  }
  const tally = { removed: 0, skipped: 0, failed: 0 };
  deleteContents(task, SLASH, root.value.dev, tally);
  t.record(`delete_contents("/", rootdev)`, "OK", formatTally(tally));
  e = t.call(`mount(".", "/", NULL, MS_MOVE)`, () => task.mount(".", "/", undefined, MS.MOVE));
  if (e !== null) return `error moving root: ${strerror(e)}`;
  e = t.call(`chroot(".")`, () => task.chroot("."));
  if (e !== null) return `can't change root directory to '.': ${strerror(e)}`;
  e = t.call(`chdir("/")`, () => task.chdir("/"));
  if (e !== null) return `can't change directory to '/': ${strerror(e)}`;
  e = t.execv(init, [init]);
  if (e !== null) return `can't execute '${init}': ${strerror(e)}`;
  return null;
}

/** busybox's delete_contents(): lstat, recurse on the same device, rmdir or unlink. */
function deleteContents(task: Task, path: Uint8Array, rootDev: string, tally: Tally): void {
  let p: Path;
  try {
    p = task.resolve(path, false);
  } catch {
    return;
  }
  // don't descend into other filesystems
  if (p.mnt.fs.dev !== rootDev) {
    tally.skipped++;
    return;
  }
  if (p.mnt.fs.stat(p.dentry).type === "d") {
    let names: Uint8Array[];
    try {
      names = task.readdir(path);
    } catch {
      return;
    }
    for (const name of names) deleteContents(task, joinName(path, name), rootDev, tally);
    if (path.length === 1) return; // rmdir("/") is EBUSY, and busybox ignores it
    count(tally, () => task.rmdir(path));
  } else {
    count(tally, () => task.unlink(path));
  }
}

// ---------------------------------------------------------------- systemd

const TRANSFERS: [string, number][] = [
  ["/dev", MS.BIND | MS.REC],
  ["/sys", MS.BIND | MS.REC],
  ["/proc", MS.BIND | MS.REC],
  ["/run", MS.BIND],
  ["/run/credentials", MS.BIND | MS.REC],
  ["/run/host", MS.BIND | MS.REC],
];

/** base_filesystem_create_fd(): the directories it makes when missing (symlinks left out). */
const BASE_DIRS: [string, number][] = [
  ["usr", 0o755],
  ["var", 0o755],
  ["etc", 0o755],
  ["proc", 0o555],
  ["sys", 0o555],
  ["dev", 0o555],
  ["run", 0o555],
  ["tmp", 0o1777],
  ["root", 0o750],
];

// systemd src/shared/switch-root.c: switch_root() with
// SWITCH_ROOT_DESTROY_OLD_ROOT, as PID 1 calls it when leaving the initrd.
function systemd(
  t: Trace,
  newRoot: string,
  init: string,
  oldRootAfter: string | undefined,
): string | null {
  const task = t.task;
  const oldFd = t.open("/", "old_root_fd");
  if (oldFd.code !== null) return `Failed to open root directory: ${strerror(oldFd.code)}`;
  let newFd = t.open(newRoot, "new_root_fd");
  if (newFd.code !== null) {
    return `Failed to open target directory '${newRoot}': ${strerror(newFd.code)}`;
  }
  const oldPath = task.fds.get(oldFd.value)!.path;
  let newPath = task.fds.get(newFd.value)!.path;
  if (oldPath.mnt === newPath.mnt && oldPath.dentry === newPath.dentry) {
    t.record("fds_inode_and_mount_same(old_root_fd, new_root_fd)", "OK", "same: nothing to do");
    const e = t.execv(init, [init]);
    return e === null ? null : `Failed to execute ${init}: ${strerror(e)}`;
  }
  // fd_make_mount_point(): bind the directory onto itself
  if (newPath.dentry !== newPath.mnt.root) {
    const e = t.call(
      `mount(${q(newRoot)}, ${q(newRoot)}, NULL, MS_BIND|MS_REC)`,
      () => task.mount(newRoot, newRoot, undefined, MS.BIND | MS.REC),
      "new_root was not a mount point",
    );
    if (e !== null) {
      return `Failed to make new root directory a mount point: ${strerror(e)}`;
    }
    t.close(newFd.value, "new_root_fd");
    newFd = t.open(newRoot, "new_root_fd");
    if (newFd.code !== null) {
      return `Failed to reopen target directory '${newRoot}': ${strerror(newFd.code)}`;
    }
    newPath = task.fds.get(newFd.value)!.path;
  }
  const magic = t.get("fstatfs(old_root_fd)", () => oldPath.mnt.fs.statfs().magic);
  if (magic.code !== null) return `Failed to stat root directory: ${strerror(magic.code)}`;
  const istmp = magic.value === MAGIC.tmpfs || magic.value === MAGIC.ramfs;
  let resolved: string | undefined;
  if (oldRootAfter !== undefined) {
    resolved = joinBelow(newRoot, oldRootAfter);
    try {
      task.resolve(resolved, true);
    } catch {
      mkdirP(t, resolved);
    }
  }
  t.record("sync()", "OK");
  let e = t.call(
    `mount(NULL, "/", NULL, MS_REC|MS_PRIVATE)`,
    () => task.mount(undefined, "/", undefined, MS.REC | MS.PRIVATE),
  );
  if (e !== null) {
    return `Failed to set "/" mount propagation to private: ${strerror(e)}`;
  }
  const made: string[] = [];
  for (const [name, mode] of BASE_DIRS) {
    const path = joinBelow(newRoot, name);
    try {
      task.lstat(path);
    } catch {
      try {
        task.mkdir(path, mode);
        made.push(name);
      } catch { /* errors are ignored */ }
    }
  }
  t.record(
    "base_filesystem_create_fd(new_root_fd)",
    "OK",
    made.length === 0 ? "nothing missing" : `mkdirat ${made.join(", ")}`,
  );
  for (const [path, flags] of TRANSFERS) {
    if (t.call(`access(${q(path)}, F_OK)`, () => task.resolve(path, true)) !== null) continue;
    const chased = joinBelow(newRoot, path);
    const there = t.get(`path_is_mount_point(${q(chased)})`, () => isMountPoint(task, chased));
    if (there.code !== null) {
      return `Failed to resolve ${newRoot}/${path}: ${strerror(there.code)}`;
    }
    if (there.value) {
      t.warn("already a mount point: left alone");
      continue;
    }
    e = t.call(
      `mount(${q(path)}, ${q(chased)}, NULL, ${flagNames(flags)})`,
      () => task.mount(path, chased, undefined, flags),
    );
    if (e !== null) return `Failed to mount ${path} on ${chased}: ${strerror(e)}`;
  }
  e = t.fchdir(newFd.value, "new_root_fd");
  if (e !== null) return `Failed to change directory to ${newRoot}: ${strerror(e)}`;
  // pivot_root() first: it is what lets the old root be unmounted
  let pivot: Code | null;
  if (resolved !== undefined) {
    const putOld = resolved;
    pivot = t.call(`pivot_root(".", ${q(putOld)})`, () => task.pivotRoot(".", putOld));
  } else {
    pivot = t.call(`pivot_root(".", ".")`, () => task.pivotRoot(".", "."));
    if (pivot === null) {
      e = t.call(`umount2(".", MNT_DETACH)`, () => task.umount2(".", MNT.DETACH));
      if (e !== null) return `Failed to unmount the old root: ${strerror(e)}`;
    }
  }
  if (pivot !== null) {
    t.warn("Pivoting root file system failed, moving mounts instead");
    if (resolved !== undefined) {
      const at = resolved;
      e = t.call(
        `mount("/", ${q(at)}, NULL, MS_BIND|MS_REC)`,
        () => task.mount("/", at, undefined, MS.BIND | MS.REC),
      );
      if (e !== null) return `Failed to mount / on ${at}: ${strerror(e)}`;
    }
    umountRecursive(t, newRoot);
    e = t.call(`mount(".", "/", NULL, MS_MOVE)`, () => task.mount(".", "/", undefined, MS.MOVE));
    if (e !== null) return `Failed to move ${newRoot} to /: ${strerror(e)}`;
    e = t.call(`chroot(".")`, () => task.chroot("."));
    if (e !== null) return `Failed to change root: ${strerror(e)}`;
    e = t.call(`chdir(".")`, () => task.chdir("."));
    if (e !== null) return `Failed to change directory: ${strerror(e)}`;
    if (istmp) {
      // rm_rf_children() stops at other devices and at mount points
      const tally = removeBelow(task, oldPath, true);
      t.record("rm_rf_children(old_root_fd)", "OK", tally);
    }
  }
  t.closeAll();
  e = t.execv(init, [init]);
  if (e !== null) return `Failed to execute ${init}: ${strerror(e)}`;
  return null;
}

/**
 * umount_recursive_full(NULL, MNT_DETACH, [keep]): unmount the first mount in
 * mountinfo that is neither on the way to `keep` nor below it, then read
 * mountinfo again, until a pass unmounts nothing.
 */
function umountRecursive(t: Trace, keep: string): void {
  const task = t.task;
  const k = normal(keep);
  for (let again = true; again;) {
    again = false;
    for (const line of task.mountinfo()) {
      const path = unmangle(line.split(" ")[4]!);
      if (below(path, k) || below(k, path)) continue;
      const e = t.call(
        `umount2(${q(path)}, MNT_DETACH|UMOUNT_NOFOLLOW)`,
        () => task.umount2(path, MNT.DETACH | MNT.NOFOLLOW),
      );
      if (e === null) {
        again = true;
        break;
      }
    }
  }
}

function mkdirP(t: Trace, path: string): void {
  const parts = normal(path).split("/").filter((s) => s !== "");
  let cur = "";
  for (const part of parts) {
    cur += "/" + part;
    try {
      t.task.lstat(cur);
    } catch {
      const at = cur;
      t.call(`mkdir(${q(at)}, 0755)`, () => t.task.mkdir(at, 0o755));
    }
  }
}

// ---------------------------------------------------------------- runc

// runc libcontainer/rootfs_linux.go: prepareRoot() (default rootPropagation
// MS_SLAVE|MS_REC), the chdir of prepareRootfs(), then pivotRoot() or, with
// NoPivotRoot, msMoveRoot() and chroot(). Go's os.PathError texts.
function runc(t: Trace, rootfs: string, init: string, pivot: boolean): string | null {
  const task = t.task;
  let e = t.call(
    `mount("", "/", "", MS_SLAVE|MS_REC)`,
    () => task.mount("", "/", undefined, MS.SLAVE | MS.REC),
  );
  if (e !== null) return mountError("", "/", "MS_SLAVE|MS_REC", e);
  // rootfsParentMountPrivate(): the mount holding the rootfs, made private if shared
  const holder = t.get(`stat(${q(rootfs)})`, () => task.resolve(rootfs, true).mnt);
  if (holder.code !== null) return `stat ${rootfs}: ${goError(holder.code)}`;
  if (holder.value.peers !== null) {
    const at = task.pathOf({ mnt: holder.value, dentry: holder.value.root }) ?? "/";
    e = t.call(
      `mount("", ${q(at)}, "", MS_PRIVATE)`,
      () => task.mount("", at, undefined, MS.PRIVATE),
    );
    if (e !== null) return mountError("", at, "MS_PRIVATE", e);
  }
  e = t.call(
    `mount(${q(rootfs)}, ${q(rootfs)}, "bind", MS_BIND|MS_REC)`,
    () => task.mount(rootfs, rootfs, "bind", MS.BIND | MS.REC),
  );
  if (e !== null) return mountError(rootfs, rootfs, "MS_BIND|MS_REC", e);
  e = t.call(`chdir(${q(rootfs)})`, () => task.chdir(rootfs));
  if (e !== null) return `chdir ${rootfs}: ${goError(e)}`;
  const error = pivot ? runcPivotRoot(t, rootfs) : runcMsMoveRoot(t, rootfs);
  if (error !== null) return error;
  e = t.execv(init, [init]);
  if (e !== null) return `exec: "${init}": stat ${init}: ${goError(e)}`;
  return null;
}

/** runc's pivotRoot(): pivot_root(".", ".") and lazily unmount the old root. */
function runcPivotRoot(t: Trace, rootfs: string): string | null {
  const task = t.task;
  const oldroot = t.open("/", "oldroot");
  if (oldroot.code !== null) return `open /: ${goError(oldroot.code)}`;
  const newroot = t.open(rootfs, "newroot");
  if (newroot.code !== null) return `open ${rootfs}: ${goError(newroot.code)}`;
  let e = t.fchdir(newroot.value, "newroot");
  if (e !== null) return `fchdir fd ${newroot.value}: ${goError(e)}`;
  e = t.call(`pivot_root(".", ".")`, () => task.pivotRoot(".", "."));
  if (e !== null) return `pivot_root .: ${goError(e)}`;
  e = t.fchdir(oldroot.value, "oldroot");
  if (e !== null) return `fchdir fd ${oldroot.value}: ${goError(e)}`;
  e = t.call(
    `mount("", ".", "", MS_SLAVE|MS_REC)`,
    () => task.mount("", ".", undefined, MS.SLAVE | MS.REC),
  );
  if (e !== null) return mountError("", ".", "MS_SLAVE|MS_REC", e);
  e = t.call(`umount2(".", MNT_DETACH)`, () => task.umount2(".", MNT.DETACH));
  if (e !== null) return `unmount .: ${goError(e)}`;
  e = t.call(`chdir("/")`, () => task.chdir("/"));
  if (e !== null) return `chdir /: ${goError(e)}`;
  t.close(newroot.value, "newroot");
  t.close(oldroot.value, "oldroot");
  return null;
}

/**
 * runc's msMoveRoot(): hide every full proc and sysfs mount outside the
 * rootfs, then MS_MOVE the rootfs over "/" and chroot. Every other mount of
 * the namespace stays, out of sight.
 */
function runcMsMoveRoot(t: Trace, rootfs: string): string | null {
  const task = t.task;
  const full = task.mountinfo().map(parseMountinfo).filter((m) =>
    m.root === "/" && (m.fstype === "proc" || m.fstype === "sysfs") &&
    !m.mountpoint.startsWith(rootfs)
  );
  for (const { mountpoint: p } of full) {
    let e = t.call(
      `mount("", ${q(p)}, "", MS_SLAVE|MS_REC)`,
      () => task.mount("", p, undefined, MS.SLAVE | MS.REC),
    );
    if (e === "ENOENT") continue;
    if (e !== null) return mountError("", p, "MS_SLAVE|MS_REC", e);
    e = t.call(`umount2(${q(p)}, MNT_DETACH)`, () => task.umount2(p, MNT.DETACH));
    if (e === "EINVAL" || e === "EPERM") {
      e = t.call(`mount("tmpfs", ${q(p)}, "tmpfs", 0)`, () => task.mount("tmpfs", p, "tmpfs", 0));
      if (e !== null) return mountError("tmpfs", p, "0", e);
    } else if (e !== null) {
      return `unmount ${p}: ${goError(e)}`;
    }
  }
  let e = t.call(
    `mount(${q(rootfs)}, "/", "", MS_MOVE)`,
    () => task.mount(rootfs, "/", undefined, MS.MOVE),
  );
  if (e !== null) return mountError(rootfs, "/", "MS_MOVE", e);
  e = t.call(`chroot(".")`, () => task.chroot("."));
  if (e !== null) return `chroot .: ${goError(e)}`;
  // the leak: what chroot hides is still mounted in the container's namespace
  const hidden = task.ns.mounts.size - task.mountinfo().length;
  t.warn(`${hidden} mounts stay in the namespace, out of sight`);
  e = t.call(`chdir("/")`, () => task.chdir("/"));
  if (e !== null) return `chdir /: ${goError(e)}`;
  return null;
}

// ---------------------------------------------------------------- removal through a descriptor

interface Tally {
  removed: number;
  skipped: number;
  failed: number;
}

function count(tally: Tally, fn: () => void): void {
  try {
    fn();
    tally.removed++;
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
    tally.failed++;
  }
}

function formatTally(t: Tally): string {
  return `removed ${t.removed}, skipped ${t.skipped} on other filesystems, failed ${t.failed}`;
}

/**
 * Empties the directory `dir` (an open descriptor's path) without crossing
 * into other devices, as util-linux's recursiveRemove() and systemd's
 * rm_rf_children() do with fstatat/openat/unlinkat. The model has only
 * path-based calls, so a helper task whose cwd is `dir` makes them with
 * relative paths (the same walk an *at() call makes from its descriptor)
 * and exits afterwards. `stopAtMounts` adds systemd's mount-point check.
 */
function removeBelow(task: Task, dir: Path, stopAtMounts: boolean): string {
  const helper = task.kernel.newTask(task.ns, { mnt: dir.mnt, dentry: dir.dentry });
  const tally: Tally = { removed: 0, skipped: 0, failed: 0 };
  try {
    removeIn(helper, DOT, dir.mnt.fs.dev, stopAtMounts, tally);
  } finally {
    exitTask(helper);
  }
  return formatTally(tally);
}

function removeIn(
  task: Task,
  dir: Uint8Array,
  dev: string,
  stopAtMounts: boolean,
  tally: Tally,
): void {
  let names: Uint8Array[];
  try {
    names = task.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const rel = dir === DOT ? name : joinName(dir, name);
    let p: Path;
    try {
      p = task.resolve(rel, false);
    } catch {
      continue;
    }
    if (p.mnt.fs.stat(p.dentry).type === "d") {
      // a directory with another filesystem on it is left alone
      if (p.mnt.fs.dev !== dev || (stopAtMounts && p.dentry === p.mnt.root)) {
        tally.skipped++;
        continue;
      }
      removeIn(task, rel, dev, stopAtMounts, tally);
      count(tally, () => task.rmdir(rel));
    } else {
      count(tally, () => task.unlink(rel));
    }
  }
}

/** A helper task's exit: its root and cwd references are dropped. */
function exitTask(helper: Task): void {
  for (const fd of [...helper.fds.keys()]) helper.close(fd);
  helper.kernel.tasks.delete(helper);
  for (const p of [helper.fs.root, helper.fs.pwd]) {
    p.mnt.fs.put(p.dentry);
    helper.kernel.release(p.mnt);
  }
}

// ---------------------------------------------------------------- the old root

function describeOldRoot(task: Task, old: Mount): OldRoot {
  const attached = old.ns === task.ns;
  let visible = false;
  const at = attached ? task.pathOf({ mnt: old, dentry: old.root }) : undefined;
  if (at !== undefined) {
    try {
      const p = task.resolve(at, true);
      visible = p.mnt === old && p.dentry === old.root;
    } catch {
      visible = false;
    }
  }
  const fs = old.fs;
  let bytes = 0;
  let inodes = 0;
  if (fs instanceof CoreFs && inUse(task, fs, old)) {
    const s = fs.sb.statfs();
    bytes = s.usedBlocks * 4096;
    inodes = s.usedFiles;
  }
  return { fstype: fs.fstype, attached, visible, bytes, inodes };
}

/** The superblock is still referenced: a live mount, or a task's root, cwd or file. */
function inUse(task: Task, fs: Filesystem, old: Mount): boolean {
  if (!old.freed) return true;
  for (const ns of task.kernel.namespaces) {
    for (const m of ns.mounts) if (m.fs === fs) return true;
  }
  for (const t of task.kernel.tasks) {
    if (t.fs.root.mnt.fs === fs || t.fs.pwd.mnt.fs === fs) return true;
    for (const h of t.fds.values()) if (h.path.mnt.fs === fs) return true;
  }
  return false;
}

// ---------------------------------------------------------------- small helpers

const SLASH = new Uint8Array([0x2f]);
const DOT = new Uint8Array([0x2e]);

/** `dir/name` as bytes (names need not be UTF-8). */
function joinName(dir: Uint8Array, name: Uint8Array): Uint8Array {
  const slash = dir[dir.length - 1] === 0x2f ? 0 : 1;
  const out = new Uint8Array(dir.length + slash + name.length);
  out.set(dir);
  if (slash) out[dir.length] = 0x2f;
  out.set(name, dir.length + slash);
  return out;
}

function q(s: string): string {
  return JSON.stringify(s);
}

/** A regular file with an execute bit (what execve and access(X_OK) need of root). */
function executable(task: Task, path: string): boolean {
  const p = task.resolve(path, true);
  const st = p.mnt.fs.stat(p.dentry);
  return st.type === "f" && (st.mode & 0o111) !== 0;
}

function isMountPoint(task: Task, path: string): boolean {
  const p = task.resolve(path, true);
  return p.dentry === p.mnt.root;
}

function normal(path: string): string {
  const s = ("/" + path).replace(/\/+/g, "/").replace(/\/$/, "");
  return s === "" ? "/" : s;
}

/** `path_startswith(path, prefix)` as systemd means it: equal or below. */
function below(path: string, prefix: string): boolean {
  const p = normal(path);
  const pre = normal(prefix);
  return pre === "/" || p === pre || p.startsWith(pre + "/");
}

/** chase(path, root, CHASE_PREFIX_ROOT): `path` taken below `root`. */
function joinBelow(root: string, path: string): string {
  return normal(normal(root) + "/" + path);
}

function unmangle(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function parseMountinfo(line: string): { root: string; mountpoint: string; fstype: string } {
  const f = line.split(" ");
  const sep = f.indexOf("-");
  return { root: unmangle(f[3]!), mountpoint: unmangle(f[4]!), fstype: f[sep + 1] ?? "" };
}

function flagNames(flags: number): string {
  const names: string[] = [];
  if (flags & MS.BIND) names.push("MS_BIND");
  if (flags & MS.REC) names.push("MS_REC");
  return names.join("|");
}

/** glibc's strerror() texts, as `warn()` and `%m` print them. */
const STRERROR: Record<string, string> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  EIO: "Input/output error",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  EXDEV: "Invalid cross-device link",
  ENODEV: "No such device",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  ENOSPC: "No space left on device",
  EROFS: "Read-only file system",
  EMLINK: "Too many links",
  ENAMETOOLONG: "File name too long",
  ENOSYS: "Function not implemented",
  ENOTEMPTY: "Directory not empty",
  ELOOP: "Too many levels of symbolic links",
};

function strerror(code: string): string {
  return STRERROR[code] ?? code;
}

/** Go's syscall.Errno texts: glibc's, in lower case (except the first letter rule). */
function goError(code: string): string {
  const s = strerror(code);
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** runc's mountError text. */
function mountError(source: string, target: string, flags: string, code: string): string {
  const src = source === "" ? "" : `src=${source}, `;
  return `mount ${src}dst=${target}, flags=${flags}: ${goError(code)}`;
}
