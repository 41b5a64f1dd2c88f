// What Debian's 6.1 kernel was seen to do with hand-made initrds
// (spec: kernel-observed.md §2), one vector per behaviour, each archive built
// here in code. Every vector is a boot: the built-in initramfs, then the
// images, as populateRootfs() does it, on profile linux-6.1.

import assert from "node:assert/strict";
import {
  manifest,
  populateRootfs,
  type ProfileName,
  type Rootfs,
  type RootfsOptions,
  type Superblock,
} from "../mod.ts";
import { bytes, byteSum, concat, newc, type RawEntry, S, TRAILER } from "./_util/newc.ts";
import { gzip, pad4 } from "./_util/gzip.ts";
import { Prng } from "./_util/prng.ts";

/** Archive mtimes. */
const T = 1600000000;
/** Boot time ("now" of the unpack). */
const BOOT = 1795556286;
/** Kernel build time (mtime of the built-in entries). */
const BUILD = 1794824260;

type Opts = Partial<Omit<RawEntry, "name">>;

const dot = (o: Opts = {}): RawEntry => ({
  name: ".",
  mode: S.IFDIR | 0o755,
  nlink: 2,
  mtime: T,
  ...o,
});
const dir = (name: string, o: Opts = {}): RawEntry => ({
  name,
  mode: S.IFDIR | 0o755,
  nlink: 2,
  mtime: T,
  ...o,
});
const file = (
  name: string | Uint8Array,
  data: string | Uint8Array = "",
  o: Opts = {},
): RawEntry => ({ name, mode: S.IFREG | 0o644, nlink: 1, mtime: T, data, ...o });
const sym = (name: string, target: string, o: Opts = {}): RawEntry => ({
  name,
  mode: S.IFLNK | 0o777,
  nlink: 1,
  mtime: T,
  data: target,
  ...o,
});
const node = (name: string, mode: number, o: Opts = {}): RawEntry => ({
  name,
  mode,
  nlink: 1,
  mtime: T,
  ...o,
});
const crc = (e: RawEntry, o: Opts = {}): RawEntry => ({
  ...e,
  magic: "070702",
  chksum: byteSum(bytes(e.data ?? "")),
  ...o,
});
/** A newc archive with its TRAILER!!!. */
const archive = (...entries: RawEntry[]): Uint8Array => newc([...entries, TRAILER]);

const dec = new TextDecoder();
const text = (fs: Superblock, path: string) => dec.decode(fs.readFile(path));

/** `n` bytes of a fixed pattern without zeros. */
function pattern(n: number, seed = 1): Uint8Array {
  const p = new Prng(seed);
  const out = p.bytes(n);
  for (let k = 0; k < n; k++) if (out[k] === 0) out[k] = 0x5a;
  return out;
}

/** The content is `data`'s first `written` bytes, then zeros up to the full size. */
function assertPartial(got: Uint8Array, data: Uint8Array, written?: number): void {
  assert.equal(got.length, data.length, "st_size is the declared size");
  let k = 0;
  while (k < got.length && got[k] === data[k]) k++;
  assert.ok(k < data.length, "all data arrived");
  if (written !== undefined) assert.equal(k, written, "bytes written");
  assert.ok(got.subarray(k).every((b) => b === 0), "the rest reads as zeros");
}

interface ObservedCase {
  name: string;
  images: () => Uint8Array[] | Promise<Uint8Array[]>;
  options?: RootfsOptions;
  want: (root: Rootfs) => void | Promise<void>;
}

function noError(root: Rootfs): void {
  assert.equal(root.error, null, `unexpected error: ${root.error?.message}`);
}

function failedWith(root: Rootfs, kernelMessage: string): void {
  assert.ok(root.error, `no error, expected "${kernelMessage}"`);
  assert.equal(root.error.kernelMessage, kernelMessage);
  assert.deepEqual(root.messages.at(-1), {
    level: 0,
    text: `Initramfs unpacking failed: ${kernelMessage}`,
  });
}

function assertMissing(fs: Superblock, ...paths: string[]): void {
  for (const p of paths) assert.equal(fs.exists(p), false, `${p} exists`);
}

function names(fs: Superblock, path = "/"): string[] {
  return fs.readdir(path).map((d) => d.name);
}

/** An uncompressed segment, a gzip one and another uncompressed one, as overwrite-3seg. */
async function threeSegments(
  a: RawEntry[],
  b: RawEntry[],
  c: RawEntry[],
): Promise<Uint8Array[]> {
  return [archive(...a), pad4(await gzip(archive(...b))), archive(...c)];
}

const CASES: ObservedCase[] = [
  // ---- §2.1 the built-in initramfs
  {
    name: "built-in: /dev 0755, /dev/console c 5:1 0600, /root 0700, root-owned, build time",
    images: () => [],
    want: ({ fs, messages }) => {
      assert.deepEqual(names(fs), ["dev", "root"]);
      const want = [
        ["/dev", 0o40755, null],
        ["/dev/console", 0o20600, { major: 5, minor: 1 }],
        ["/root", 0o40700, null],
      ] as const;
      for (const [path, mode, rdev] of want) {
        const s = fs.lstat(path);
        assert.deepEqual([s.mode, s.uid, s.gid, s.mtime, s.rdev], [mode, 0, 0, BUILD, rdev], path);
      }
      assert.deepEqual(messages, []);
    },
  },
  {
    name: "built-in: an archive's `dev` 0700 entry changes /dev, /dev/console stays",
    images: () => [archive(dir("dev", { mode: S.IFDIR | 0o700, mtime: T + 1 }))],
    want: (root) => {
      noError(root);
      assert.equal(root.fs.stat("/dev").mode, S.IFDIR | 0o700);
      assert.equal(root.fs.stat("/dev").mtime, T + 1);
      assert.equal(root.fs.lstat("/dev/console").type, "c");
      assert.deepEqual(root.messages, [
        { level: 6, text: "Trying to unpack rootfs image as initramfs..." },
      ]);
    },
  },
  // ---- §2.2 the root directory
  {
    name: "root: a `.` entry gives / its mode, owner and mtime",
    images: () => [archive(dot({ mode: S.IFDIR | 0o750, uid: 5, gid: 6, mtime: T }), file("a"))],
    want: ({ fs }) => {
      const s = fs.stat("/");
      assert.deepEqual([s.mode, s.uid, s.gid, s.mtime], [S.IFDIR | 0o750, 5, 6, T]);
    },
  },
  {
    name: "root: without a `.` entry / is 1777 with the boot time",
    images: () => [archive(file("a"))],
    want: ({ fs }) => {
      const s = fs.stat("/");
      assert.deepEqual([s.mode, s.uid, s.gid, s.mtime], [S.IFDIR | 0o1777, 0, 0, BOOT]);
    },
  },
  {
    name: "root: tmpfs rootfs, directory st_size 20 × (2 + entries)",
    images: () => [archive(dot(), dir("d"), file("d/f", "x"), file("d/g"))],
    want: ({ fs }) => {
      assert.equal(fs.fstype, "tmpfs");
      assert.equal(fs.options, "rw,size=486444k,nr_inodes=121611,inode64");
      assert.equal(fs.stat("/").size, 20 * (2 + 3)); // dev, root, d
      assert.equal(fs.stat("/d").size, 20 * (2 + 2));
      assert.equal(fs.stat("/").nlink, 2 + 3);
    },
  },
  {
    name: "root: with root= the rootfs is ramfs, directory st_size 0",
    images: () => [archive(dot(), dir("d"), file("d/f", "x"))],
    options: { cmdline: "console=ttyS0 root=/dev/sda1" },
    want: ({ fs }) => {
      assert.equal(fs.fstype, "ramfs");
      assert.equal(fs.options, "rw");
      assert.equal(fs.stat("/").size, 0);
      assert.equal(fs.stat("/d").size, 0);
      assert.equal(fs.stat("/d/f").size, 1);
    },
  },
  // ---- §2.3 several segments, duplicates
  {
    name: "duplicates: a regular file listed again is replaced, content truncated",
    images: () =>
      threeSegments(
        [file("longer", "x".repeat(100), { mode: S.IFREG | 0o644, uid: 1, gid: 1, mtime: T })],
        [file("longer", "short\n", { mode: S.IFREG | 0o600, uid: 2, gid: 3, mtime: T + 5 })],
        [],
      ),
    want: (root) => {
      noError(root);
      const s = root.fs.stat("/longer");
      assert.deepEqual([s.size, s.mode, s.uid, s.gid, s.mtime], [6, S.IFREG | 0o600, 2, 3, T + 5]);
      assert.equal(text(root.fs, "/longer"), "short\n");
    },
  },
  {
    name: "duplicates: a directory listed again takes the last owner and mode, the first mtime",
    images: () =>
      threeSegments(
        [dot({ mtime: T }), dir("x", { mtime: T + 1 }), dir("k", { mtime: T + 2 })],
        [
          dot({ mode: S.IFDIR | 0o700, mtime: T + 100 }),
          dir("x", { mode: S.IFDIR | 0o711, uid: 7, gid: 8, mtime: T + 101 }),
        ],
        [dir("k", { mtime: T + 200 }), file("k/new")],
      ),
    want: (root) => {
      noError(root);
      const r = root.fs.stat("/");
      assert.deepEqual([r.mode, r.mtime], [S.IFDIR | 0o700, T]);
      const x = root.fs.stat("/x");
      assert.deepEqual([x.mode, x.uid, x.gid, x.mtime], [S.IFDIR | 0o711, 7, 8, T + 1]);
      assert.equal(root.fs.stat("/k").mtime, T + 2);
    },
  },
  {
    name: "duplicates: a deferred directory mtime lands on the file that replaced the directory",
    images: () =>
      threeSegments(
        [dir("z", { mtime: T + 13 })],
        [file("z", "now a file", { mtime: T + 50 })],
        [],
      ),
    want: (root) => {
      noError(root);
      const s = root.fs.lstat("/z");
      assert.deepEqual([s.type, s.mtime], ["f", T + 13]);
    },
  },
  {
    name: "overwrite: file → directory, the file is replaced",
    images: () => [archive(file("a", "data"), dir("a"))],
    want: ({ fs }) => assert.equal(fs.lstat("/a").type, "d"),
  },
  {
    name: "overwrite: empty directory → file, the directory is replaced",
    images: () => [archive(dir("b"), file("b", "data"))],
    want: ({ fs }) => assert.equal(text(fs, "/b"), "data"),
  },
  {
    name: "overwrite: file → symlink, the file is replaced",
    images: () => [archive(file("c", "data"), sym("c", "target"))],
    want: ({ fs }) => assert.equal(fs.readlink("/c"), "target"),
  },
  {
    name: "overwrite: empty directory → symlink, the directory is replaced",
    images: () => [archive(dir("e"), sym("e", "target"))],
    want: ({ fs }) => assert.equal(fs.readlink("/e"), "target"),
  },
  {
    name: "overwrite: symlink → directory, the symlink is replaced",
    images: () => [archive(sym("s", "/root"), dir("s"))],
    want: ({ fs }) => {
      assert.equal(fs.lstat("/s").type, "d");
      assert.equal(fs.stat("/root").mode, S.IFDIR | 0o700); // not followed
    },
  },
  {
    name: "overwrite: non-empty directory → file, the file entry is dropped silently",
    images: () => [archive(dir("d"), file("d/inner", "in"), file("d", "x"))],
    want: (root) => {
      noError(root);
      assert.equal(root.fs.lstat("/d").type, "d");
      assert.equal(text(root.fs, "/d/inner"), "in");
      assert.ok(
        root.initrd!.warnings.some((w) => w.code === "CREATE_FAILED" && w.errno === "EISDIR"),
      );
    },
  },
  {
    name: "hard links: TRAILER!!! resets the table, the same ino in two archives gives two groups",
    images: () => [
      archive(
        file("h1", "", { ino: 77, nlink: 2 }),
        file("h2", "1\n", { ino: 77, nlink: 2 }),
      ),
      archive(
        file("h3", "", { ino: 77, nlink: 2 }),
        file("h4", "2\n", { ino: 77, nlink: 2 }),
      ),
    ],
    want: ({ fs }) => {
      const [h1, h2, h3, h4] = ["/h1", "/h2", "/h3", "/h4"].map((p) => fs.stat(p));
      assert.equal(h1!.ino, h2!.ino);
      assert.equal(h3!.ino, h4!.ino);
      assert.notEqual(h1!.ino, h3!.ino);
      assert.deepEqual([h1!.nlink, h3!.nlink], [2, 2]);
      assert.deepEqual([text(fs, "/h1"), text(fs, "/h3")], ["1\n", "2\n"]);
    },
  },
  {
    name: "hard links: without TRAILER!!! between two archives the names link",
    images: () => [
      newc([file("m1", "1\n", { ino: 77, nlink: 2 })]),
      archive(file("m2", "2\n", { ino: 77, nlink: 2 })),
    ],
    want: ({ fs }) => {
      assert.equal(fs.stat("/m1").ino, fs.stat("/m2").ino);
      assert.equal(fs.stat("/m1").nlink, 2);
      assert.equal(text(fs, "/m1"), "2\n");
    },
  },
  {
    name: "hard links: GNU style, data on the last name, one inode",
    images: () => [
      archive(
        file("hl-a", "", { ino: 9, nlink: 2 }),
        file("hl-b", "shared\n", { ino: 9, nlink: 2 }),
      ),
    ],
    want: ({ fs }) => {
      assert.equal(fs.stat("/hl-a").ino, fs.stat("/hl-b").ino);
      assert.equal(text(fs, "/hl-a"), "shared\n");
      assert.equal(fs.stat("/hl-a").nlink, 2);
    },
  },
  {
    name: "hard links: data on the first name is kept by an empty later name",
    images: () => [
      archive(
        file("first", "shared\n", { ino: 9, nlink: 2 }),
        file("second", "", { ino: 9, nlink: 2 }),
      ),
    ],
    want: ({ fs }) => {
      assert.equal(fs.stat("/first").ino, fs.stat("/second").ino);
      assert.equal(text(fs, "/second"), "shared\n");
    },
  },
  {
    name: "segments: a plain archive at an unaligned offset after gzip is 'invalid magic'",
    images: async () => {
      const gz = await gzip(archive(file("first", "1")));
      const unaligned = new Uint8Array(gz.length % 4 === 0 ? gz.length + 1 : gz.length);
      unaligned.set(gz);
      return [unaligned, archive(file("second", "2"))];
    },
    want: (root) => {
      failedWith(root, "invalid magic at start of compressed archive");
      assert.equal(text(root.fs, "/first"), "1");
      assertMissing(root.fs, "/second");
    },
  },
  {
    name: "segments: NUL padding to 4 bytes after gzip lets the plain archive through",
    images: async () => [pad4(await gzip(archive(file("first", "1")))), archive(file("second"))],
    want: (root) => {
      noError(root);
      assert.deepEqual(names(root.fs), ["dev", "first", "root", "second"]);
    },
  },
  // ---- §2.4 errors
  {
    name: "errors: crc with a wrong sum on b stops after b, which is complete with its mtime",
    images: () => [
      archive(
        crc(file("a", "aaaa")),
        crc(file("b", "bbbb", { mtime: T + 7 }), { chksum: byteSum(bytes("bbbb")) + 1 }),
        crc(file("c", "cccc")),
      ),
      archive(file("later")),
    ],
    want: (root) => {
      failedWith(root, "bad data checksum");
      assert.equal(text(root.fs, "/a"), "aaaa");
      assert.equal(text(root.fs, "/b"), "bbbb");
      assert.equal(root.fs.stat("/b").mtime, T + 7);
      assertMissing(root.fs, "/c", "/later");
    },
  },
  {
    name: "errors: crc sums of directories, symlinks and nodes are not checked",
    images: () => [
      archive(
        crc(dir("d"), { chksum: 1234 }),
        crc(sym("l", "d"), { chksum: 99 }),
        crc(node("p", S.IFIFO | 0o644), { chksum: 5 }),
        crc(file("f", "ok")),
      ),
    ],
    want: (root) => {
      noError(root);
      assert.deepEqual(names(root.fs), ["d", "dev", "f", "l", "p", "root"]);
    },
  },
  {
    name: "errors: truncated gzip is 'read error', the cut file has full size and boot mtime",
    images: async () => {
      const gz = await gzip(archive(file("complete", "complete\n"), file("big", pattern(16384))));
      return [gz.subarray(0, Math.floor(gz.length * 0.6))];
    },
    want: (root) => {
      failedWith(root, "read error");
      assert.equal(text(root.fs, "/complete"), "complete\n");
      assert.equal(root.fs.stat("/complete").mtime, T);
      assertPartial(root.fs.readFile("/big"), pattern(16384));
      assert.equal(root.fs.stat("/big").mtime, BOOT);
    },
  },
  {
    name: "errors: plain newc cut inside file data is silent, full size, boot mtime",
    images: () => {
      const a = archive(dot(), file("complete", "complete\n"), file("big", pattern(16384)));
      return [a.subarray(0, a.length - 8192)];
    },
    want: (root) => {
      noError(root);
      assert.equal(text(root.fs, "/complete"), "complete\n");
      assertPartial(root.fs.readFile("/big"), pattern(16384));
      assert.equal(root.fs.stat("/big").mtime, BOOT);
      assert.equal(root.fs.stat("/").mtime, T);
    },
  },
  {
    name: "errors: plain newc cut inside a header is silent, everything before stays",
    images: () => {
      const first = newc([file("a", "aa")]);
      return [concat([first, archive(file("b", "bb")).subarray(0, 50)])];
    },
    want: (root) => {
      noError(root);
      assert.equal(text(root.fs, "/a"), "aa");
      assertMissing(root.fs, "/b");
    },
  },
  {
    name: "errors: 16 junk bytes after a valid archive are 'invalid magic', the archive stays",
    images: () => [concat([archive(file("kept")), bytes("JUNK junk JUNK!!")])],
    want: (root) => {
      failedWith(root, "invalid magic at start of compressed archive");
      assert.equal(root.error!.offset, archive(file("kept")).length);
      assert.ok(root.fs.exists("/kept"));
    },
  },
  {
    name: "errors: odc (070707) of 110 bytes or more is 'incorrect cpio method used'",
    images: () => [bytes("070707" + "0".repeat(110) + "x\0")],
    want: (root) => {
      failedWith(root, "incorrect cpio method used: use -H newc option");
      assert.deepEqual(names(root.fs), ["dev", "root"]);
    },
  },
  {
    name: "errors: odc shorter than 110 bytes is silent, nothing unpacked",
    images: () => [bytes("070707" + "0".repeat(60))],
    want: (root) => {
      noError(root);
      assert.deepEqual(names(root.fs), ["dev", "root"]);
    },
  },
  {
    name: "errors: an lz4 frame (not legacy) is 'invalid magic'",
    images: () => [new Uint8Array([0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0, 0, 0, 0])],
    want: (root) => failedWith(root, "invalid magic at start of compressed archive"),
  },
  {
    name: "errors: rootfs full in a gzip image is 'write error', sparse full size, boot mtime",
    images: async () => [
      await gzip(archive(dot(), file("huge", pattern(2 << 20)), file("after", "a"))),
    ],
    options: { rootfsSize: "1M" },
    want: (root) => {
      failedWith(root, "write error");
      const s = root.fs.stat("/huge");
      assert.deepEqual([s.size, s.blocks, s.mtime], [2 << 20, 256, BOOT]);
      assertPartial(root.fs.readFile("/huge"), pattern(2 << 20), 1 << 20);
      assertMissing(root.fs, "/after");
    },
  },
  {
    // a plain image is one buffer for the kernel: do_copy() takes its "all
    // data present" branch, records the short write and still sets the mtime
    // (init/initramfs.c; the corpus case rootfs-full recorded the same)
    name: "errors: rootfs full in a plain image is 'write error', the file keeps its mtime",
    images: () => [archive(dot(), file("huge", pattern(2 << 20)), file("after", "a"))],
    options: { rootfsSize: "1M" },
    want: (root) => {
      failedWith(root, "write error");
      const s = root.fs.stat("/huge");
      assert.deepEqual([s.size, s.blocks], [2 << 20, 256]);
      assertPartial(root.fs.readFile("/huge"), pattern(2 << 20), 1 << 20);
      assertMissing(root.fs, "/after");
      assert.equal(s.mtime, T);
    },
  },
  // ---- §2.5 silently dropped entries
  {
    name: "dropped: name over PATH_MAX, symlink target over PATH_MAX, namesize 0",
    images: () => [
      archive(
        file("ok-before", "before\n"),
        file("n".repeat(5000), "lost"),
        file("middle", "middle\n"),
        sym("longlink", "t".repeat(5000)),
        file("zero", "zz", { namesize: 0 }),
        file("after", "after\n"),
      ),
    ],
    want: (root) => {
      noError(root);
      assert.deepEqual(names(root.fs), ["after", "dev", "middle", "ok-before", "root"]);
      assert.equal(text(root.fs, "/after"), "after\n");
      const codes = root.initrd!.warnings.map((w) => w.code);
      assert.deepEqual(codes, ["NAME_SIZE", "SYMLINK_TOO_LONG", "NAME_SIZE"]);
    },
  },
  {
    name: "dropped: a child listed before its parent directory",
    images: () => [archive(file("later/file", "x"), dir("later"))],
    want: (root) => {
      noError(root);
      assert.deepEqual(names(root.fs, "/later"), []);
      assert.ok(
        root.initrd!.warnings.some((w) => w.code === "CREATE_FAILED" && w.errno === "ENOENT"),
      );
    },
  },
  {
    name: "dropped: a path through a missing directory (a/../dotdot)",
    images: () => [archive(file("a/../dotdot", "x"))],
    want: (root) => {
      noError(root);
      assertMissing(root.fs, "/a", "/dotdot");
    },
  },
  {
    name: "names: ./dotslash and /abs become /dotslash and /abs",
    images: () => [archive(file("./dotslash", "d"), file("/abs", "a"))],
    want: ({ fs }) => {
      assert.equal(text(fs, "/dotslash"), "d");
      assert.equal(text(fs, "/abs"), "a");
    },
  },
  {
    name: "extremes: uid 4294967294, gid 2147483648, mtime 4294967295 kept",
    images:
      () => [archive(file("ids", "", { uid: 4294967294, gid: 2147483648, mtime: 4294967295 }))],
    want: ({ fs }) => {
      const s = fs.stat("/ids");
      assert.deepEqual([s.uid, s.gid, s.mtime], [4294967294, 2147483648, 4294967295]);
    },
  },
  {
    name: "extremes: uid and gid 4294967295 (-1) leave the owner unchanged",
    images: () => [archive(file("minus1", "", { uid: 0xffffffff, gid: 0xffffffff }))],
    want: ({ fs }) => {
      const s = fs.stat("/minus1");
      assert.deepEqual([s.uid, s.gid], [0, 0]);
    },
  },
  {
    name: "extremes: socket, fifo, b 259:1048575, c 4095:1048575 kept",
    images: () => [
      archive(
        node("sock", S.IFSOCK | 0o755),
        node("fifo", S.IFIFO | 0o600),
        node("blk", S.IFBLK | 0o660, { rdevmajor: 259, rdevminor: 1048575 }),
        node("chr", S.IFCHR | 0o666, { rdevmajor: 4095, rdevminor: 1048575 }),
      ),
    ],
    want: ({ fs }) => {
      assert.equal(fs.lstat("/sock").mode, S.IFSOCK | 0o755);
      assert.equal(fs.lstat("/fifo").mode, S.IFIFO | 0o600);
      assert.deepEqual(fs.lstat("/blk").rdev, { major: 259, minor: 1048575 });
      assert.equal(fs.lstat("/blk").mode, S.IFBLK | 0o660);
      assert.deepEqual(fs.lstat("/chr").rdev, { major: 4095, minor: 1048575 });
    },
  },
  {
    name: "extremes: modes 0000, 4755, 1777, 2750 kept",
    images: () => [
      archive(
        file("m0000", "", { mode: S.IFREG }),
        file("m4755", "", { mode: S.IFREG | 0o4755 }),
        dir("m1777", { mode: S.IFDIR | 0o1777 }),
        dir("m2750", { mode: S.IFDIR | 0o2750 }),
      ),
    ],
    want: ({ fs }) => {
      assert.equal(fs.lstat("/m0000").mode, S.IFREG);
      assert.equal(fs.lstat("/m4755").mode, S.IFREG | 0o4755);
      assert.equal(fs.lstat("/m1777").mode, S.IFDIR | 0o1777);
      assert.equal(fs.lstat("/m2750").mode, S.IFDIR | 0o2750);
    },
  },
];

const BASE: RootfsOptions = { profile: "linux-6.1", bootTime: BOOT, buildTime: BUILD };

Deno.test("populateRootfs() reproduces what the 6.1 kernel was seen to do", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, async () => {
      const root = await populateRootfs(await c.images(), { ...BASE, ...c.options });
      await c.want(root);
    });
  }
});

Deno.test("populateRootfs() gives one tree whether segments come as one image or several", async () => {
  const segments = await threeSegments(
    [dot({ mtime: T }), dir("x", { mtime: T + 1 }), file("longer", "x".repeat(100))],
    [dot({ mtime: T + 100 }), dir("x", { mode: S.IFDIR | 0o700 }), file("longer", "short\n")],
    [dir("z", { mtime: T + 13 }), file("x/f", "f")],
  );
  const apart = await populateRootfs(segments, BASE);
  const joined = await populateRootfs([concat(segments)], BASE);
  assert.equal(apart.error, null);
  assert.equal(await manifest(apart.fs), await manifest(joined.fs));
});

Deno.test("populateRootfs() links across the built-in and the image only where the table survives", async (t) => {
  // without a trailer the built-in archive's link table reaches the image on
  // kernels before ~v6.14; linux-7.0 frees it at the end of every unpack
  const builtin = newc([file("b1", "builtin\n", { ino: 5, nlink: 2 })]);
  const image = archive(file("b2", "image\n", { ino: 5, nlink: 2 }));
  const table: { profile: ProfileName; linked: boolean }[] = [
    { profile: "linux-6.1", linked: true },
    { profile: "linux-6.12", linked: true },
    { profile: "linux-7.0", linked: false },
  ];
  for (const { profile, linked } of table) {
    await t.step(`${profile}: ${linked ? "one inode" : "two inodes"}`, async () => {
      const { fs, error } = await populateRootfs([image], { ...BASE, profile, builtin });
      assert.equal(error, null);
      assert.equal(fs.stat("/b1").ino === fs.stat("/b2").ino, linked);
      assert.equal(text(fs, "/b1"), linked ? "image\n" : "builtin\n");
    });
  }
});
