// The userspace hand-offs (boot.md §7) run on the mount model: each tool's
// steps on a pre-7.0 rootfs (the namespace root, mounts.md §5.1) and on
// linux-7.0's rootfs over nullfs (mounts.md §9.2), the errors each tool
// prints, what happens to the old root's data and the mount table after.

import assert from "node:assert/strict";
import { getProfile, System, Tmpfs } from "../mod.ts";
import { handoff, type HandoffResult } from "../src/boot/handoff.ts";
import type { Task } from "../src/vfs/mount.ts";

type Profile = "linux-6.1" | "linux-7.0";

interface Booted {
  system: System;
  task: Task;
  rootfs: Tmpfs;
  /** Bytes the initramfs holds before the hand-off. */
  before: number;
}

/**
 * An initramfs (with /init, a 100 KB /bin/busybox and the API directories)
 * booted as the kernel leaves it, then what an initramfs /init does before
 * switching: devtmpfs, proc, sysfs and a tmpfs /run mounted, and the real
 * root (an ext4 disk with /sbin/init) on /sysroot.
 */
function boot(profile: Profile, o: { init?: boolean; sysroot?: boolean } = {}): Booted {
  const rootfs = new Tmpfs({ now: 0 });
  if (o.init ?? true) rootfs.writeFile("/init", new Uint8Array(5000), 0o755);
  rootfs.mkdir("/bin");
  rootfs.writeFile("/bin/busybox", new Uint8Array(100_000), 0o755);
  for (const d of ["/dev", "/proc", "/sys", "/run"]) rootfs.mkdir(d);
  const system = new System(getProfile(profile));
  const task = system.initramfs(rootfs);
  task.mount("devtmpfs", "/dev", "devtmpfs", 0);
  task.mount("proc", "/proc", "proc", 0);
  task.mount("sysfs", "/sys", "sysfs", 0);
  task.mount("tmpfs", "/run", "tmpfs", 0, "mode=0755");
  if (o.sysroot ?? true) {
    const disk = system.addDevice("/dev/sda1", "ext4");
    for (const d of ["dev", "proc", "sys", "run"]) disk.add(disk.root, d, "d", 0o755);
    disk.add(disk.add(disk.root, "sbin", "d", 0o755), "init", "f", 0o755);
    task.mkdir("/sysroot");
    task.mount("/dev/sda1", "/sysroot", "ext4", 0);
  }
  return { system, task, rootfs, before: rootfs.statfs().usedBlocks * 4096 };
}

/** The steps as `call = result` lines. */
function lines(r: HandoffResult): string[] {
  return r.steps.map((s) => `${s.call} = ${s.result}`);
}

/** mountinfo reduced to `id parent mountpoint fstype`. */
function tree(r: HandoffResult): string[] {
  return r.mountinfo.map((l) => {
    const f = l.split(" ");
    return `${f[0]} ${f[1]} ${f[4]} ${f[f.indexOf("-") + 1]}`;
  });
}

const API_MOVES = ["/dev", "/proc", "/sys", "/run"].flatMap((p) => [
  `stat("${p}") = OK`,
  `stat("/sysroot${p}") = OK`,
  `mount("${p}", "/sysroot${p}", NULL, MS_MOVE) = OK`,
]);

for (const profile of ["linux-6.1", "linux-7.0"] as const) {
  // rootfs is mount 1 before 7.0; on 7.0 nullfs is 1 and rootfs 2
  const rootfsId = profile === "linux-6.1" ? 1 : 2;

  Deno.test(`handoff() util-linux on ${profile}: MS_MOVE over rootfs, contents deleted through cfd`, () => {
    const b = boot(profile);
    assert.ok(b.before >= 100_000);
    const r = handoff(b.task, "util-linux", "/sysroot", { args: ["--switched-root"] });
    assert.equal(r.error, null);
    assert.deepEqual(lines(r), [
      `stat("/") = OK`,
      `stat("/sysroot") = OK`,
      ...API_MOVES,
      `chdir("/sysroot") = OK`,
      `cfd = open("/", O_RDONLY|O_DIRECTORY) = OK`,
      `mount("/sysroot", "/", NULL, MS_MOVE) = OK`,
      `chroot(".") = OK`,
      `chdir("/") = OK`,
      `fork() = OK`,
      `fstatfs(cfd) = OK`,
      `recursiveRemove(cfd) = OK`,
      `close(cfd) = OK`,
      `access("/sbin/init", X_OK) = OK`,
      `execv("/sbin/init", ["/sbin/init"]) = OK`,
    ]);
    // init, bin, bin/busybox and the five emptied mountpoint directories
    assert.match(r.steps.find((s) => s.call === "recursiveRemove(cfd)")!.note!, /^removed 8, /);
    assert.deepEqual(r.exec, { path: "/sbin/init", argv: ["/sbin/init", "--switched-root"] });
    // rootfs stays underneath the real root, empty but for its root directory
    assert.deepEqual(r.oldRoot, {
      fstype: "rootfs",
      attached: true,
      visible: false,
      bytes: 0,
      inodes: 1,
    });
    // the moved API filesystems now hang off ext4, which sits on rootfs
    const t = tree(r).map((x) => x.split(" "));
    const ext4 = t.at(-1)!;
    assert.deepEqual(ext4.slice(1), [String(rootfsId), "/", "ext4"]);
    assert.deepEqual(t.slice(0, 4).map((x) => x.slice(1)), [
      [ext4[0], "/dev", "devtmpfs"],
      [ext4[0], "/proc", "proc"],
      [ext4[0], "/sys", "sysfs"],
      [ext4[0], "/run", "tmpfs"],
    ]);
  });

  Deno.test(`handoff() util-linux on ${profile}: NEWROOT not a mount point fails MS_MOVE with EINVAL`, () => {
    const b = boot(profile, { sysroot: false });
    b.task.mkdir("/newroot");
    const r = handoff(b.task, "util-linux", "/newroot");
    assert.equal(r.ok, false);
    assert.equal(r.error, "failed to mount moving /newroot to /: Invalid argument\nfailed. Sorry.");
    assert.ok(lines(r).includes(`mount("/newroot", "/", NULL, MS_MOVE) = EINVAL`));
    // /newroot/dev does not exist: the API filesystems were detached instead
    assert.ok(lines(r).includes(`umount2("/dev", MNT_DETACH) = OK`));
    assert.equal(r.exec, null);
    assert.equal(r.oldRoot.bytes, b.before, "nothing was deleted");
    assert.equal(r.oldRoot.visible, true);
  });

  Deno.test(`handoff() busybox on ${profile}: deletes on rootdev first, then MS_MOVE`, () => {
    const b = boot(profile);
    const r = handoff(b.task, "busybox", "/sysroot");
    assert.equal(r.error, null);
    assert.deepEqual(lines(r), [
      `chdir("/sysroot") = OK`,
      `stat("/") = OK`,
      `stat(".") = OK`,
      `getpid() = 1`,
      `stat("/init") = OK`,
      `statfs("/") = OK`,
      `delete_contents("/", rootdev) = OK`,
      `mount(".", "/", NULL, MS_MOVE) = OK`,
      `chroot(".") = OK`,
      `chdir("/") = OK`,
      `execv("/sbin/init", ["/sbin/init"]) = OK`,
    ]);
    // /dev, /proc, /sys, /run and /sysroot hold other filesystems: kept
    assert.equal(
      r.steps[6]!.note,
      "removed 3, skipped 5 on other filesystems, failed 0",
    );
    // left: the root and the five mountpoint directories
    assert.deepEqual(r.oldRoot, {
      fstype: "rootfs",
      attached: true,
      visible: false,
      bytes: 0,
      inodes: 6,
    });
    // busybox moves nothing but the new root: /dev etc. stay on rootfs, hidden
    assert.equal(r.mountinfo.length, 1);
    assert.match(r.mountinfo[0]!, new RegExp(`^\\d+ ${rootfsId} \\S+ / / .* - ext4 /dev/sda1 `));
    assert.equal(b.task.ns.mounts.size, profile === "linux-6.1" ? 6 : 7);
  });

  Deno.test(`handoff() busybox on ${profile}: its refusals`, async (t) => {
    await t.step("not PID 1", () => {
      const b = boot(profile);
      const r = handoff(b.task, "busybox", "/sysroot", { pid: 42 });
      assert.equal(r.error, "PID must be 1");
      assert.equal(r.steps.at(-1)!.result, "42");
      assert.equal(r.oldRoot.bytes, b.before);
    });
    await t.step("NEW_ROOT on the same device as /", () => {
      const b = boot(profile);
      b.task.mkdir("/newroot");
      const r = handoff(b.task, "busybox", "/newroot");
      assert.equal(r.error, "NEW_ROOT must be a mountpoint");
    });
    await t.step("no /init in the initramfs", () => {
      const b = boot(profile, { init: false });
      const r = handoff(b.task, "busybox", "/sysroot");
      assert.equal(r.error, "'/init' is not a regular file");
      assert.equal(r.steps.at(-1)!.call, `stat("/init")`);
      assert.equal(r.steps.at(-1)!.result, "ENOENT");
      assert.equal(r.oldRoot.bytes, b.before);
    });
    await t.step("the root is not ramfs/tmpfs", () => {
      const b = boot(profile);
      assert.ok(handoff(b.task, "util-linux", "/sysroot").ok);
      // now rooted in ext4: a second switch is refused before any deletion
      const root = b.task.fs.root.mnt.fs as ReturnType<System["addDevice"]>;
      root.add(root.root, "init", "f", 0o755);
      const usb = b.system.addDevice("/dev/sdb1", "ext4");
      b.task.mkdir("/mnt");
      b.task.mount("/dev/sdb1", "/mnt", "ext4", 0);
      const r = handoff(b.task, "busybox", "/mnt");
      assert.equal(r.error, "root filesystem is not ramfs/tmpfs");
      assert.ok(!lines(r).some((l) => l.startsWith("delete_contents")));
      assert.ok(usb.references > 0);
    });
  });

  Deno.test(`handoff() util-linux on ${profile}: an old root that is not an initramfs is kept`, () => {
    const b = boot(profile);
    assert.ok(handoff(b.task, "util-linux", "/sysroot").ok);
    const usb = b.system.addDevice("/dev/sdb1", "ext4");
    usb.add(usb.add(usb.root, "sbin", "d", 0o755), "init", "f", 0o755);
    b.task.mkdir("/mnt");
    b.task.mount("/dev/sdb1", "/mnt", "ext4", 0);
    const r = handoff(b.task, "util-linux", "/mnt");
    assert.equal(r.error, null);
    const fstatfs = r.steps.find((s) => s.call === "fstatfs(cfd)")!;
    assert.equal(fstatfs.note, "old root filesystem is not an initramfs");
    assert.ok(!lines(r).some((l) => l.startsWith("recursiveRemove")));
    assert.equal(r.oldRoot.fstype, "ext4");
  });

  Deno.test(`handoff() util-linux on ${profile}: a missing init is the exec's error`, () => {
    const b = boot(profile);
    const r = handoff(b.task, "util-linux", "/sysroot", { init: "/usr/lib/systemd/systemd" });
    assert.equal(r.ok, false);
    assert.equal(r.error, "failed to execute /usr/lib/systemd/systemd: No such file or directory");
    assert.equal(
      r.steps.at(-2)!.note,
      "cannot access /usr/lib/systemd/systemd: No such file or directory",
    );
    assert.equal(r.exec, null);
  });
}

Deno.test("handoff() systemd on linux-6.1: pivot_root is EINVAL, the MS_MOVE fallback works", () => {
  const b = boot("linux-6.1");
  const r = handoff(b.task, "systemd", "/sysroot");
  assert.equal(r.error, null);
  const l = lines(r);
  const pivot = l.indexOf(`pivot_root(".", ".") = EINVAL`);
  assert.ok(pivot > 0);
  assert.ok(!l.includes(`umount2(".", MNT_DETACH) = OK`));
  // the API filesystems were bound into the new root; their originals are
  // detached by umount_recursive_full(), then the new root moves over /
  assert.deepEqual(l.slice(pivot + 1), [
    `umount2("/dev", MNT_DETACH|UMOUNT_NOFOLLOW) = OK`,
    `umount2("/proc", MNT_DETACH|UMOUNT_NOFOLLOW) = OK`,
    `umount2("/sys", MNT_DETACH|UMOUNT_NOFOLLOW) = OK`,
    `umount2("/run", MNT_DETACH|UMOUNT_NOFOLLOW) = OK`,
    `mount(".", "/", NULL, MS_MOVE) = OK`,
    `chroot(".") = OK`,
    `chdir(".") = OK`,
    `rm_rf_children(old_root_fd) = OK`,
    `close(old_root_fd) = OK`,
    `close(new_root_fd) = OK`,
    `execv("/sbin/init", ["/sbin/init"]) = OK`,
  ]);
  assert.ok(l.includes(`mount("/dev", "/sysroot/dev", NULL, MS_BIND|MS_REC) = OK`));
  assert.ok(l.includes(`mount("/run", "/sysroot/run", NULL, MS_BIND) = OK`));
  assert.ok(l.includes(`access("/run/credentials", F_OK) = ENOENT`));
  assert.deepEqual(r.oldRoot, {
    fstype: "rootfs",
    attached: true,
    visible: false,
    bytes: 0,
    inodes: 1,
  });
  assert.deepEqual(tree(r).map((x) => x.split(" ").slice(2).join(" ")), [
    "/ ext4",
    "/dev devtmpfs",
    "/sys sysfs",
    "/proc proc",
    "/run tmpfs",
  ]);
  assert.equal(tree(r)[0]!.split(" ")[1], "1", "ext4 sits on rootfs (mount 1)");
  // nothing but rootfs is left under the real root
  assert.equal(b.task.ns.mounts.size, 6);
});

Deno.test("handoff() systemd on linux-7.0: pivot_root works and the old root is detached and freed", () => {
  const b = boot("linux-7.0");
  const r = handoff(b.task, "systemd", "/sysroot");
  assert.equal(r.error, null);
  const l = lines(r);
  const pivot = l.indexOf(`pivot_root(".", ".") = OK`);
  assert.deepEqual(l.slice(pivot - 1), [
    `fchdir(new_root_fd) = OK`,
    `pivot_root(".", ".") = OK`,
    `umount2(".", MNT_DETACH) = OK`,
    `close(old_root_fd) = OK`,
    `close(new_root_fd) = OK`,
    `execv("/sbin/init", ["/sbin/init"]) = OK`,
  ]);
  // no deletion: the superblock went away with its last reference
  assert.ok(!l.some((x) => x.startsWith("rm_rf_children")));
  assert.deepEqual(r.oldRoot, {
    fstype: "rootfs",
    attached: false,
    visible: false,
    bytes: 0,
    inodes: 0,
  });
  assert.equal(r.mountinfo.length, 5);
  assert.match(r.mountinfo[0]!, /^\d+ 1 \S+ \/ \/ .* - ext4 /, "ext4 sits on nullfs (mount 1)");
  // nullfs, the real root and the four bound API filesystems; rootfs and the
  // originals of /dev, /proc, /sys, /run left with it
  assert.equal(b.task.ns.mounts.size, 6);
});

Deno.test("handoff() systemd on linux-7.0 with oldRootAfter keeps the old root visible there", () => {
  const b = boot("linux-7.0");
  const r = handoff(b.task, "systemd", "/sysroot", { oldRootAfter: "/oldroot" });
  assert.equal(r.error, null);
  assert.ok(lines(r).includes(`mkdir("/sysroot/oldroot", 0755) = OK`));
  assert.ok(lines(r).includes(`pivot_root(".", "/sysroot/oldroot") = OK`));
  assert.deepEqual(r.oldRoot, {
    fstype: "rootfs",
    attached: true,
    visible: true,
    bytes: b.before,
    inodes: b.rootfs.statfs().usedFiles,
  });
  assert.ok(tree(r).some((x) => x.endsWith(" /oldroot rootfs")));
  assert.ok(tree(r).some((x) => x.endsWith(" /oldroot/dev devtmpfs")));
});

Deno.test("handoff() systemd binds a new root that is not a mount point onto itself", () => {
  const b = boot("linux-7.0");
  b.task.mkdir("/newroot");
  b.task.mkdir("/newroot/sbin");
  b.task.touch("/newroot/sbin/init", 0o755);
  const r = handoff(b.task, "systemd", "/newroot");
  assert.equal(r.error, null);
  const l = lines(r);
  assert.ok(l.includes(`mount("/newroot", "/newroot", NULL, MS_BIND|MS_REC) = OK`));
  assert.ok(l.includes(`pivot_root(".", ".") = OK`));
  // the bind keeps rootfs's superblock: the old root mount is gone, its data not
  assert.equal(r.oldRoot.attached, false);
  assert.ok(r.oldRoot.bytes >= 100_000);
  assert.match(r.mountinfo[0]!, /^\d+ 1 \S+ \/newroot \/ .* - rootfs rootfs /);
});

Deno.test('handoff() runc on linux-6.1: pivot_root(".", ".") is EINVAL on rootfs', () => {
  const b = boot("linux-6.1");
  const host = b.task.ns;
  const r = handoff(b.task, "runc", "/sysroot");
  assert.equal(r.ok, false);
  assert.equal(r.error, "pivot_root .: invalid argument");
  assert.deepEqual(lines(r), [
    `unshare(CLONE_NEWNS) = OK`,
    `mount("", "/", "", MS_SLAVE|MS_REC) = OK`,
    `stat("/sysroot") = OK`,
    `mount("/sysroot", "/sysroot", "bind", MS_BIND|MS_REC) = OK`,
    `chdir("/sysroot") = OK`,
    `oldroot = open("/", O_RDONLY|O_DIRECTORY) = OK`,
    `newroot = open("/sysroot", O_RDONLY|O_DIRECTORY) = OK`,
    `fchdir(newroot) = OK`,
    `pivot_root(".", ".") = EINVAL`,
    `close(oldroot) = OK`,
    `close(newroot) = OK`,
  ]);
  assert.notEqual(b.task.ns, host);
  assert.equal(r.oldRoot.attached, true);
  assert.equal(r.oldRoot.bytes, b.before);
});

Deno.test("handoff() runc on linux-7.0: pivot_root and detach leave the container two mounts", () => {
  const b = boot("linux-7.0");
  const host = b.task.ns;
  const r = handoff(b.task, "runc", "/sysroot");
  assert.equal(r.error, null);
  const l = lines(r);
  assert.deepEqual(l.slice(l.indexOf(`pivot_root(".", ".") = OK`)), [
    `pivot_root(".", ".") = OK`,
    `fchdir(oldroot) = OK`,
    `mount("", ".", "", MS_SLAVE|MS_REC) = OK`,
    `umount2(".", MNT_DETACH) = OK`,
    `chdir("/") = OK`,
    `close(newroot) = OK`,
    `close(oldroot) = OK`,
    `execv("/sbin/init", ["/sbin/init"]) = OK`,
  ]);
  // the container's copy of rootfs is gone; the host's keeps the data
  assert.equal(r.oldRoot.attached, false);
  assert.equal(r.oldRoot.bytes, b.before);
  assert.equal(b.task.ns.mounts.size, 2, "nullfs and the container's root");
  assert.equal(r.mountinfo.length, 1);
  assert.equal(host.mounts.size, 7, "the host namespace is untouched");
});

for (const profile of ["linux-6.1", "linux-7.0"] as const) {
  Deno.test(`handoff() runc-no-pivot on ${profile}: MS_MOVE and chroot leak the host's mounts`, () => {
    const b = boot(profile);
    const r = handoff(b.task, "runc-no-pivot", "/sysroot");
    assert.equal(r.error, null);
    const l = lines(r);
    assert.deepEqual(l.slice(l.indexOf(`chdir("/sysroot") = OK`)), [
      `chdir("/sysroot") = OK`,
      `mount("", "/proc", "", MS_SLAVE|MS_REC) = OK`,
      `umount2("/proc", MNT_DETACH) = OK`,
      `mount("", "/sys", "", MS_SLAVE|MS_REC) = OK`,
      `umount2("/sys", MNT_DETACH) = OK`,
      `mount("/sysroot", "/", "", MS_MOVE) = OK`,
      `chroot(".") = OK`,
      `chdir("/") = OK`,
      `execv("/sbin/init", ["/sbin/init"]) = OK`,
    ]);
    assert.deepEqual(r.oldRoot, {
      fstype: "rootfs",
      attached: true,
      visible: false,
      bytes: b.before,
      inodes: b.rootfs.statfs().usedFiles,
    });
    assert.equal(r.mountinfo.length, 1);
    // rootfs, /dev, /run and the host's /sysroot stay in the container's
    // namespace (and nullfs on 7.0), out of sight
    const kept = [...b.task.ns.mounts].map((m) => m.fs.fstype).sort();
    const want = ["devtmpfs", "ext4", "ext4", "rootfs", "tmpfs"];
    if (profile === "linux-7.0") want.push("nullfs");
    assert.deepEqual(kept, want.sort());
    const chroot = r.steps.find((s) => s.call === `chroot(".")`)!;
    assert.equal(chroot.note, `${kept.length - 1} mounts stay in the namespace, out of sight`);
  });
}
