// The boot model's branches that no recorded kernel can show (the 2021 patch
// series was never merged; 7.0 is not installed here), each against what the
// kernel source makes of it (spec: boot.md §3-§6), plus the command line.

import assert from "node:assert/strict";
import {
  boot,
  type BootResult,
  containerLeak,
  DESIGNS,
  getProfile,
  type KernelProfile,
  packList,
  parseCmdline,
  programStandIn,
  rootDeviceFrom,
} from "../mod.ts";

const ELF = programStandIn();
const SCRIPT = new TextEncoder().encode("#!/bin/sh\nexec /bin/sh\n");

async function image(list: string, files: Record<string, Uint8Array> = {}): Promise<Uint8Array> {
  const r = await packList(list, {
    mtime: 0,
    readFile: (p) => files[p] ?? ELF,
  });
  return r.archive;
}

/** An initramfs with /init (a script) and /bin/sh. */
const withInit = await image(
  "dir /bin 0755 0 0\nfile /bin/sh sh 0755 0 0\nfile /init init 0755 0 0\n",
  { init: SCRIPT },
);
/** An initramfs without an init program (microcode-only style). */
const withoutInit = await image("dir /etc 0755 0 0\nfile /etc/motd motd 0644 0 0\n");
/** A real root: /sbin/init. */
const realRoot = await image(
  "dir /sbin 0755 0 0\nfile /sbin/init init 0755 0 0\ndir /dev 0755 0 0\n",
);
/** Debian's 6.1 has no block filesystem built in; this one has ext4. */
const withExt4: KernelProfile = { ...getProfile("linux-6.1"), blockFilesystems: ["ext4"] };

const mounts = (r: BootResult) =>
  [...r.task.ns.mounts].map((m) => `${m.id}:${m.fs.fstype}@${m.parent?.id ?? "-"}`).sort();
const logged = (r: BootResult, text: string) => r.messages.some((m) => m.text === text);

Deno.test("command line: prefix handlers, values refused by flags, dots, --, env replacement", () => {
  const p = parseCmdline(
    'root=/dev/sda1 rootwaitx rw=1 ro quiet mod.x=1 x.y splash HOME=/h lang="a b" -- single z=1',
    getProfile("linux-6.1"),
  );
  assert.equal(p.root, "/dev/sda1");
  assert.equal(p.readonly, true);
  assert.deepEqual(p.argv, ["init", "rootwaitx", "splash", "single", "z=1"]);
  assert.deepEqual(p.envp, ["HOME=/h", "TERM=linux", "rw=1", "lang=a b"]);
  // reported before the words after "--" are added
  assert.equal(
    p.messages[0]!.text,
    'Unknown kernel command line parameters "rootwaitx splash rw=1 lang=a b", will be passed to user space.',
  );
  // rdinit= and init= drop the arguments collected so far
  assert.deepEqual(parseCmdline("a b rdinit=/x c", getProfile("linux-6.1")).argv, ["init", "c"]);
  // 32 entries at most, then a panic once init would start
  const many = Array.from({ length: 32 }, (_, i) => `a${i}`).join(" ");
  assert.match(
    parseCmdline(many, getProfile("linux-6.1")).panic!,
    /^Too many boot init vars at `a31'$/,
  );
});

Deno.test("every design boots an initramfs with /init; only legacy has no parent under the root", async () => {
  for (const design of DESIGNS) {
    const r = await boot({ design, initrd: [withInit] });
    assert.equal(r.panic, null, design);
    assert.equal(r.init?.path, "/init", design);
    const root = r.task.fs.root.mnt;
    assert.equal(root.parent === null, design === "legacy", design);
  }
});

Deno.test("legacy: from the initramfs pivot_root and a detach of / are EINVAL, umount / too (locked)", async () => {
  const r = await boot({ design: "legacy", initrd: [withInit] });
  const t = r.task;
  t.mkdir("/new");
  t.mount("tmpfs", "/new", "tmpfs", 0);
  t.chdir("/new");
  assert.throws(() => t.pivotRoot(".", "."), { code: "EINVAL" });
  t.chdir("/");
  assert.throws(() => t.umount2("/", 2), { code: "EINVAL" });
  assert.throws(() => t.umount2("/", 0), { code: "EINVAL" });
  // the same from a nullfs boot works
  const n = await boot({ design: "nullfs", initrd: [withInit] });
  n.task.mkdir("/new");
  n.task.mount("tmpfs", "/new", "tmpfs", 0);
  n.task.chdir("/new");
  n.task.pivotRoot(".", ".");
  n.task.umount2(".", 2);
  assert.deepEqual(mounts(n), ["1:nullfs@-", "3:tmpfs@1"]);
});

Deno.test("user-root: the second mount takes rootflags=, and rootflags=size= fills up", async () => {
  const big = await image("file /init init 0755 0 0\nfile /big big 0644 0 0\n", {
    init: SCRIPT,
    big: new Uint8Array(256 * 1024),
  });
  const ok = await boot({ design: "user-root", initrd: [big], cmdline: "rootflags=size=1024M" });
  assert.match(ok.mountinfo[0]!, /^2 1 \S+ \/ \/ rw,relatime - tmpfs none rw,size=1048576k,/);
  const full = await boot({ design: "user-root", initrd: [big], cmdline: "rootflags=size=64k" });
  assert.ok(logged(full, "Initramfs unpacking failed: write error"));
  // the failure branch: not moved, chdir("/") and umount("/..") -> EINVAL on the
  // locked rootfs, so the full user root stays on /root and nothing runs /init
  assert.deepEqual(full.ignored, ['umount("/..", 0) = -22']);
  assert.deepEqual(mounts(full), ["1:rootfs@-", "2:tmpfs@1"]);
  assert.equal(full.panic, "VFS: Unable to mount root fs on unknown-block(0,0)");
  // a mount the kernel cannot make panics with the seed's own text
  const bad = await boot({ design: "user-root", initrd: [big], cmdline: "rootflags=size=x" });
  assert.equal(bad.panic, "Failed to create user root");
  const bad7 = await boot({ design: "user-root-v7", initrd: [big], cmdline: "rootflags=bogus=1" });
  assert.equal(bad7.panic, "Failed to mount rootfs");
});

Deno.test("user-root failure branch with a real root: the user root leaks under it; v6 detaches it; v7 panics", async () => {
  const run = async (design: "user-root" | "user-root-v6" | "user-root-v7") =>
    await boot({
      design,
      profile: withExt4,
      initrd: [withoutInit],
      cmdline: "root=/dev/sda1",
      rootDevice: await rootDeviceFrom("/dev/sda1", { image: realRoot }),
    });
  const seed = await run("user-root");
  // root= given: the second mount is a ramfs (the rule before v6.8)
  assert.ok(logged(seed, "VFS: Mounted root (ramfs filesystem) on device 0:3."));
  assert.ok(logged(seed, "VFS: Mounted root (ext4 filesystem) readonly on device 8:1."));
  assert.equal(seed.init?.path, "/sbin/init");
  assert.deepEqual(mounts(seed), ["1:rootfs@-", "2:ramfs@1", "3:ext4@1"]);
  assert.equal(seed.task.fs.root.mnt.fs.fstype, "ext4");
  const v6 = await run("user-root-v6");
  assert.deepEqual(v6.ignored, []);
  assert.deepEqual(mounts(v6), ["1:rootfs@-", "3:ext4@1"]);
  // v7: both archives went into the second mount, which was detached; rootfs
  // has no /dev for /dev/root (nor /dev/console)
  const v7 = await run("user-root-v7");
  assert.ok(logged(v7, "Warning: unable to open an initial console."));
  assert.ok(logged(v7, "Failed to create /dev/root: -2"));
  assert.match(v7.panic!, /^VFS: Unable to mount root fs on/);
});

Deno.test("user-root seed: /init as an absolute symlink fails the relative check (the v3 report)", async () => {
  const img = await image(
    "dir /sbin 0755 0 0\nfile /sbin/init init 0755 0 0\nslink /init /sbin/init 0777 0 0\n",
  );
  const r = await boot({ design: "user-root", initrd: [img] });
  assert.deepEqual(r.ignored, ['umount("/..", 0) = -22']);
  // /init is not on rootfs: prepare_namespace, no root device
  assert.equal(r.init, null);
  const rel = await image(
    "dir /sbin 0755 0 0\nfile /sbin/init init 0755 0 0\nslink /init sbin/init 0777 0 0\n",
  );
  assert.equal((await boot({ design: "user-root", initrd: [rel] })).init?.path, "/init");
});

Deno.test("user-root seed: the built-in /dev/console stays in rootfs (the July 2021 console report)", async () => {
  const seed = await boot({ design: "user-root", initrd: [withInit] });
  assert.equal(seed.console, false);
  assert.ok(logged(seed, "Warning: unable to open an initial console."));
  const v7 = await boot({ design: "user-root-v7", initrd: [withInit] });
  assert.equal(v7.console, true);
});

Deno.test("missing init: prepare_namespace on each profile; 7.0 pivots into the real root", async () => {
  const legacy = await boot({ design: "legacy", initrd: [withoutInit] });
  assert.ok(logged(legacy, "No filesystem could mount root, tried: "));
  assert.equal(legacy.panic, "VFS: Unable to mount root fs on unknown-block(0,0)");
  const r612 = await boot({ profile: "linux-6.12", initrd: [withoutInit], cmdline: "rdinit=/x" });
  assert.ok(logged(r612, 'VFS: Cannot open root device "" or unknown-block(0,0): error -19'));
  const n = await boot({
    design: "nullfs",
    initrd: [withoutInit],
    cmdline: "rdinit=/x root=/dev/sda1 rw",
    rootDevice: await rootDeviceFrom("/dev/sda1", { image: realRoot }),
  });
  assert.ok(logged(n, "check access for rdinit=/x failed: -2, ignoring"));
  assert.ok(logged(n, "VFS: Mounted root (ext4 filesystem) on device 8:1."));
  assert.ok(logged(n, "VFS: Pivoted into new rootfs"));
  assert.deepEqual(mounts(n), ["1:nullfs@-", "3:ext4@1"]);
  assert.deepEqual(n.init?.argv, ["/sbin/init"]);
});

Deno.test("root= makes rootfs a ramfs; rootfstype=tmpfs brings tmpfs back (6.8 rule), not for the user root", async () => {
  const rootfs = async (cmdline: string, design: "legacy" | "user-root" = "legacy") =>
    (await boot({ design, initrd: [withInit], cmdline })).mountinfo.join("\n");
  assert.match(await rootfs("root=/dev/sda1"), / - rootfs rootfs rw$/);
  assert.match(await rootfs("root=/dev/sda1 rootfstype=tmpfs"), / - rootfs rootfs rw,size=/);
  assert.match(await rootfs("root=/dev/sda1 rootfstype=tmpfs", "user-root"), / - ramfs none rw$/);
});

Deno.test("an initrd that is not a cpio: logged; /initrd.image only with CONFIG_BLK_DEV_RAM=y", async () => {
  const ext2 = new Uint8Array(4096);
  ext2[1080] = 0x53;
  ext2[1081] = 0xef;
  const m = await boot({ initrd: [ext2] });
  // zeros are padding; the superblock's magic is no compression's (as 6.1 answered)
  assert.ok(logged(m, "Initramfs unpacking failed: invalid magic at start of compressed archive"));
  assert.throws(() => m.task.lstat("/initrd.image"), { code: "ENOENT" });
  const y: KernelProfile = { ...getProfile("linux-6.1"), blkDevRam: "y" };
  const kept = await boot({ profile: y, initrd: [withInit, ext2] });
  assert.ok(
    logged(
      kept,
      "rootfs image is not initramfs (invalid magic at start of compressed archive); looks like an initrd",
    ),
  );
  assert.equal(kept.task.lstat("/initrd.image").size, withInit.length + 4096);
  // no init: prepare_namespace looks at it and removes it
  const gone = await boot({ profile: y, initrd: [ext2] });
  assert.ok(logged(gone, "RAMDISK: ext2 filesystem found at block 0"));
  assert.throws(() => gone.task.lstat("/initrd.image"), { code: "ENOENT" });
});

Deno.test("init list: a directory, a non-ELF file and init= as the kernel answers them", async () => {
  const img = await image("dir /bin 0755 0 0\nfile /bin/sh sh 0755 0 0\n", {
    sh: new TextEncoder().encode("not a program\n"),
  });
  const r = await boot({ initrd: [img], cmdline: "rdinit=/bin init=/bin/sh" });
  assert.ok(logged(r, "Failed to execute /bin (error -13)"));
  assert.equal(r.panic, "Requested init /bin/sh failed (error -8).");
});

Deno.test("container-leak: legacy leaks the USB stick and the dead netns; the other designs do not", async () => {
  for (const design of DESIGNS) {
    const r = await containerLeak({ design });
    if (design === "legacy") {
      assert.equal(r.tool, "runc-no-pivot");
      assert.deepEqual(r.leaks.map((l) => l.name), [
        "usb /dev/sdb1 (vfat)",
        `netns ${r.containers[0]!.id}`,
      ]);
      // the two containers still running pin both
      const running = r.containers.slice(1).map((c) => c.id);
      for (const l of r.leaks) assert.deepEqual(l.pinnedBy, running);
    } else {
      assert.equal(r.tool, "runc", design);
      assert.deepEqual(r.leaks, [], design);
      assert.ok(r.superblocks.find((s) => s.kind === "usb")!.free, design);
    }
  }
});

Deno.test("profile knobs: the 7.0 console warning, and initramfs_options= on a kernel without it", async () => {
  const noConsole = await image(
    "dir /dev 0755 0 0\ndir /dev/console 0755 0 0\nfile /init init 0755 0 0\n",
  );
  const n = await boot({ design: "nullfs", initrd: [noConsole] });
  assert.ok(logged(
    n,
    "Warning: unable to open an initial console. You likely supplied your own internal initramfs, make sure /dev/console is there.",
  ));
  // before the parameter existed it was an unknown word: init's environment
  const old: KernelProfile = { ...getProfile("linux-6.1"), initramfsOptions: false };
  const r = await boot({ profile: old, initrd: [withInit], cmdline: "initramfs_options=size=10m" });
  assert.deepEqual(r.init?.envp, ["HOME=/", "TERM=linux", "initramfs_options=size=10m"]);
  assert.match(r.mountinfo[0]!, /rootfs rw,size=486444k,/);
});
