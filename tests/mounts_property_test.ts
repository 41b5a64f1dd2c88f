// Seeded random sequences of mount system calls against the mount tree, with
// its structural invariants checked after every call: no parent cycles, the
// namespaces' mount sets agree with the trees under their roots, unmounted
// mounts are out of every tree, peer groups and masters point both ways, and
// the references held on mounts and on a disk's dentries are exactly those
// the tasks, handles and mounts account for. A failing sequence is shrunk and
// printed with its seed.

import assert from "node:assert/strict";
import { FsError } from "../src/errors.ts";
import { getProfile } from "../src/profile.ts";
import type { MemFs } from "../src/vfs/fs.ts";
import { mangle, MNT, type Mount, type MountNamespace, MS, type Task } from "../src/vfs/mount.ts";
import { System } from "../src/vfs/system.ts";
import { Prng } from "./_util/prng.ts";

/** One operation: a name, the task index it runs in, and its arguments. */
type Op = [string, number, ...(string | number)[]];

const NAMES = ["a", "b", "c"];

/** Directories every scenario starts with (a new mount hides them, so paths fail too). */
const START = ["/a", "/b", "/c", "/a/b", "/b/c", "/a/b/c"];

/** Files every scenario starts with (mounting a directory on them fails late). */
const FILES = ["/f", "/a/f"];

function randomPathIn(r: Prng, made: string[]): string {
  if (r.chance(0.05)) return "/";
  if (r.chance(0.05)) return r.pick(FILES);
  if (r.chance(0.5)) return r.pick(made);
  if (r.chance(0.05)) return r.pick([".", "..", "../a"]);
  const n = r.range(1, 3);
  const parts: string[] = [];
  for (let k = 0; k < n; k++) parts.push(r.chance(0.05) ? ".." : r.pick(NAMES));
  return (r.chance(0.85) ? "/" : "") + parts.join("/");
}

const PROPAGATIONS = [MS.SHARED, MS.PRIVATE, MS.SLAVE, MS.UNBINDABLE];

function randomOp(r: Prng, made: string[]): Op {
  const t = r.int(4);
  const randomPath = (r: Prng) => randomPathIn(r, made);
  switch (r.int(20)) {
    case 0:
    case 1:
    case 18: {
      const p = randomPath(r);
      made.push(p);
      return ["mkdir", t, p];
    }
    case 2:
      return ["mount", t, randomPath(r), r.pick(["tmpfs", "ramfs", "ext4"])];
    case 3:
      return ["bind", t, randomPath(r), randomPath(r), r.chance(0.5) ? 1 : 0];
    case 4:
      return ["move", t, randomPath(r), randomPath(r)];
    case 5:
      return ["umount", t, randomPath(r), r.pick([0, MNT.DETACH, MNT.EXPIRE])];
    case 6:
    case 7:
      return ["propagation", t, randomPath(r), r.pick(PROPAGATIONS) | (r.chance(0.5) ? MS.REC : 0)];
    case 8:
      return ["chdir", t, randomPath(r)];
    case 9:
      return ["chroot", t, randomPath(r)];
    case 10:
      return ["pivot", t, randomPath(r), randomPath(r)];
    case 11:
      return r.chance(0.3) ? ["unshare", t] : ["bind", t, randomPath(r), randomPath(r), 1];
    case 12:
      return ["open", t, randomPath(r)];
    case 13:
      return ["close", t, r.range(3, 5)];
    case 14:
      return ["rmdir", t, randomPath(r)];
    case 15:
      return ["task", t];
    case 16:
      return ["touch", t, randomPath(r)];
    case 19:
      return ["mount", t, randomPath(r), r.pick(["ramfs", "ext4"])];
    default:
      return ["umount", t, randomPath(r), MNT.DETACH];
  }
}

/** A scenario: the sandbox task, extra tasks, and a disk (MemFs) to mount. */
class World {
  readonly system = new System(getProfile("linux-6.18"));
  readonly tasks: Task[];
  readonly disk: MemFs;
  readonly host: MemFs;
  /** Every mount seen in a namespace or held by a task. */
  readonly seen = new Set<Mount>();

  constructor() {
    this.disk = this.system.addDevice("/dev/sda1", "ext4");
    const t = this.system.sandbox();
    this.host = t.ns.root.fs as MemFs;
    this.tasks = [t];
    for (const p of START) t.mkdir(p);
    for (const p of FILES) t.touch(p);
  }

  run(op: Op): void {
    const [name, ti, ...a] = op;
    const task = this.tasks[ti % this.tasks.length]!;
    const s = (k: number) => a[k] as string;
    const n = (k: number) => a[k] as number;
    try {
      switch (name) {
        case "mkdir":
          return task.mkdir(s(0));
        case "mount":
          if (s(1) === "ext4") return task.mount("/dev/sda1", s(0), "ext4", 0);
          return task.mount("none", s(0), s(1), 0);
        case "bind":
          return task.mount(s(0), s(1), undefined, MS.BIND | (n(2) ? MS.REC : 0));
        case "move":
          return task.mount(s(0), s(1), undefined, MS.MOVE);
        case "umount":
          return task.umount2(s(0), n(1));
        case "propagation":
          return task.mount("none", s(0), undefined, n(1));
        case "chdir":
          return task.chdir(s(0));
        case "chroot":
          return task.chroot(s(0));
        case "pivot":
          return task.pivotRoot(s(0), s(1));
        case "unshare":
          return task.unshare();
        case "open":
          task.open(s(0));
          return;
        case "close":
          return task.close(n(0));
        case "rmdir":
          return task.rmdir(s(0));
        case "touch":
          return task.touch(s(0));
        case "task":
          // a second process in the same namespace, sharing no fs_struct
          if (this.tasks.length < 4) {
            this.tasks.push(task.kernel.newTask(task.ns, { ...task.fs.root }));
          }
          return;
      }
      throw new Error(`unknown op ${name}`);
    } catch (e) {
      if (!(e instanceof FsError)) throw e;
    }
  }

  /** The namespaces still in use: the tasks' and the kernel's. */
  namespaces(): Set<MountNamespace> {
    const out = new Set<MountNamespace>(this.system.kernel.namespaces);
    for (const t of this.tasks) out.add(t.ns);
    return out;
  }

  check(): void {
    const k = this.system.kernel;
    const nss = this.namespaces();
    for (const ns of nss) for (const m of ns.mounts) this.seen.add(m);
    for (const t of this.tasks) {
      this.seen.add(t.fs.root.mnt);
      this.seen.add(t.fs.pwd.mnt);
      for (const h of t.fds.values()) this.seen.add(h.path.mnt);
    }
    const all = new Set<Mount>(this.seen);
    for (const m of this.seen) {
      // (a) no cycles through `parent`
      let steps = 0;
      for (let p: Mount | null = m; p !== null; p = p.parent) {
        assert.ok(++steps <= all.size + 1, `parent cycle through mount ${m.id}`);
        all.add(p);
      }
      for (const c of m.children) all.add(c);
    }
    for (const ns of nss) {
      // (b) parents within the namespace; the root has none
      assert.equal(ns.root.parent, null, "the namespace root has no parent");
      assert.ok(ns.mounts.has(ns.root), "the namespace holds its root");
      for (const m of ns.mounts) {
        assert.equal(m.ns, ns, `mount ${m.id} knows its namespace`);
        assert.ok(!m.freed, `mount ${m.id} in a namespace is not freed`);
        if (m === ns.root) continue;
        assert.ok(m.parent !== null, `mount ${m.id} has a parent`);
        assert.ok(ns.mounts.has(m.parent), `the parent of mount ${m.id} is in its namespace`);
      }
      // (c) reachable from the root, children and `at` agree with parent and mountpoint
      const reached = new Set<Mount>();
      const stack = [ns.root];
      while (stack.length > 0) {
        const m = stack.pop()!;
        assert.ok(!reached.has(m), `mount ${m.id} reached twice`);
        reached.add(m);
        // (d) every mount reachable from a namespace root is in that namespace
        assert.equal(m.ns, ns, `mount ${m.id} under the root of a namespace belongs to it`);
        stack.push(...m.children);
      }
      assert.equal(reached.size, ns.mounts.size, "every mount is reachable from the root");
    }
    for (const m of all) {
      let n = 0;
      for (const [d, list] of m.at) {
        assert.ok(list.length > 0, "no empty stacks");
        for (const c of list) {
          assert.equal(c.parent, m, `child ${c.id} of ${m.id}: parent`);
          assert.equal(c.mountpoint, d, `child ${c.id} of ${m.id}: mountpoint`);
          assert.ok(m.children.has(c), `child ${c.id} of ${m.id} is in children`);
          n++;
        }
      }
      assert.equal(n, m.children.size, `children and at of mount ${m.id} agree`);
      for (const c of m.children) assert.equal(c.parent, m);
      // (d) a removed mount is not in any namespace's set
      if (m.ns === null) { for (const ns of nss) assert.ok(!ns.mounts.has(m)); }
      // (f) peer groups point both ways
      if (m.peers !== null) {
        assert.ok(m.peers.members.has(m), `mount ${m.id} is a member of its group`);
        assert.ok(!m.peers.slaves.has(m), `mount ${m.id} is not a slave of its own group`);
      }
      if (m.master !== null) {
        assert.ok(m.master.slaves.has(m), `mount ${m.id} is a slave of its master`);
        assert.notEqual(m.master, m.peers, `mount ${m.id}: master is not its own group`);
      }
      for (const g of [m.peers, m.master]) {
        if (g === null) continue;
        for (const x of g.members) {
          assert.equal(x.peers, g, `member ${x.id} of group ${g.id}`);
          assert.ok(x.ns !== null, `member ${x.id} of group ${g.id} is mounted`);
        }
        for (const x of g.slaves) {
          assert.equal(x.master, g, `slave ${x.id} of group ${g.id}`);
          assert.ok(x.ns !== null, `slave ${x.id} of group ${g.id} is mounted`);
        }
      }
    }
    // (e) mount references: each task's root and cwd, each open handle
    const want = new Map<Mount, number>();
    const add = (m: Mount, n = 1) => want.set(m, (want.get(m) ?? 0) + n);
    const fsRefs = new Map<unknown, number>();
    const addFs = (fs: unknown, n = 1) => fsRefs.set(fs, (fsRefs.get(fs) ?? 0) + n);
    for (const t of k.tasks) {
      for (const p of [t.fs.root, t.fs.pwd]) {
        add(p.mnt);
        addFs(p.mnt.fs);
        assert.ok(!p.mnt.freed, `a task holds freed mount ${p.mnt.id}`);
      }
      for (const h of t.fds.values()) {
        add(h.path.mnt);
        addFs(h.path.mnt.fs, 2); // the path and the open file
        assert.ok(!h.path.mnt.freed, `a handle holds freed mount ${h.path.mnt.id}`);
      }
    }
    for (const m of all) {
      assert.equal(m.refs, want.get(m) ?? 0, `references of mount ${m.id}`);
      if (!m.freed) {
        addFs(m.fs); // its root
        if (m.parent !== null) addFs(m.parent.fs); // its mountpoint
      }
      // a detached tree nobody holds is freed
      if (m.ns === null && !m.freed) {
        let top = m;
        while (top.parent !== null && top.parent.ns === null) top = top.parent;
        if (top.parent === null) {
          assert.ok(
            top.subtree().some((x) => x.refs > 0),
            `detached mount ${m.id} is held by someone`,
          );
        }
      }
    }
    // mountinfo (memoized paths) prints what pathOf finds for each reachable mount
    for (const t of this.tasks) {
      const want = [...t.ns.mounts].sort((a, b) => a.seq - b.seq).flatMap((m) => {
        const p = t.pathOf({ mnt: m, dentry: m.root });
        return p === undefined ? [] : [`${m.id} ${mangle(p)}`];
      });
      const got = t.mountinfo().map((l) => l.split(" ").filter((_, k) => k === 0 || k === 4));
      assert.deepEqual(got.map((f) => f.join(" ")), want, "mountinfo paths");
    }
    // dentry references of the MemFs filesystems are those of mounts, tasks and handles
    for (const fs of [this.disk, this.host]) {
      assert.equal(fs.references, fsRefs.get(fs) ?? 0, `dentry references of ${fs.fstype}`);
    }
  }

  /**
   * Every task exits (its handles closed, its root and cwd dropped as
   * `exit_fs` does); a new task at each namespace root detaches every mount.
   */
  teardown(): void {
    const k = this.system.kernel;
    const nss = this.namespaces();
    for (const t of this.tasks) {
      for (const fd of [...t.fds.keys()]) t.close(fd);
      for (const p of [t.fs.root, t.fs.pwd]) {
        p.mnt.fs.put(p.dentry);
        k.release(p.mnt);
      }
      k.tasks.delete(t);
    }
    this.tasks.length = 0;
    for (const ns of nss) {
      const t = k.newTask(ns, { mnt: ns.root, dentry: ns.root.root });
      this.tasks.push(t);
      while (ns.root.children.size > 0) {
        // the shallowest mountpoint is not hidden by another mount; its top is unmounted
        const paths = [...ns.root.children].map((c) => {
          const top = ns.root.topAt(c.mountpoint)!;
          return t.pathOf({ mnt: top, dentry: top.root })!;
        });
        paths.sort((a, b) => a.length - b.length);
        t.umount2(paths[0]!, MNT.DETACH);
      }
    }
  }
}

/** Runs `ops`; returns the failure message, or undefined. */
function attempt(ops: Op[], teardown: boolean): string | undefined {
  const w = new World();
  try {
    w.check();
    for (let k = 0; k < ops.length; k++) {
      w.run(ops[k]!);
      try {
        w.check();
      } catch (e) {
        return `after op ${k} ${JSON.stringify(ops[k])}: ${(e as Error).message}`;
      }
    }
    if (teardown) {
      w.teardown();
      w.check();
      assert.equal(w.disk.references, 0, "the disk is released after teardown");
      for (const m of w.seen) {
        if (m.fs === w.disk) assert.ok(m.freed, `disk mount ${m.id} freed after teardown`);
      }
      // a fresh mount holds its root and its mountpoint only
      const t = w.tasks[0]!;
      t.mkdir("/fresh");
      t.mount("/dev/sda1", "/fresh", "ext4", 0);
      assert.equal(w.disk.references, 1, "a fresh mount holds the disk's root");
    }
  } catch (e) {
    return `${(e as Error).message}`;
  }
  return undefined;
}

/** Drops operations while the sequence still fails. */
function shrink(ops: Op[], teardown: boolean): Op[] {
  let cur = ops;
  for (let chunk = Math.ceil(cur.length / 2); chunk >= 1; chunk = Math.floor(chunk / 2)) {
    for (let at = 0; at < cur.length;) {
      const next = cur.slice(0, at).concat(cur.slice(at + chunk));
      if (attempt(next, teardown) !== undefined) cur = next;
      else at += chunk;
    }
  }
  return cur;
}

function generate(seed: number, count: number): Op[] {
  const r = new Prng(seed);
  const ops: Op[] = [];
  const made = [...START];
  for (let k = 0; k < count; k++) ops.push(randomOp(r, made));
  return ops;
}

for (const base of (Deno.env.get("MOUNT_SEEDS") ?? "1,24301,20240611").split(",").map(Number)) {
  Deno.test(`mount tree invariants hold over random operation sequences (seed ${base})`, () => {
    for (let n = 0; n < 200; n++) {
      const seed = (base * 1000 + n) >>> 0;
      const ops = generate(seed, 60);
      const failure = attempt(ops, true);
      if (failure !== undefined) {
        const small = shrink(ops, true);
        assert.fail(
          `seed ${seed}: ${failure}\nshrunk to ${small.length} ops: ${JSON.stringify(small)}\n` +
            `(${attempt(small, true)})`,
        );
      }
    }
  });
}

/** Sequences the random runs found, shrunk. */
const REGRESSIONS: Record<string, Op[]> = {
  // a bind of a shared mount onto a file failed (ENOTDIR) after the clone had
  // joined the peer group, and the clone stayed a member though mounted nowhere
  "a failed bind of a shared mount leaves its peer group": [
    ["mount", 0, "/b", "tmpfs"],
    ["propagation", 0, "/b", MS.SHARED],
    ["bind", 0, "/b", "/f", 1],
  ],
  "a failed recursive bind of a shared disk mount leaves its peer group": [
    ["mount", 1, "/b", "ext4"],
    ["propagation", 1, "/b", MS.SHARED],
    ["mkdir", 3, "/b/c"],
    ["bind", 2, "/b/c", "/a/f", 1],
  ],
  // a bind of a shared mount propagated to a slave of the parent: the copy,
  // cloned into the source's group, also became that group's slave
  "a copy propagated to a slave is not also a peer": [
    ["propagation", 1, ".", MS.SHARED],
    ["mkdir", 3, "/a/b/b"],
    ["task", 2],
    ["unshare", 1],
    ["propagation", 2, "..", MS.SLAVE | MS.REC],
    ["bind", 1, "/a/b/b", "/a/b/c", 0],
  ],
};

for (const [name, ops] of Object.entries(REGRESSIONS)) {
  Deno.test(`mount tree regression: ${name}`, () => {
    assert.equal(attempt(ops, true), undefined);
  });
}
