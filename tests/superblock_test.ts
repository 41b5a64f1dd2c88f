// Tmpfs and Ramfs as file systems: the read side (stat, lstat, readdir,
// readFile, readlink, walk), the errno of each failing call, and tmpfs
// accounting as mm/shmem.c does it and the 6.1 kernel was seen to do it
// (spec: kernel-observed.md §3).

import assert from "node:assert/strict";
import { FsError, Ramfs, type Superblock, Tmpfs, unpack } from "../mod.ts";
import { newc, S, TRAILER } from "./_util/newc.ts";

const NOW = 1700000000;
const enc = new TextEncoder();
const dec = new TextDecoder();

function assertErrno(fn: () => unknown, code: string, syscall?: string): void {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof FsError, `not an FsError: ${e}`);
    assert.equal(e.code, code);
    if (syscall !== undefined) assert.equal(e.syscall, syscall);
    return true;
  });
}

/** A small tree: dirs, a file, a symlink to it, a dangling symlink, a fifo and a device. */
function tree(fs: Superblock): Superblock {
  fs.mkdir("/etc");
  fs.mkdir("/etc/ssl");
  fs.writeFile("/etc/hostname", enc.encode("box\n"));
  fs.symlink("hostname", "/etc/name");
  fs.symlink("/missing", "/dangling");
  fs.mknod("/fifo", 0o10644);
  fs.mknod("/null", 0o20666, 1, 3);
  return fs;
}

Deno.test("Superblock.stat() follows symlinks, lstat() does not", () => {
  const fs = tree(new Tmpfs({ now: NOW }));
  assert.equal(fs.stat("/etc/name").type, "f");
  assert.equal(fs.stat("/etc/name").size, 4);
  assert.equal(fs.lstat("/etc/name").type, "l");
  assert.equal(fs.lstat("/etc/name").size, "hostname".length);
  assert.equal(fs.stat("/etc/name").ino, fs.stat("/etc/hostname").ino);
  assert.equal(fs.lstat("/dangling").type, "l");
  assertErrno(() => fs.stat("/dangling"), "ENOENT", "stat");
  const dev = fs.stat("/null");
  assert.equal(dev.type, "c");
  assert.deepEqual(dev.rdev, { major: 1, minor: 3 });
  assert.equal(fs.stat("/fifo").rdev, null);
  assert.equal(fs.stat("/etc/hostname").mtime, NOW);
});

Deno.test("Superblock.exists() reports a dangling symlink but not a missing path", () => {
  const fs = tree(new Tmpfs({ now: NOW }));
  assert.equal(fs.exists("/dangling"), true);
  assert.equal(fs.exists("/missing"), false);
  assert.equal(fs.exists("/etc/hostname/x"), false);
});

Deno.test("Superblock.readdir() lists names sorted bytewise with their types", () => {
  const fs = tree(new Tmpfs({ now: NOW }));
  fs.writeFile("/B", new Uint8Array(0));
  fs.writeFile(new Uint8Array([0x2f, 0xff]), new Uint8Array(0));
  const got = fs.readdir("/").map((d) => [d.name, d.type]);
  assert.deepEqual(got, [
    ["B", "f"],
    ["dangling", "l"],
    ["etc", "d"],
    ["fifo", "p"],
    ["null", "c"],
    ["\ufffd", "f"],
  ]);
  assert.deepEqual(fs.readdir("/")[5]!.nameBytes, new Uint8Array([0xff]));
  assert.deepEqual(fs.readdir("/etc").map((d) => d.name), ["hostname", "name", "ssl"]);
  assertErrno(() => fs.readdir("/etc/hostname"), "ENOTDIR");
});

Deno.test("Superblock.readFile() reads content and refuses directories and nodes", () => {
  const fs = tree(new Tmpfs({ now: NOW }));
  assert.equal(dec.decode(fs.readFile("/etc/hostname")), "box\n");
  assert.equal(dec.decode(fs.readFile("/etc/name")), "box\n");
  assertErrno(() => fs.readFile("/etc"), "EISDIR");
  assertErrno(() => fs.readFile("/fifo"), "EINVAL");
  assertErrno(() => fs.readFile("/nope"), "ENOENT");
});

Deno.test("Superblock.readlink() returns the target, EINVAL for a non-symlink", () => {
  const fs = tree(new Tmpfs({ now: NOW }));
  assert.equal(fs.readlink("/etc/name"), "hostname");
  assert.deepEqual(fs.readlinkBytes("/dangling"), enc.encode("/missing"));
  assertErrno(() => fs.readlink("/etc/hostname"), "EINVAL", "readlink");
});

Deno.test("Superblock.walk() visits depth first in bytewise order, not following symlinks", () => {
  const fs = tree(new Tmpfs({ now: NOW }));
  fs.symlink("/etc", "/etclink");
  assert.deepEqual([...fs.walk()].map((e) => `${e.path} ${e.stat.type}`), [
    "/ d",
    "/dangling l",
    "/etc d",
    "/etc/hostname f",
    "/etc/name l",
    "/etc/ssl d",
    "/etclink l",
    "/fifo p",
    "/null c",
  ]);
  assert.deepEqual([...fs.walk("/etc")].map((e) => e.path), [
    "/etc",
    "/etc/hostname",
    "/etc/name",
    "/etc/ssl",
  ]);
});

Deno.test("Superblock methods fail with the kernel's errno", async (t) => {
  const chain = (fs: Superblock, n: number) => {
    fs.writeFile("/target", new Uint8Array(1));
    fs.symlink("/target", "/l1");
    for (let k = 2; k <= n; k++) fs.symlink(`/l${k - 1}`, `/l${k}`);
    return `/l${n}`;
  };
  const table: { name: string; op: (fs: Superblock) => unknown; want: string }[] = [
    { name: "stat of a missing path: ENOENT", op: (fs) => fs.stat("/nope"), want: "ENOENT" },
    { name: "empty path: ENOENT", op: (fs) => fs.stat(""), want: "ENOENT" },
    {
      name: "stat through a file: ENOTDIR",
      op: (fs) => fs.stat("/etc/hostname/x"),
      want: "ENOTDIR",
    },
    { name: "mkdir of an existing dir: EEXIST", op: (fs) => fs.mkdir("/etc"), want: "EEXIST" },
    {
      name: "mkdir over a dangling symlink: EEXIST",
      op: (fs) => fs.mkdir("/dangling"),
      want: "EEXIST",
    },
    { name: "mkdir under a missing dir: ENOENT", op: (fs) => fs.mkdir("/a/b"), want: "ENOENT" },
    {
      name: "symlink over a file: EEXIST",
      op: (fs) => fs.symlink("x", "/etc/hostname"),
      want: "EEXIST",
    },
    {
      name: "link to an existing name: EEXIST",
      op: (fs) => fs.link("/etc/hostname", "/etc/name"),
      want: "EEXIST",
    },
    { name: "link of a directory: EPERM", op: (fs) => fs.link("/etc", "/etc2"), want: "EPERM" },
    {
      name: "rmdir of a non-empty dir: ENOTEMPTY",
      op: (fs) => fs.rmdir("/etc"),
      want: "ENOTEMPTY",
    },
    {
      name: "rmdir of a file: ENOTDIR",
      op: (fs) => fs.rmdir("/etc/hostname"),
      want: "ENOTDIR",
    },
    { name: "unlink of a dir: EISDIR", op: (fs) => fs.unlink("/etc/ssl"), want: "EISDIR" },
    { name: "readFile of a dir: EISDIR", op: (fs) => fs.readFile("/etc"), want: "EISDIR" },
    {
      name: "41 nested symlinks: ELOOP",
      op: (fs) => fs.stat(chain(fs, 41)),
      want: "ELOOP",
    },
    {
      name: "a symlink to itself: ELOOP",
      op: (fs) => {
        fs.symlink("/self", "/self");
        return fs.stat("/self");
      },
      want: "ELOOP",
    },
    {
      name: "a 256-byte component: ENAMETOOLONG",
      op: (fs) => fs.mkdir("/" + "n".repeat(256)),
      want: "ENAMETOOLONG",
    },
    {
      name: "stat of a 256-byte component: ENAMETOOLONG",
      op: (fs) => fs.stat("/" + "n".repeat(256)),
      want: "ENAMETOOLONG",
    },
  ];
  for (const { name, op, want } of table) {
    await t.step(name, () => {
      for (const fs of [tree(new Tmpfs({ now: NOW })), tree(new Ramfs({ now: NOW }))]) {
        assertErrno(() => op(fs), want);
      }
    });
  }
  await t.step("40 nested symlinks still resolve", () => {
    const fs = new Tmpfs({ now: NOW });
    const last = chain(fs, 40);
    assert.equal(fs.stat(last).type, "f");
  });
  await t.step("a 255-byte component is accepted", () => {
    const fs = new Tmpfs({ now: NOW });
    fs.mkdir("/" + "n".repeat(255));
    assert.equal(fs.stat("/" + "n".repeat(255)).type, "d");
  });
});

Deno.test("Tmpfs size=1M accepts exactly 1048576 bytes of a 2 MiB write, then ENOSPC", () => {
  const fs = new Tmpfs({ size: "1M", now: NOW });
  const data = new Uint8Array(2 << 20).fill(0x61);
  assert.equal(fs.writeFile("/big", data), 1048576);
  assert.equal(fs.stat("/big").size, 1048576);
  assert.equal(fs.stat("/big").blocks, 256);
  assert.deepEqual(fs.statfs(), {
    blocks: 256,
    usedBlocks: 256,
    files: fs.maxInodes,
    usedFiles: 2,
  });
  assertErrno(() => fs.writeFile("/more", new Uint8Array(1)), "ENOSPC", "write");
  fs.unlink("/big");
  assert.equal(fs.statfs().usedBlocks, 0);
  assert.equal(fs.writeFile("/more", new Uint8Array(4096)), 4096);
});

Deno.test("Tmpfs nr_inodes=4 holds the root and 3 files, then ENOSPC for any new inode", () => {
  const fs = new Tmpfs({ nr_inodes: 4, now: NOW });
  for (const name of ["/a", "/b", "/c"]) fs.writeFile(name, new Uint8Array(0));
  assertErrno(() => fs.writeFile("/d", new Uint8Array(0)), "ENOSPC");
  assertErrno(() => fs.mkdir("/d"), "ENOSPC");
  assertErrno(() => fs.symlink("a", "/d"), "ENOSPC");
  assertErrno(() => fs.mknod("/d", 0o10644), "ENOSPC");
  assert.equal(fs.statfs().usedFiles, 4);
});

Deno.test("Tmpfs charges a hard link against nr_inodes", () => {
  const fs = new Tmpfs({ nr_inodes: 4, now: NOW });
  fs.writeFile("/a", new Uint8Array(0));
  fs.writeFile("/b", new Uint8Array(0));
  fs.link("/a", "/a2"); // the fourth charge
  assertErrno(() => fs.link("/a", "/a3"), "ENOSPC", "link");
  fs.unlink("/a2"); // gives the charge back
  fs.link("/a", "/a3");
  assert.equal(fs.stat("/a3").nlink, 2);
});

Deno.test("Tmpfs size=0,nr_inodes=0 and Ramfs have no limits", async (t) => {
  const table = [
    { name: "tmpfs size: 0, nr_inodes: 0", make: () => new Tmpfs({ size: 0, nr_inodes: 0 }) },
    {
      name: "tmpfs from mount data size=0,nr_inodes=0",
      make: () => Tmpfs.fromMountData("size=0,nr_inodes=0"),
    },
    { name: "ramfs", make: () => new Ramfs() },
  ];
  for (const { name, make } of table) {
    await t.step(name, () => {
      const fs = make();
      assert.equal(fs.maxBlocks, 0);
      assert.equal(fs.maxInodes, 0);
      assert.equal(fs.writeFile("/big", new Uint8Array(2 << 20)), 2 << 20);
      for (let k = 0; k < 300; k++) fs.writeFile(`/f${k}`, new Uint8Array(0));
      assert.equal(fs.statfs().usedFiles, 302);
      assert.equal(fs.statfs().blocks, 0);
      assert.equal(fs.statfs().files, 0);
    });
  }
});

Deno.test("Superblock directory st_size and st_nlink: tmpfs 20 × (2 + entries), ramfs 0", async (t) => {
  const table = [
    { name: "tmpfs", make: () => new Tmpfs({ now: NOW }), size: (n: number) => 20 * (2 + n) },
    { name: "ramfs", make: () => new Ramfs({ now: NOW }), size: () => 0 },
  ];
  for (const { name, make, size } of table) {
    await t.step(name, () => {
      const fs = make();
      assert.equal(fs.stat("/").size, size(0));
      assert.equal(fs.stat("/").nlink, 2);
      fs.mkdir("/d1");
      fs.mkdir("/d2");
      fs.writeFile("/f", new Uint8Array(3));
      fs.symlink("f", "/l");
      assert.equal(fs.stat("/").size, size(4));
      assert.equal(fs.stat("/").nlink, 4); // 2 + two subdirectories
      assert.equal(fs.stat("/d1").size, size(0));
      assert.equal(fs.stat("/d1").nlink, 2);
      fs.rmdir("/d2");
      fs.unlink("/l");
      assert.equal(fs.stat("/").size, size(2));
      assert.equal(fs.stat("/").nlink, 3);
    });
  }
});

Deno.test("Tmpfs and Ramfs root: tmpfs 1777, ramfs 0755, both owned by the given ids", () => {
  assert.equal(new Tmpfs().stat("/").mode, 0o41777);
  assert.equal(new Ramfs().stat("/").mode, 0o40755);
  const fs = new Tmpfs({ mode: "0700", uid: 5, gid: 6, now: NOW });
  const root = fs.stat("/");
  assert.deepEqual([root.mode, root.uid, root.gid, root.mtime], [0o40700, 5, 6, NOW]);
  assert.equal(fs.options, "rw,size=486444k,nr_inodes=121611,mode=700,uid=5,gid=6,inode64");
});

Deno.test("Tmpfs refuses a size beyond one WebAssembly memory with RangeError", () => {
  assert.throws(() => new Tmpfs({ size: "4g" }), RangeError);
  assert.throws(() => new Tmpfs({ size: 8 * 1024 ** 3 }), RangeError);
  assert.throws(() => new Tmpfs({ size: "lots" }), RangeError);
  assert.equal(new Tmpfs({ size: "3g" }).maxBlocks, 3 * 262144);
});

Deno.test("Tmpfs.fromMountData() parses tmpfs options, EINVAL for an unknown one", () => {
  const fs = Tmpfs.fromMountData("size=1M,nr_inodes=4");
  assert.equal(fs.maxBlocks, 256);
  assert.equal(fs.maxInodes, 4);
  assert.equal(fs.options, "rw,size=1024k,nr_inodes=4,inode64");
  assert.equal(Tmpfs.fromMountData("size=50%").maxBlocks, 121611);
  assertErrno(() => Tmpfs.fromMountData("size=1M,bogus=1"), "EINVAL", "mount");
});

Deno.test("Tmpfs.fromMountData() rejects an unparsable value with EINVAL, as mount(2) does", () => {
  // shmem_parse_one(): memparse() leaves text behind -> "bad value" -> -EINVAL
  assertErrno(() => Tmpfs.fromMountData("size=huge"), "EINVAL", "mount");
  assertErrno(() => Tmpfs.fromMountData("nr_inodes=4x"), "EINVAL", "mount");
});

// A header can pre-size a file far beyond what the tmpfs holds (the kernel's
// ftruncate is sparse): found by the fuzz run.

const PRESIZED = newc([
  { name: "huge", mode: S.IFREG | 0o644, nlink: 1, data: "0123456789", filesize: 0xc0000000 },
  TRAILER,
]);

Deno.test("Superblock reads other files after an unpack pre-sizes one to 3 GiB", async () => {
  const fs = new Tmpfs({ size: "16M", now: NOW });
  await unpack(fs, PRESIZED, { now: NOW });
  assert.equal(fs.stat("/huge").size, 0xc0000000);
  fs.writeFile("/small", enc.encode("ok\n"));
  assert.equal(dec.decode(fs.readFile("/small")), "ok\n");
  assert.deepEqual(fs.readdir("/").map((d) => d.name), ["huge", "small"]);
});

Deno.test("Tmpfs keeps a pre-sized file sparse: a 3 GiB st_size reserves no 3 GiB of memory", async () => {
  const fs = new Tmpfs({ size: "16M", now: NOW });
  await unpack(fs, PRESIZED, { now: NOW });
  assert.equal(fs.stat("/huge").blocks, 1);
  assert.ok(fs.memoryBytes < 256 << 20, `${fs.memoryBytes} bytes of memory reserved`);
});

Deno.test("tmpfs size=N% rounds as shmem does: bytes of the RAM share, then pages up", () => {
  // the host's 6.18 printed size=246844k (61711 pages) for size=1% of 6171024 pages
  assert.equal(Tmpfs.fromMountData("size=1%", { totalRamPages: 6171024 }).maxBlocks, 61711);
  // the oracle's 6.1 guest: size=1% of 245936 pages is 9840k
  assert.equal(Tmpfs.fromMountData("size=1%", { totalRamPages: 245936 }).maxBlocks, 2460);
  // the default is half the RAM rounded down, not 50% rounded up
  assert.equal(new Tmpfs({ totalRamPages: 243221 }).maxBlocks, 121610);
});
