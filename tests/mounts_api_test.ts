// The mount tree as a library: scenario filesystems (a disk, a USB stick)
// whose references are counted, nullfs under rootfs, and the errors a
// caller sees. The kernel's answers for the syscalls themselves are in
// tests/mounts_golden_test.ts.

import assert from "node:assert/strict";
import { FsError, getProfile, MNT, MS, System, Tmpfs } from "../mod.ts";

const isErr = (code: string) => (e: unknown) => e instanceof FsError && e.code === code;

Deno.test("a USB stick is released when unmounted, and pinned by a namespace that copied it", () => {
  const system = new System(getProfile("linux-6.18"));
  const host = system.sandbox();
  const usb = system.addDevice("/dev/sdb1", "vfat");
  host.mkdir("/media");
  host.mount("/dev/sdb1", "/media", "vfat", 0);
  assert.ok(usb.references > 0);
  // a second task (a container) copies the namespace while the stick is mounted
  const container = system.kernel.newTask(host.ns, host.fs.root);
  container.unshare();
  host.umount2("/media");
  assert.ok(usb.references > 0, "the container's copy still pins the filesystem");
  assert.equal(container.mountinfo().filter((l) => l.includes(" vfat ")).length, 1);
  container.umount2("/media");
  assert.equal(usb.references, 0);
});

Deno.test("mounting a device that does not exist is ENOENT; an unknown type ENODEV", () => {
  const system = new System(getProfile("linux-6.18"));
  const t = system.sandbox();
  t.mkdir("/mnt");
  assert.throws(() => t.mount("/dev/sdz9", "/mnt", "ext4", 0), isErr("ENOENT"));
  assert.throws(() => t.mount("none", "/mnt", "nullfs", 0), isErr("ENODEV"));
  assert.throws(() => t.mount("none", "/mnt", undefined, 0), isErr("EINVAL"));
});

Deno.test("linux-7.0: rootfs sits on nullfs; pivot_root and detaching the old root work", () => {
  const system = new System(getProfile("linux-7.0"));
  const init = system.initramfs(new Tmpfs({ now: 0 }));
  const bottom = init.ns.root;
  assert.equal(bottom.fs.fstype, "nullfs");
  assert.ok(bottom.fs.noUser);
  assert.equal(init.fs.root.mnt.parent, bottom);
  // nullfs is outside the root: mountinfo starts at rootfs, whose parent is not shown
  assert.match(init.mountinfo()[0]!, /^\d+ 1 \S+ \/ \/ rw - rootfs rootfs /);
  init.mkdir("/sysroot");
  init.mount("tmpfs", "/sysroot", "tmpfs", 0, "size=1m");
  init.chdir("/sysroot");
  init.pivotRoot(".", ".");
  init.umount2(".", MNT.DETACH);
  assert.equal(init.fs.root.mnt.parent, bottom);
  assert.equal(init.fs.root.mnt.fs.fstype, "tmpfs");
  assert.equal(init.mountinfo().length, 1);
});

Deno.test("linux-6.1: the initramfs root cannot be pivoted, moved or detached", () => {
  const system = new System(getProfile("linux-6.1"));
  const init = system.initramfs(new Tmpfs({ now: 0 }));
  init.mkdir("/sysroot");
  init.mount("tmpfs", "/sysroot", "tmpfs", 0, "size=1m");
  assert.throws(() => init.pivotRoot("/sysroot", "/sysroot"), isErr("EINVAL"));
  assert.throws(() => init.umount2("/", MNT.DETACH), isErr("EINVAL"));
  assert.throws(() => init.mount("/", "/sysroot", undefined, MS.MOVE), isErr("EINVAL"));
  // the classic hand-off: move the new root over / and chroot into it
  init.chdir("/sysroot");
  init.mount(".", "/", undefined, MS.MOVE);
  init.chroot(".");
  assert.equal(init.fs.root.mnt.fs.fstype, "tmpfs");
  assert.equal(init.mountinfo().length, 1, "rootfs stays underneath, out of sight");
  assert.equal(init.ns.mounts.size, 2);
});

Deno.test("errors carry the syscall and the path", () => {
  const t = new System(getProfile("linux-6.18")).sandbox();
  assert.throws(() => t.chdir("/missing"), (e) => {
    assert.ok(e instanceof FsError);
    assert.equal(e.code, "ENOENT");
    assert.equal(e.syscall, "chdir");
    assert.equal(e.path, "/missing");
    return true;
  });
});

Deno.test("answers the live 6.18 kernel gave where the model once differed", async () => {
  const { runOps } = await import("../mod.ts");
  const scripts = [
    // a removed directory still open keeps the root from going read-only
    "mkdir /a\nopen /a\nrmdir /a\numount / => EBUSY\n",
    // a lazy unmount disconnects the children of the detached tree
    "mkdir /a\nmkdir /c\ntouch /c/d\nrbind /a /c\numount / detach\nmkdir /c/d => EEXIST\n",
    "mkdir /c\nchdir /c\ntmpfs . size=1m\ntouch /c/d\numount .. detach\nrmdir /c/d => ENOENT\n",
  ];
  for (const s of scripts) assert.equal((await runOps(s)).mismatches, 0, s);
  // make-slave keeps the unbindable flag
  const out = await runOps("make-unbindable .\nmake-slave .\n");
  assert.match(out.lines.join("\n"), /\n1 0 dev1 \/ \/ rw,relatime unbindable - tmpfs sandbox /);
});
