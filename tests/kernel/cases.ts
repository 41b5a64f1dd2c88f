// Archives whose unpacked tree was recorded from real Linux 6.1 and 6.12
// kernels (golden/<name>.txt and golden-6.12/<name>.txt, written by
// record.ts). Every archive is generated here with the raw newc builder, so
// each case reads as a list of entries.
//
// Conventions: mtimes are fixed (T + small offsets, so a golden shows which
// entry's time won); most cases start with a `.` entry so that `/` has a
// fixed mode and mtime instead of the boot time. The initrd the kernel sees
// is the oracle's own segment (a newc archive with a TRAILER!!!, a multiple
// of 4 bytes long) followed by `build()`'s archives, concatenated as is.

import { bytes, byteSum, concat, newc, type RawEntry, S, TRAILER } from "../_util/newc.ts";

/** One kernel-recorded case. */
export interface KernelCase {
  /** File-name-safe id; the kernels' answers: `golden/<name>.txt`, `golden-6.12/<name>.txt`. */
  name: string;
  /** One line: what the case shows. */
  about: string;
  /** The archives, concatenated in this order into the initrd (no padding added). */
  build(): Uint8Array[];
  /** Extra kernel command-line words, e.g. `["root=/dev/sda"]` (rootfs is then ramfs). */
  kernelArgs?: string[];
  /** Guest RAM (`kernel-unpack.sh --mem`); default 1024M. */
  mem?: string;
}

/** Base mtime of all entries (2020-09-13T12:26:40Z). */
export const T = 1600000000;

type Opts = Partial<Omit<RawEntry, "name">>;
type Data = string | Uint8Array;

/** The root entry, as `find . | cpio` writes it. */
function dot(o: Opts = {}): RawEntry {
  return { name: ".", mode: S.IFDIR | 0o755, nlink: 2, mtime: T, ...o };
}

function dir(name: string | Uint8Array, o: Opts = {}): RawEntry {
  return { name, mode: S.IFDIR | 0o755, nlink: 2, mtime: T, ...o };
}

function file(name: string | Uint8Array, data: Data = "", o: Opts = {}): RawEntry {
  return { name, mode: S.IFREG | 0o644, nlink: 1, mtime: T, data, ...o };
}

function sym(name: string | Uint8Array, target: Data, o: Opts = {}): RawEntry {
  return { name, mode: S.IFLNK | 0o777, nlink: 1, mtime: T, data: target, ...o };
}

function node(name: string, type: number, o: Opts = {}): RawEntry {
  return { name, mode: type | 0o644, nlink: 1, mtime: T, ...o };
}

function chr(name: string, major: number, minor: number, o: Opts = {}): RawEntry {
  return node(name, S.IFCHR, { rdevmajor: major, rdevminor: minor, ...o });
}

function blk(name: string, major: number, minor: number, o: Opts = {}): RawEntry {
  return node(name, S.IFBLK, { rdevmajor: major, rdevminor: minor, ...o });
}

function fifo(name: string, o: Opts = {}): RawEntry {
  return node(name, S.IFIFO, o);
}

function sock(name: string, o: Opts = {}): RawEntry {
  return node(name, S.IFSOCK, { mode: S.IFSOCK | 0o755, ...o });
}

/** An entry with type bits 0: only removes what exists at the path. */
function gone(name: string, o: Opts = {}): RawEntry {
  return { name, mode: 0, nlink: 1, mtime: T, ...o };
}

/** The entry as a 070702 ("crc") entry with the correct checksum. */
function crc(e: RawEntry, o: Opts = {}): RawEntry {
  return { ...e, magic: "070702", chksum: byteSum(bytes(e.data ?? "")), ...o };
}

/** A newc archive ending with TRAILER!!!. */
function arc(...entries: RawEntry[]): Uint8Array {
  return newc([...entries, TRAILER]);
}

/** A newc archive without a trailer. */
function bare(...entries: RawEntry[]): Uint8Array {
  return newc(entries);
}

function zeros(n: number): Uint8Array {
  return new Uint8Array(n);
}

function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** `n` printable bytes: a, b, ..., z, a, ... */
function letters(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 0x61 + i % 26;
  return out;
}

/** The first `n` bytes of an archive (a truncated image). */
function cut(a: Uint8Array, n: number): Uint8Array {
  return a.slice(0, n);
}

/**
 * A path of exactly `len` bytes under `deep/`, made of 200-byte directory
 * components; `dirs` are the directories to create first (parents first).
 */
function deepPath(len: number): { dirs: string[]; path: string } {
  const dirs = ["deep"];
  let prefix = "deep";
  for (let i = 0; len - prefix.length - 1 > 255; i++) {
    prefix += "/" + String.fromCharCode(0x61 + i % 26).repeat(200);
    dirs.push(prefix);
  }
  return { dirs, path: prefix + "/" + "z".repeat(len - prefix.length - 1) };
}

/** An odc (070707, "-H odc") archive: 76-byte octal headers, no padding. */
function odc(entries: { name: string; mode: number; data?: string }[]): Uint8Array {
  const oct = (n: number, w: number) => n.toString(8).padStart(w, "0");
  let s = "";
  let ino = 1;
  for (const e of entries) {
    const data = e.data ?? "";
    s += "070707" + oct(1, 6) + oct(ino++, 6) + oct(e.mode, 6) + oct(0, 6) + oct(0, 6) +
      oct(1, 6) + oct(0, 6) + oct(T, 11) + oct(e.name.length + 1, 6) + oct(data.length, 11) +
      e.name + "\0" + data;
  }
  return ascii(s);
}

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

function le32(n: number): Uint8Array {
  return Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
}

/**
 * A gzip member holding `data` in stored (uncompressed) deflate blocks:
 * byte-for-byte reproducible, 10 + 5 per 65535 bytes + data + 8 bytes long.
 */
function gzipStored(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3)];
  let off = 0;
  do {
    const n = Math.min(65535, data.length - off);
    const final = off + n >= data.length ? 1 : 0;
    parts.push(Uint8Array.of(final, n & 0xff, n >>> 8, ~n & 0xff, (~n >>> 8) & 0xff));
    parts.push(data.subarray(off, off + n));
    off += n;
  } while (off < data.length);
  parts.push(le32(crc32(data)), le32(data.length));
  return concat(parts);
}

/** All cases, in recording order. */
/**
 * An archive whose third header starts at 32716 and so straddles offset 32768
 * (the kernel's gunzip flushes 32 KiB of output at a time); that entry's name
 * is longer than PATH_MAX, so the kernel skips it.
 */
function straddle(): Uint8Array {
  // ".": 112 bytes; "pad": header + "pad\0" + 2 -> data at 228; 228 + 32488 = 32716
  return arc(
    dot(),
    file("pad", "p".repeat(32488)),
    file("x".repeat(4096), "skipped\n"),
    file("after1", "1\n"),
    file("after2", "2\n"),
  );
}

export const cases: KernelCase[] = [
  // ---- overwrites: clean_path() and what each type does with an existing path
  {
    name: "overwrite-file-to-dir",
    about: "a file, then a directory of the same name: the file is unlinked, the directory made",
    build: () => [
      arc(dot(), file("x", "a file\n", { mtime: T + 1 }), dir("x", { mode: S.IFDIR | 0o700 })),
    ],
  },
  {
    name: "overwrite-dir-to-file-empty",
    about: "an empty directory, then a file of the same name: the directory is removed",
    build: () => [arc(dot(), dir("x", { mtime: T + 1 }), file("x", "now a file\n"))],
  },
  {
    name: "overwrite-dir-to-file-nonempty",
    about: "a non-empty directory, then a file of the same name: the file is dropped, " +
      "the directory and its contents stay, unpacking goes on",
    build: () => [
      arc(
        dot(),
        dir("x", { mtime: T + 1 }),
        file("x/inner", "inner\n"),
        file("x", "dropped\n", { mtime: T + 2 }),
        file("after", "after\n"),
      ),
    ],
  },
  {
    name: "overwrite-file-to-symlink",
    about: "a file, then a symlink of the same name; a symlink replaced by another symlink",
    build: () => [
      arc(
        dot(),
        file("x", "a file\n"),
        sym("x", "target-one", { mtime: T + 1, uid: 3 }),
        sym("s", "a", { mtime: T + 2, uid: 4 }),
        sym("s", "b", { mtime: T + 3, uid: 5, gid: 6 }),
      ),
    ],
  },
  {
    name: "overwrite-symlink-to-file",
    about: "a symlink, then a file of the same name: the link is unlinked, its target untouched",
    build: () => [
      arc(
        dot(),
        file("t", "target data\n"),
        sym("x", "t"),
        file("x", "new\n", { mtime: T + 1 }),
        dir("d"),
        sym("y", "d"),
        file("y", "over a link to a dir\n", { mtime: T + 2 }),
      ),
    ],
  },
  {
    name: "overwrite-dir-to-symlink",
    about: "an empty directory, then a symlink (replaced); a non-empty directory, then a " +
      "symlink (symlink fails, but lchown still changes the directory's owner)",
    build: () => [
      arc(
        dot(),
        dir("x", { mtime: T + 1 }),
        sym("x", "somewhere", { mtime: T + 2 }),
        dir("y", { mtime: T + 3 }),
        file("y/inner", "inner\n"),
        sym("y", "elsewhere", { mtime: T + 4, uid: 55, gid: 56 }),
      ),
    ],
  },
  {
    name: "overwrite-symlink-to-dir",
    about: "a symlink to a directory and a dangling symlink, each then a directory entry " +
      "of the same name: the link is removed, a real directory made",
    build: () => [
      arc(
        dot(),
        dir("d", { mtime: T + 1 }),
        file("d/f", "in d\n"),
        sym("x", "d"),
        dir("x", { mode: S.IFDIR | 0o700, mtime: T + 2 }),
        sym("y", "missing"),
        dir("y", { mtime: T + 3 }),
      ),
    ],
  },
  {
    name: "overwrite-device-file",
    about: "file<->char device, block device->fifo, fifo->dir, socket->file, same-type " +
      "device again (old rdev kept, new owner/mode/mtime), device over a non-empty dir " +
      "(mknod fails, chown/chmod still applied to the dir)",
    build: () => [
      arc(
        dot(),
        file("f2c", "file\n"),
        chr("f2c", 1, 3, { mtime: T + 1 }),
        chr("c2f", 1, 5),
        file("c2f", "now a file\n", { mtime: T + 2 }),
        blk("b2p", 8, 0),
        fifo("b2p", { mtime: T + 3 }),
        fifo("p2d"),
        dir("p2d", { mtime: T + 4 }),
        sock("s2f"),
        file("s2f", "was a socket\n", { mtime: T + 5 }),
        chr("w", 1, 3, { mode: S.IFCHR | 0o666, uid: 1, gid: 1, mtime: T + 6 }),
        chr("w", 1, 5, { mode: S.IFCHR | 0o600, uid: 2, gid: 2, mtime: T + 7 }),
        dir("nd", { mtime: T + 8 }),
        file("nd/inner", "inner\n"),
        fifo("nd", { mode: S.IFIFO | 0o700, uid: 44, gid: 45, mtime: T + 9 }),
      ),
    ],
  },
  {
    name: "overwrite-file-shrink",
    about: "the same regular file twice: the second truncates (100 -> 6 bytes) and brings " +
      "its own mode/owner/mtime",
    build: () => [
      arc(
        dot(),
        file("longer", letters(100), { mode: S.IFREG | 0o600, uid: 1, gid: 1, mtime: T + 1 }),
        file("longer", "short\n", { mode: S.IFREG | 0o755, uid: 2, gid: 3, mtime: T + 2 }),
      ),
    ],
  },
  {
    name: "overwrite-mode0-unknown-type",
    about: "entries with type bits 0 or an unknown type (filesize 0) remove what exists " +
      "(not non-empty dirs) and create nothing; with filesize != 0 they are skipped",
    build: () => [
      arc(
        dot(),
        file("a", "file a\n"),
        dir("b"),
        sym("c", "a"),
        chr("d", 1, 3),
        dir("e"),
        file("e/x", "keeps e\n"),
        file("u1", "u1\n"),
        file("u2", "u2\n"),
        file("u3", "u3\n"),
        file("a2", "a2\n"),
        gone("a"),
        gone("b"),
        gone("c"),
        gone("d"),
        gone("e"),
        gone("nonexistent"),
        gone("u1", { mode: 0o030644 }),
        gone("u2", { mode: 0o170644 }),
        gone("u3", { mode: 0o050644, data: "skip" }),
        gone("a2", { data: "skip" }),
        file("after", "after\n"),
      ),
    ],
  },
  {
    name: "overwrite-builtin-dev-root",
    about: "the archive changes what the built-in initramfs made: /dev re-moded, " +
      "/dev/console becomes a file, the empty /root becomes a symlink",
    build: () => [
      arc(
        dot(),
        dir("dev", { mode: S.IFDIR | 0o700, uid: 3, gid: 4, mtime: T + 1 }),
        file("dev/console", "not a device\n", { mtime: T + 2 }),
        sym("root", "/tmp", { mtime: T + 3 }),
      ),
    ],
  },

  // ---- directory mtimes: deferred to the end, applied newest-first
  {
    name: "dir-mtime-two-archives",
    about: "a directory listed twice in one archive and again in a second archive: " +
      "mode/owner from the last entry, mtime from the first",
    build: () => [
      arc(
        dot({ mtime: T + 100 }),
        dir("d", { mtime: T + 10 }),
        file("d/f1", "f1\n"),
        dir("d", { mode: S.IFDIR | 0o750, mtime: T + 20 }),
      ),
      arc(
        dot({ mtime: T + 200 }),
        dir("d", { mode: S.IFDIR | 0o700, uid: 5, gid: 6, mtime: T + 30 }),
        file("d/f2", "f2\n"),
        dir("e", { mtime: T + 40 }),
      ),
    ],
  },
  {
    name: "dir-replaced-mtime-kept",
    about: "directories replaced later by a file, a symlink and a fifo (second archive) " +
      "end up with the directory's deferred mtime; a removed one is just missing",
    build: () => [
      arc(
        dot(),
        dir("z", { mtime: T + 13 }),
        dir("z2", { mtime: T + 14 }),
        dir("z3", { mtime: T + 15 }),
        dir("z4", { mtime: T + 16 }),
      ),
      arc(
        file("z", "now a file\n", { mtime: T + 99 }),
        sym("z2", "elsewhere", { mtime: T + 98 }),
        fifo("z3", { mtime: T + 97 }),
        gone("z4"),
      ),
    ],
  },

  // ---- the root directory
  {
    name: "root-dot-entry",
    about: "a `.` entry gives / its mode, owner and mtime",
    build: () => [
      arc(
        dot({ mode: S.IFDIR | 0o750, uid: 1000, gid: 100, mtime: T + 7 }),
        file("f", "f\n"),
      ),
    ],
  },
  {
    name: "root-dot-two-archives",
    about: "two archives with a `.` entry each: / gets the second's mode/owner, the first's mtime",
    build: () => [
      arc(dot({ mtime: T + 100 }), file("a", "a\n")),
      arc(dot({ mode: S.IFDIR | 0o700, uid: 7, gid: 8, mtime: T + 200 }), file("b", "b\n")),
    ],
  },
  {
    name: "root-no-dot",
    about: "no `.` entry: / keeps the tmpfs default 1777 and the boot time as mtime",
    build: () => [arc(dir("d"), file("d/f", "f\n"))],
  },
  {
    name: "root-dot-nondir",
    about: "`.` as a file, symlink, mode-0 and fifo entry: nothing is replaced, but the " +
      "fifo's failed mknod is followed by chown/chmod of /",
    build: () => [
      arc(
        dot(),
        file(".", "not a file\n", { mtime: T + 1 }),
        sym(".", "elsewhere", { mtime: T + 2 }),
        gone("."),
        fifo(".", { mode: S.IFIFO | 0o700, uid: 33, gid: 34, mtime: T + 3 }),
        file("after", "after\n"),
      ),
    ],
  },

  // ---- hard links
  {
    name: "hardlink-gnu-data-on-last",
    about: "GNU cpio style: three names, data only on the last; one inode, attributes of " +
      "the last entry",
    build: () => [
      arc(
        dot(),
        file("a", "", { ino: 10, nlink: 3, mode: S.IFREG | 0o600, uid: 1, mtime: T + 1 }),
        file("b", "", { ino: 10, nlink: 3, mode: S.IFREG | 0o640, uid: 2, mtime: T + 2 }),
        file("c", "shared data\n", { ino: 10, nlink: 3, uid: 3, gid: 3, mtime: T + 3 }),
      ),
    ],
  },
  {
    name: "hardlink-data-on-first",
    about: "data on the first name and size 0 on the second (data kept); data on both, " +
      "second shorter (no O_TRUNC, pre-sized to the second's length)",
    build: () => [
      arc(
        dot(),
        file("a", "first\n", { ino: 20, nlink: 2, mtime: T + 1 }),
        file("b", "", { ino: 20, nlink: 2, mtime: T + 2 }),
        file("c", "a longer content\n", { ino: 21, nlink: 2, mtime: T + 3 }),
        file("d", "xy", { ino: 21, nlink: 2, mtime: T + 4 }),
      ),
    ],
  },
  {
    name: "hardlink-across-trailer",
    about: "the same (ino, maj, min) with nlink 2 in two archives separated by TRAILER!!!: " +
      "two separate inodes",
    build: () => [
      arc(
        dot(),
        file("h1", "", { ino: 77, nlink: 2 }),
        file("h2", "one\n", { ino: 77, nlink: 2 }),
      ),
      arc(
        file("h3", "", { ino: 77, nlink: 2 }),
        file("h4", "two\n", { ino: 77, nlink: 2 }),
      ),
    ],
  },
  {
    name: "hardlink-no-trailer-between",
    about: "the first archive has no TRAILER!!!: a name in the second archive with the same " +
      "key links to the first archive's file and rewrites its data",
    build: () => [
      bare(dot(), file("m1", "1\n", { ino: 88, nlink: 2, mtime: T + 1 })),
      arc(file("m2", "2\n", { ino: 88, nlink: 2, mtime: T + 2 })),
    ],
  },
  {
    name: "trailer-midway",
    about: "entries after a TRAILER!!! in the same archive are still unpacked; the trailer " +
      "split a would-be link group",
    build: () => [
      newc([
        dot(),
        file("x1", "x1\n", { ino: 60, nlink: 2 }),
        TRAILER,
        file("x2", "x2\n", { ino: 60, nlink: 2 }),
        file("after", "after\n"),
        TRAILER,
      ]),
    ],
  },
  {
    name: "trailer-with-size",
    about: "a TRAILER!!! with mode 0 and filesize 4 is skipped, not recognised (links " +
      "continue); one with a regular mode and data is recognised and its data skipped",
    build: () => [
      newc([
        dot(),
        file("hl1", "one\n", { ino: 50, nlink: 2 }),
        { name: "TRAILER!!!", nlink: 1, data: "xxxx" },
        file("hl2", "two\n", { ino: 50, nlink: 2, mtime: T + 1 }),
        { name: "TRAILER!!!", mode: S.IFREG | 0o644, nlink: 1, data: "abcd" },
        file("hl3", "three\n", { ino: 50, nlink: 2, mtime: T + 2 }),
        TRAILER,
      ]),
    ],
  },
  {
    name: "hardlink-devices-key",
    about: "char/block/fifo/socket links (later names take the first's attributes); the " +
      "key includes the file type and c_maj/c_min; nlink 1 never links; dirs and symlinks never",
    build: () => [
      arc(
        dot(),
        chr("c1", 1, 3, { ino: 30, nlink: 2, mode: S.IFCHR | 0o666, mtime: T + 1 }),
        chr("c2", 1, 5, { ino: 30, nlink: 2, mode: S.IFCHR | 0o600, uid: 7, mtime: T + 2 }),
        blk("b1", 8, 1, { ino: 31, nlink: 2, mtime: T + 3 }),
        blk("b2", 8, 2, { ino: 31, nlink: 2, mtime: T + 4 }),
        fifo("p1", { ino: 32, nlink: 2, mtime: T + 5 }),
        fifo("p2", { ino: 32, nlink: 2, mode: S.IFIFO | 0o600, mtime: T + 6 }),
        sock("s1", { ino: 33, nlink: 2, mtime: T + 7 }),
        sock("s2", { ino: 33, nlink: 2, mtime: T + 8 }),
        file("t-file", "t\n", { ino: 34, nlink: 2 }),
        fifo("t-fifo", { ino: 34, nlink: 2 }),
        file("k1", "k1\n", { ino: 35, nlink: 2, devmajor: 8, devminor: 1 }),
        file("k2", "k2\n", { ino: 35, nlink: 2, devmajor: 8, devminor: 2 }),
        file("k3", "", { ino: 35, nlink: 2, devmajor: 8, devminor: 1 }),
        file("n1", "n1\n", { ino: 36, nlink: 1 }),
        file("n2", "n2\n", { ino: 36, nlink: 1 }),
        file("n3", "n3\n", { ino: 36, nlink: 2 }),
        file("n4", "", { ino: 36, nlink: 2 }),
        dir("d1", { ino: 37, nlink: 2 }),
        dir("d2", { ino: 37, nlink: 2 }),
        sym("l1", "t-file", { ino: 38, nlink: 2 }),
        sym("l2", "t-file", { ino: 38, nlink: 2 }),
      ),
    ],
  },
  {
    name: "hardlink-first-removed",
    about: "the first name of a link group was removed, replaced by a dir, or truncated " +
      "by a same-type file before the next name; a link name that is a non-empty dir",
    build: () => [
      arc(
        dot(),
        file("a", "a-data\n", { ino: 40, nlink: 2 }),
        gone("a"),
        file("b", "b-data\n", { ino: 40, nlink: 2 }),
        file("c", "c-data\n", { ino: 41, nlink: 2 }),
        dir("c"),
        file("d", "d-data\n", { ino: 41, nlink: 2 }),
        file("e", "e1\n", { ino: 42, nlink: 2 }),
        file("e", "e2-new\n", { nlink: 1, mode: S.IFREG | 0o600, mtime: T + 1 }),
        file("f", "", { ino: 42, nlink: 2, mtime: T + 2 }),
        fifo("g", { ino: 43, nlink: 2 }),
        gone("g"),
        fifo("h", { ino: 43, nlink: 2 }),
        file("i", "i-data\n", { ino: 44, nlink: 2 }),
        dir("j"),
        file("j/x", "keeps j\n"),
        file("j", "j-data\n", { ino: 44, nlink: 2 }),
        file("after", "after\n"),
      ),
    ],
  },
  {
    name: "hardlink-first-now-symlink",
    about: "the first name of a link group became a symlink: link() links the symlink " +
      "itself and the data is written through it into the symlink's target",
    build: () => [
      arc(
        dot(),
        file("kt", "target\n", { mtime: T + 1 }),
        file("k", "k-data\n", { ino: 45, nlink: 2, mtime: T + 2 }),
        sym("k", "kt", { mtime: T + 3 }),
        file("l", "L\n", { ino: 45, nlink: 2, mode: S.IFREG | 0o600, uid: 9, mtime: T + 4 }),
      ),
    ],
  },

  // ---- 070702 checksums
  {
    name: "crc-good",
    about: "070702 entries with correct checksums (bytes >= 0x80 summed unsigned, an empty " +
      "file, a GNU-style link pair, a directory)",
    build: () => [
      arc(
        crc(dot()),
        crc(file("asdf", "ASDF")),
        crc(file("pattern", letters(1000))),
        crc(file("high", new Uint8Array(300).fill(0xff))),
        crc(file("empty", "")),
        crc(dir("d")),
        crc(file("d/l1", "", { ino: 5, nlink: 2 })),
        crc(file("d/l2", "linked\n", { ino: 5, nlink: 2 })),
      ),
    ],
  },
  {
    name: "crc-bad-stops",
    about: "a wrong checksum on `b`: `b` stays complete with its mtime, everything after it " +
      "(same archive and a later one) is missing, earlier dir mtimes still applied",
    build: () => [
      arc(
        crc(dot()),
        crc(dir("early", { mtime: T + 1 })),
        crc(file("a", "good a\n")),
        crc(dir("mid", { mtime: T + 2 })),
        crc(file("mid/b", "bad b\n", { mtime: T + 3 }), { chksum: 12345 }),
        crc(file("c", "good c\n")),
        crc(dir("late", { mtime: T + 4 })),
      ),
      arc(file("e", "later archive\n")),
    ],
  },
  {
    name: "crc-nonfile-check",
    about: "070702 dir/symlink/device/fifo/trailer with non-zero, wrong checksums: ignored",
    build: () => [
      newc([
        crc(dot(), { chksum: 0xdeadbeef }),
        crc(dir("d"), { chksum: 1 }),
        crc(sym("l", "d"), { chksum: 0x1234 }),
        crc(chr("c", 1, 3), { chksum: 7 }),
        crc(fifo("p"), { chksum: 8 }),
        crc(file("f", "checked\n")),
        { ...TRAILER, magic: "070702", chksum: 99 },
        crc(file("after", "after\n")),
        TRAILER,
      ]),
    ],
  },
  {
    name: "crc-empty-file-nonzero-sum",
    about: "a 070702 empty regular file with checksum 5: sum 0 != 5, bad data checksum",
    build: () => [
      arc(
        crc(dot()),
        crc(file("empty", "", { mtime: T + 1 }), { chksum: 5 }),
        crc(file("after", "after\n")),
      ),
    ],
  },
  {
    name: "crc-mixed-magic",
    about: "070701 entries with garbage in c_chksum interleaved with correct 070702 entries",
    build: () => [
      arc(
        dot(),
        file("a", "plain a\n", { chksum: 0xffffffff }),
        crc(file("b", "crc b\n")),
        file("c", "plain c\n", { chksum: 1 }),
        crc(file("d", "crc d\n")),
      ),
    ],
  },

  // ---- truncated images (the archive is the last thing in the initrd)
  {
    name: "truncated-header",
    about: "the image ends 60 bytes into a header: silently nothing more",
    build: () => [
      concat([
        bare(dot(), file("a", "complete\n"), dir("d")),
        cut(bare(file("b", "never\n")), 60),
      ]),
    ],
  },
  {
    name: "truncated-name",
    about: "the image ends inside an entry's name: silently nothing more",
    build: () => [
      concat([
        bare(dot(), file("a", "complete\n")),
        cut(bare(file("truncated-in-the-name", "x\n")), 110 + 8),
      ]),
    ],
  },
  {
    name: "truncated-data",
    about: "the image ends 1000 bytes into a 16384-byte file: full size, zeros after the " +
      "data, mtime not set (boot time)",
    build: () => [
      concat([
        bare(dot(), file("complete", "complete\n")),
        cut(bare(file("big", letters(16384))), 116 + 1000),
      ]),
    ],
  },
  {
    name: "truncated-symlink",
    about: "the image ends inside a symlink's target: no link",
    build: () => [
      concat([
        bare(dot(), file("a", "complete\n")),
        cut(bare(sym("link", "target/that/is/cut/short")), 110 + 6 + 5),
      ]),
    ],
  },

  // ---- names
  {
    name: "name-too-long",
    about: "namesize 4097 (a 4096-byte name, and a short name with NUL padding), 5000 and 0: " +
      "skipped with their data, unpacking goes on",
    build: () => {
      const p = deepPath(4095);
      return [
        arc(
          dot(),
          ...p.dirs.map((d) => dir(d)),
          file("ok-before", "before\n"),
          file(p.path + "y", "4096-byte name\n"),
          file("middle", "middle\n"),
          file("nul4097", "short name, namesize 4097\n", { namesize: 4097 }),
          dir("x".repeat(4999)),
          file("y".repeat(4999), "5000\n"),
          sym("s".repeat(4999), "target"),
          file("", "namesize zero\n", { namesize: 0 }),
          file("after", "after\n"),
        ),
      ];
    },
  },
  {
    name: "namesize-4096",
    about: "namesize exactly 4096: a 4095-byte path is created, and so is a short name " +
      "padded with NULs to namesize 4096",
    build: () => {
      const p = deepPath(4095);
      return [
        arc(
          dot(),
          ...p.dirs.map((d) => dir(d)),
          file(p.path, "4095-byte path\n"),
          file("nul4096", "short name, namesize 4096\n", { namesize: 4096 }),
          sym("snul4096", "target", { namesize: 4096 }),
        ),
      ];
    },
  },
  {
    name: "name-extra-nuls",
    about: "namesize larger than the name (extra NULs) and a NUL inside the name: the name " +
      "ends at the first NUL",
    build: () => [
      arc(
        dot(),
        file("pad", "aligned\n", { namesize: 12 }),
        file("x\0hidden", "x\n"),
        dir("dd", { namesize: 100 }),
        sym("sl", "pad", { namesize: 8 }),
        file("after", "after\n"),
      ),
    ],
  },
  {
    name: "name-no-nul",
    about: "a file name whose last namesize byte is not NUL (the padding after it is): " +
      "this 6.1 build checks it (initramfs name without nulterm, malformed archive)",
    build: () => [
      arc(
        dot(),
        file("before", "before\n"),
        file("abcd", "padded\n", { noNul: true }),
        file("after", "after\n"),
      ),
    ],
  },
  {
    name: "symlink-name-no-nul",
    about: "a symlink name without its NUL (it would run into the target): initramfs " +
      "symlink without nulterm, malformed archive",
    build: () => [
      arc(
        dot(),
        file("before", "before\n"),
        sym("sy", "tgt", { noNul: true }),
        file("after", "after\n"),
      ),
    ],
  },
  {
    name: "symlink-target-lengths",
    about: "symlink targets of 4095 (made), 4096 (fails), 4096 ending in NUL (made), 4097 " +
      '(skipped), empty (made, target ""), with a trailing or inner NUL (cut there)',
    build: () => [
      arc(
        dot(),
        sym("s4095", "t/".repeat(2047) + "t"),
        sym("s4096", "t/".repeat(2048)),
        sym("s4096nul", "u/".repeat(2047) + "u\0"),
        sym("s4097", "v/".repeat(2048) + "v"),
        sym("sempty", ""),
        sym("snul", "gen-style\0"),
        sym("sembed", "ab\0cd"),
        file("after", "after\n"),
      ),
    ],
  },
  {
    name: "component-255-256",
    about: "a path component of 255 bytes works, 256 fails (file, dir, symlink name); a " +
      "256-byte component inside a symlink target is fine",
    build: () => [
      arc(
        dot(),
        file("f".repeat(255), "255\n"),
        file("g".repeat(256), "256\n"),
        dir("d".repeat(255)),
        file("d".repeat(255) + "/inside", "inside\n"),
        dir("e".repeat(256)),
        sym("l".repeat(256), "x"),
        sym("longtarget", "t".repeat(256)),
        file("after", "after\n"),
      ),
    ],
  },

  // ---- magic
  {
    name: "odc-long",
    about: "an odc (070707) archive of >= 110 bytes after a newc one: incorrect cpio method, " +
      "nothing from it or after it",
    build: () => [
      arc(dot(), file("newc-before", "before\n")),
      odc([{ name: "odc-file", mode: S.IFREG | 0o644, data: "odc data\n" }, {
        name: "TRAILER!!!",
        mode: 0,
      }]),
      arc(file("newc-after", "after\n")),
    ],
  },
  {
    name: "odc-short",
    about: "an odc entry shorter than 110 bytes at the end of the image: silently nothing",
    build: () => [
      arc(dot(), file("newc-before", "before\n")),
      odc([{ name: "o", mode: S.IFREG | 0o644, data: "odc\n" }]),
    ],
  },
  {
    name: "bad-magic-070703",
    about: "a header with magic 070703 in the middle of an archive: no cpio magic, rest lost",
    build: () => [
      newc([
        dot(),
        file("a", "a\n"),
        file("bad", "bad\n", { magic: "070703" }),
        file("b", "b\n"),
        TRAILER,
      ]),
      arc(file("c", "c\n")),
    ],
  },
  {
    name: "bad-magic-letters",
    about: "an entry with magic ABCDEF: not a cpio start, taken for compressed data with an " +
      "unknown method",
    build: () => [
      arc(dot(), file("a", "a\n")),
      arc(file("bad", "bad\n", { magic: "ABCDEF" })),
      arc(file("c", "c\n")),
    ],
  },

  // ---- paths
  {
    name: "child-before-parent",
    about: "`later/file` before `later`: the file is dropped (no implicit parents)",
    build: () => [
      arc(dot(), file("later/file", "too early\n"), dir("later"), file("later/ok", "ok\n")),
    ],
  },
  {
    name: "path-prefixes",
    about: "`./x`, `/x`, `//x`, `./d/./e`, `d//f`, `/d/g/`, `././h` name the same places as " +
      "the plain paths",
    build: () => [
      arc(
        dot(),
        file("./dotslash", "dotslash\n"),
        file("/abs", "abs\n"),
        file("//dbl", "dbl\n"),
        dir("./d"),
        file("./d/./e", "e\n"),
        file("d//f", "f\n"),
        dir("/d/g/", { mtime: T + 1 }),
        file("././h", "h\n"),
      ),
    ],
  },
  {
    name: "path-dotdot",
    about: "`x/../y` (x exists) lands in /, `missing/../z` is dropped, `..` at / stays at /",
    build: () => [
      arc(
        dot(),
        dir("x"),
        dir("x/sub"),
        file("x/../y", "y\n"),
        file("missing/../z", "z\n"),
        file("../up", "up\n"),
        file("x/../../up2", "up2\n"),
        file("x/sub/../../w", "w\n"),
      ),
    ],
  },
  {
    name: "path-dotdot-root-entry",
    about: "a `..` directory entry at the root changes /'s mode and owner; `.` (listed " +
      "first) still wins the mtime; a `..` file entry does nothing",
    build: () => [
      arc(
        dot({ mtime: T + 1 }),
        dir("..", { mode: S.IFDIR | 0o711, uid: 9, gid: 9, mtime: T + 5 }),
        file("..", "nothing\n"),
        file("after", "after\n"),
      ),
    ],
  },
  {
    name: "path-trailing-slash",
    about: "trailing slashes: dirs are made, a file/symlink/fifo with one is not; a file " +
      "entry `emptyd/` removes the empty directory emptyd",
    build: () => [
      arc(
        dot(),
        dir("tdir/", { mtime: T + 1 }),
        file("tdir/inner", "inner\n"),
        file("tfile/", "tfile\n"),
        sym("tsym/", "tdir"),
        fifo("tfifo/"),
        dir("emptyd"),
        file("emptyd/", "x\n"),
        file("after", "after\n"),
      ),
    ],
  },
  {
    name: "via-intermediate-symlink",
    about: "intermediate symlinks are followed (relative, absolute target, `..` after one, " +
      "`lib/` with a trailing slash re-modes the target); dangling or to-a-file ones fail",
    build: () => [
      arc(
        dot(),
        dir("usr"),
        dir("usr/lib", { mtime: T + 1 }),
        sym("lib", "usr/lib"),
        file("lib/x", "x\n"),
        dir("lib/sub", { mtime: T + 2 }),
        file("lib/sub/y", "y\n"),
        sym("lib64", "/usr/lib"),
        file("lib64/z", "z\n"),
        file("lib/../q", "q\n"),
        sym("dang", "nowhere"),
        file("dang/f", "f\n"),
        file("plain", "plain\n"),
        sym("tofile", "plain"),
        file("tofile/g", "g\n"),
        dir("lib/", { mode: S.IFDIR | 0o700, uid: 66, gid: 67, mtime: T + 3 }),
      ),
    ],
  },

  // ---- attributes
  {
    name: "modes-extreme",
    about: "modes 0000/7777/4755/2750/1777/6755 on files, dirs, fifo, device, symlink; " +
      "mode bits above 16 are dropped",
    build: () => [
      arc(
        dot(),
        file("f0000", "0\n", { mode: S.IFREG | 0o0000 }),
        file("f7777", "7\n", { mode: S.IFREG | 0o7777 }),
        file("f4755", "4\n", { mode: S.IFREG | 0o4755 }),
        file("f2750", "2\n", { mode: S.IFREG | 0o2750 }),
        file("f1777", "1\n", { mode: S.IFREG | 0o1777 }),
        file("f6755", "6\n", { mode: S.IFREG | 0o6755 }),
        dir("d0000", { mode: S.IFDIR | 0o0000 }),
        file("d0000/inner", "inner\n"),
        dir("d7777", { mode: S.IFDIR | 0o7777 }),
        dir("d1777", { mode: S.IFDIR | 0o1777 }),
        fifo("p7777", { mode: S.IFIFO | 0o7777 }),
        chr("c0000", 1, 3, { mode: S.IFCHR | 0o0000 }),
        sym("l0000", "f0000", { mode: S.IFLNK | 0o000 }),
        file("high-file", "h\n", { mode: 0x123481a4 }),
        dir("high-dir", { mode: 0xffff41ed }),
      ),
    ],
  },
  {
    name: "ids-extreme",
    about: "uid/gid up to 0xfffffffe kept; 0xffffffff (-1) leaves the owner unchanged " +
      "(root for new inodes, the old owner for an overwritten file or the built-in /dev)",
    build: () => [
      arc(
        dot(),
        file("u-fffffffe", "a\n", { uid: 0xfffffffe, gid: 0xfffffffe }),
        file("u-ffffffff", "b\n", { uid: 0xffffffff, gid: 0xffffffff }),
        file("u-mixed", "c\n", { uid: 0xffffffff, gid: 5 }),
        file("u-80000000", "d\n", { uid: 0x80000000, gid: 0x80000000 }),
        file("u-65534", "e\n", { uid: 65534, gid: 65535 }),
        dir("d-ids", { uid: 0xffffffff, gid: 0xfffffffe }),
        sym("l-ids", "u-65534", { uid: 0xfffffffe, gid: 0xffffffff }),
        fifo("p-ids", { uid: 0x7fffffff, gid: 1 }),
        file("o", "owned\n", { uid: 1000, gid: 1000 }),
        file("o", "still owned\n", { uid: 0xffffffff, gid: 0xffffffff, mtime: T + 1 }),
        dir("dev", { uid: 0xffffffff, gid: 5 }),
      ),
    ],
  },
  {
    name: "mtimes-extreme",
    about: "mtimes 0, 0x7fffffff, 0x80000000 and 0xffffffff on files, dirs, symlinks, nodes",
    build: () => [
      arc(
        dot({ mtime: 0xffffffff }),
        file("f-0", "0\n", { mtime: 0 }),
        file("f-7fffffff", "1\n", { mtime: 0x7fffffff }),
        file("f-80000000", "2\n", { mtime: 0x80000000 }),
        file("f-ffffffff", "3\n", { mtime: 0xffffffff }),
        dir("d-0", { mtime: 0 }),
        dir("d-ffffffff", { mtime: 0xffffffff }),
        sym("l-0", "f-0", { mtime: 0 }),
        sym("l-ffffffff", "f-0", { mtime: 0xffffffff }),
        fifo("p-ffffffff", { mtime: 0xffffffff }),
        chr("c-0", 1, 3, { mtime: 0 }),
      ),
    ],
  },
  {
    name: "devices-numbers",
    about: "rdev 4095:1048575 and beyond: MKDEV(maj, min) = maj << 20 | min cut to 32 bits, " +
      "so bigger majors wrap and bigger minors spill into the major",
    build: () => [
      arc(
        dot(),
        chr("c-0-0", 0, 0),
        chr("c-max", 4095, 1048575),
        blk("b-max", 4095, 1048575),
        blk("b-259", 259, 1048575),
        chr("c-maj4096", 4096, 0),
        chr("c-maj4097", 4097, 7),
        chr("c-min1048576", 0, 1048576),
        chr("c-1-min1048577", 1, 1048577),
        chr("c-min-ffffffff", 0, 0xffffffff),
        chr("c-ffffffff-ffffffff", 0xffffffff, 0xffffffff),
        blk("b-maj-ffffffff", 0xffffffff, 1),
        fifo("p-rdev", { rdevmajor: 1, rdevminor: 3 }),
        sock("s-rdev", { rdevmajor: 1, rdevminor: 3 }),
        file("f-rdev", "f\n", { rdevmajor: 8, rdevminor: 1 }),
        dir("d-rdev", { rdevmajor: 8, rdevminor: 1 }),
      ),
    ],
  },
  {
    name: "nonregular-with-size",
    about: "dir/char/fifo/socket entries with filesize != 0 are skipped with their data " +
      "(even data that is itself a valid entry)",
    build: () => [
      arc(
        dot(),
        dir("dsz", { data: "hello" }),
        chr("csz", 1, 3, { data: "abc" }),
        fifo("psz", { data: "xy" }),
        sock("ssz", { data: "s" }),
        dir("dhdr", { data: bare(file("smuggled", "smuggled\n")) }),
        file("after", "after\n"),
      ),
    ],
  },

  // ---- how archives are joined
  {
    name: "zero-pad-aligned",
    about: "4 and 1024 NULs between archives and 3 at the end: all three archives unpacked",
    build: () => [
      arc(dot(), file("one", "1\n")),
      zeros(4),
      arc(file("two", "2\n")),
      zeros(1024),
      arc(file("three", "3\n")),
      zeros(3),
    ],
  },
  {
    name: "zero-pad-unaligned",
    about: "1 NUL between two archives: the cpio machine eats it and finds an unaligned " +
      "offset (broken padding); the second archive is lost",
    build: () => [arc(dot(), file("one", "1\n")), zeros(1), arc(file("two", "2\n"))],
  },
  {
    name: "gzip-then-plain-unaligned",
    about: "a gzip member of odd length (stored blocks) then a plain archive at an " +
      "unaligned offset: invalid magic, the plain archive is lost",
    build: () => [
      gzipStored(arc(dot(), file("in-gzip", "gz\n"))),
      arc(file("plain", "plain\n")),
    ],
  },
  {
    name: "gzip-then-plain-padded",
    about: "the same gzip member NUL-padded to a 4-byte boundary: the plain archive is " +
      "unpacked too",
    build: () => [
      gzipStored(arc(dot(), file("in-gzip", "gz\n"))),
      zeros(1),
      arc(file("plain", "plain\n")),
    ],
  },
  {
    name: "stale-next-state-gzip",
    about: "in a gzip member, a header straddling the 32 KiB output buffers of the kernel's " +
      "gunzip belongs to an entry that is skipped (namesize 4097): next_state is left at " +
      "GotHeader, the same header is processed again and again, later entries are lost",
    build: () => [gzipStored(straddle())],
  },
  {
    name: "stale-next-state-plain",
    about: "the same archive uncompressed: one buffer, the header is read in place, the " +
      "skip goes on to the next entry",
    build: () => [straddle()],
  },
  {
    name: "junk-after-archive",
    about: "16 bytes of text after a valid archive, then another archive: invalid magic, the " +
      "first archive kept",
    build: () => [
      arc(dot(), file("kept", "kept\n")),
      ascii("JUNK JUNK JUNK!\n"),
      arc(file("lost", "lost\n")),
    ],
  },

  // ---- hex fields (6.1 parses each with simple_strtoul)
  {
    name: "hex-0x-prefix",
    about: "header fields with 0x/0X prefixes are read as hex (legacy simple_strtoul)",
    build: () => [
      arc(
        dot(),
        file("p-mode", "m\n", { raw: { mode: "0x0081ed" } }),
        file("p-ids", "i\n", { raw: { uid: "0x0003e8", gid: "0X0003e9" } }),
        file("p-mtime", "t\n", { raw: { mtime: "0x5f5e10" } }),
        file("p-size", "12345", { raw: { filesize: "0x000005" } }),
        file("p-namesize", "n\n", { raw: { namesize: "0x00000b" } }),
        file("p-empty-0x", "e\n", { raw: { uid: "0xzzzzzz", mtime: "0xg00000" } }),
        file("p-mid-x", "x\n", { raw: { uid: "00000x10" } }),
        file("p-upper", "u\n", { raw: { mode: "000081A4", gid: "000000FF" } }),
        dir("p-dir", { raw: { mode: "0x0041c0" } }),
        chr("p-dev", 0, 0, { raw: { rdevmajor: "0x000001", rdevminor: "0X000003" } }),
      ),
    ],
  },
  {
    name: "hex-nonhex-chars",
    about: "header fields with non-hex characters: parsing stops there (no error in 6.1)",
    build: () => [
      arc(
        dot(),
        file("n-uid", "1\n", { raw: { uid: "12g45678", gid: "zzzzzzzz" } }),
        file("n-space", "2\n", { raw: { mtime: "5f5e100 ", uid: " 0000010" } }),
        file("n-sign", "3\n", { raw: { mtime: "-0000001", uid: "+0000010" } }),
        file("n-size", "12345", { raw: { filesize: "5zzzzzzz" } }),
        file("n-name", "n\n", { raw: { namesize: "7;;;;;;;" } }),
        file("n-mode", "m\n", { raw: { mode: "81a4.txt" } }),
        file("n-nul-ino", "z\n", { raw: { ino: "\0\0\0\0\0\0\0\0" } }),
        crc(file("n-chksum", "ASDF"), { raw: { chksum: "11e-----" } }),
        chr("n-dev", 0, 0, { raw: { rdevmajor: "0000001z", rdevminor: "3:000000" } }),
        file("after", "after\n"),
      ),
    ],
  },

  // ---- rootfs limits and kinds
  {
    name: "rootfs-full",
    about: "a 130 MiB file with 256M of RAM (rootfs gets ~33 MiB: the initrd's memory is " +
      "not counted): write error, the file keeps its full size and mtime, the next entry is missing",
    mem: "256M",
    build: () => [
      arc(
        dot(),
        file("before", "before\n"),
        file("huge", new Uint8Array(130 * 1024 * 1024)),
        file("after", "after\n"),
      ),
    ],
  },
  {
    name: "ramfs-root",
    about: "root=/dev/sda on the command line: rootfs is ramfs (directory sizes 0, root " +
      "mode/mtime without a `.` entry)",
    kernelArgs: ["root=/dev/sda"],
    build: () => [
      arc(
        dir("d", { mtime: T + 1 }),
        file("d/f", "f\n"),
        dir("d/e", { mode: S.IFDIR | 0o700 }),
        sym("l", "d/f"),
        fifo("p"),
        file("big", letters(10000)),
      ),
    ],
  },
];

// ---- compressed members
//
// The members are files in members/, made from members/payloads.ts by
// members/make.ts with each format's real tool; a case reads them and cuts,
// flips or joins them in code. Every format gets the same cases (zstd twice:
// with and without the content size in its frame header), then cases for
// what only one format has, then decompression bombs.

const MEMBERS = new URL("./members/", import.meta.url);

/** The bytes of a member file of members/. */
function member(name: string): Uint8Array {
  return Deno.readFileSync(new URL(name, MEMBERS));
}

/** A member format: its file-name stem and extension, and how make.ts wrote it. */
interface MemberFormat {
  id: string;
  ext: string;
  tool: string;
}

const FORMATS: MemberFormat[] = [
  { id: "gzip", ext: "gz", tool: "gzip -n" },
  { id: "bzip2", ext: "bz2", tool: "bzip2" },
  { id: "lzma", ext: "lzma", tool: "xz --format=lzma (end marker, size unknown)" },
  { id: "xz", ext: "xz", tool: "xz --check=crc32" },
  { id: "lzo", ext: "lzo", tool: "lzop" },
  { id: "lz4", ext: "lz4", tool: "lz4 -l (legacy format)" },
  { id: "zstd", ext: "zst", tool: "zstd (content size in the frame header)" },
  { id: "zstd-ncs", ext: "zst", tool: "zstd --no-content-size" },
];

/** "a" or "an" before a tool's name ("an xz", "an lzop", "a gzip"). */
function a(tool: string): string {
  return /^[lx]/.test(tool) ? `an ${tool}` : `a ${tool}`;
}

/** The NULs that take `n` bytes to a multiple of 4 (4 when it already is one). */
function padTo4(n: number): Uint8Array {
  return zeros(4 - n % 4);
}

/** `a` with the byte at `at` XORed with 0x55. */
function flip(a: Uint8Array, at: number): Uint8Array {
  const out = a.slice();
  out[at]! ^= 0x55;
  return out;
}

/** What early-microcode tools put first: a plain archive with the microcode file. */
function microcode(): Uint8Array {
  return arc(
    dot({ mtime: T - 100 }),
    dir("kernel"),
    dir("kernel/x86"),
    dir("kernel/x86/microcode"),
    file("kernel/x86/microcode/GenuineIntel.bin", letters(1000)),
  );
}

/**
 * The cases every format gets, but bzip2-cut-data: a bzip2 member cut inside
 * a block makes the kernel's bunzip2 read on past the end of the initrd
 * until it faults (6.1 and 6.12: an oops in get_next_block, no init, no
 * report; see README.md).
 */
function formatCases(f: MemberFormat): KernelCase[] {
  return allFormatCases(f).filter((c) => c.name !== "bzip2-cut-data");
}

function allFormatCases(f: MemberFormat): KernelCase[] {
  const m = (payload: string) => member(`${f.id}-${payload}.${f.ext}`);
  const small = m("small");
  const bigLen = m("big").length;
  const plain = () => arc(file("plain", "plain\n", { mtime: T + 3 }));
  const unaligned = small.length % 4 !== 0;
  return [
    {
      name: `${f.id}-member`,
      about: `one ${f.tool} member (${small.length} bytes) holding one archive: ` +
        "the whole tree, no message",
      build: () => [m("small")],
    },
    {
      name: `${f.id}-two-archives`,
      about: `one ${f.tool} member holding two archives (two TRAILER!!!): both unpacked`,
      build: () => [m("two")],
    },
    {
      name: `${f.id}-pad-plain`,
      about: `${a(f.tool)} member, NULs up to a multiple of 4, then a plain archive`,
      build: () => [m("small"), padTo4(small.length), plain()],
    },
    {
      name: `${f.id}-nopad-plain`,
      about: `${a(f.tool)} member of ${small.length} bytes, then a plain archive with no ` +
        `padding (${unaligned ? "unaligned: " : "already aligned: "}the counter resumes at ` +
        "start + consumed bytes)",
      build: () => [m("small"), plain()],
    },
    {
      name: `${f.id}-two-members`,
      about: `two ${f.tool} members back to back, no padding (the second starts at ` +
        `${small.length} % 4 = ${small.length % 4})`,
      build: () => [m("small"), m("second")],
    },
    {
      name: `${f.id}-after-plain`,
      about: `early-microcode layout: a plain archive, then a ${f.tool} member; the first ` +
        "archive's `.` mtime wins for /",
      build: () => [microcode(), m("small")],
    },
    {
      name: `${f.id}-big`,
      about: `one ${f.tool} member (${bigLen} bytes) of an archive with a 48 KiB text ` +
        "file between two small ones: the uncut control of the cut and flip cases",
      build: () => [m("big")],
    },
    {
      name: `${f.id}-cut-header`,
      about: f.id === "lz4"
        ? "the big lz4 -l member cut to its 4-byte magic: fewer than 4 bytes left counts as " +
          "the end of the member"
        : `the big ${f.tool} member cut to its first 7 bytes (inside the format header)`,
      build: () => [cut(m("big"), f.id === "lz4" ? 4 : 7)],
    },
    {
      name: `${f.id}-cut-data`,
      about: f.id === "lz4"
        ? `the big lz4 -l member without its last 100 bytes (${bigLen - 100} of ${bigLen}), ` +
          "inside its only chunk: the kernel reads the rest of the chunk from past the end of " +
          "the initrd (zeros; a cut further from the end faults)"
        : `the big ${f.tool} member cut in the middle (${bigLen >> 1} of ${bigLen} bytes)`,
      build: () => [cut(m("big"), f.id === "lz4" ? bigLen - 100 : bigLen >> 1)],
    },
    {
      name: `${f.id}-cut-end`,
      about: f.id === "gzip"
        ? "the big gzip member without its last 9 bytes (the 8-byte trailer and the last " +
          "deflate byte; a cut inside the trailer makes the kernel read past the initrd)"
        : `the big ${f.tool} member without its last byte`,
      build: () => [cut(m("big"), bigLen - (f.id === "gzip" ? 9 : 1))],
    },
    {
      name: `${f.id}-flip`,
      about: `the big ${f.tool} member with byte ${bigLen >> 1} XORed with 0x55`,
      build: () => [flip(m("big"), bigLen >> 1)],
    },
    {
      name: `${f.id}-trailing-junk`,
      about: `a complete ${f.tool} member followed by 16 bytes of text`,
      build: () => [m("small"), ascii("JUNK JUNK JUNK!\n")],
    },
    {
      name: `${f.id}-trailing-zeros`,
      about: `a complete ${f.tool} member followed by 8 NULs at the end of the image`,
      build: () => [m("small"), zeros(8)],
    },
    {
      name: `${f.id}-cpio-mid-entry`,
      about: `${a(f.tool)} member whose cpio stream ends 1500 bytes into a 3000-byte ` +
        "file: the member ends outside Reset",
      build: () => [m("midentry")],
    },
    {
      name: `${f.id}-junk-within`,
      about: `${a(f.tool)} member whose stream has \`JUNK\` between two archives`,
      build: () => [m("junkwithin")],
    },
  ];
}

/** Cases for what one format has and the others do not. */
function specificCases(): KernelCase[] {
  const gz = member("gzip-small.gz");
  return [
    {
      name: "gzip-fname",
      about: "a gzip member with FNAME (`gzip -N`: name small.cpio, mtime T): the name is " +
        "skipped",
      build: () => [member("gzip-fname-small.gz")],
    },
    {
      name: "gzip-fextra",
      about: "the gzip member with an FEXTRA field added (XLEN 8, subfield RR): the kernel " +
        "does not skip it",
      build: () => [member("gzip-fextra-small.gz")],
    },
    {
      name: "gzip-fcomment",
      about: "the gzip member with an FCOMMENT field added (`a comment`): the kernel does " +
        "not skip it",
      build: () => [member("gzip-fcomment-small.gz")],
    },
    {
      name: "gzip-magic-1f9e",
      about: "the gzip member with its second byte changed to 9e: decompress.c names it " +
        "gzip, the gzip decoder wants 1f 8b 08",
      build: () => {
        const b = gz.slice();
        b[1] = 0x9e;
        return [b];
      },
    },
    {
      name: "xz-crc64",
      about: "an xz member with xz's default CRC64 check: refused",
      build: () => [member("xz-crc64-small.xz")],
    },
    {
      name: "xz-sha256",
      about: "an xz member with a SHA-256 check: refused",
      build: () => [member("xz-sha256-small.xz")],
    },
    {
      name: "xz-check-none",
      about: "an xz member with --check=none",
      build: () => [member("xz-none-small.xz")],
    },
    {
      name: "xz-x86-bcj",
      about: "an xz member with the x86 BCJ filter before LZMA2, of a file full of e8 (call) " +
        "bytes: the sha256 shows whether the filter was undone",
      build: () => [member("xz-x86-calls.xz")],
    },
    {
      name: "lz4-frame",
      about: "a modern lz4 frame (`lz4` without -l, magic 04 22 4d 18): not a known magic",
      build: () => [member("lz4-frame-small.lz4")],
    },
    {
      name: "lz4-frame-after-plain",
      about: "a plain archive, then a modern lz4 frame: the plain archive stays",
      build: () => [arc(dot(), file("plain", "plain\n")), member("lz4-frame-small.lz4")],
    },
    {
      name: "lz4-zeros-plain",
      about: "an lz4 -l member, NULs up to a multiple of 4 and 4 more, then a plain archive: " +
        "a zero chunk size ends the member, the walk goes on to the plain archive",
      build: () => {
        const lz = member("lz4-small.lz4");
        return [lz, padTo4(lz.length), zeros(4), arc(file("plain", "plain\n", { mtime: T + 3 }))];
      },
    },
    {
      name: "lzo-filter",
      about: "an lzop member with a filter (`--filter=1`, flag 0x800 and a filter word): " +
        "the kernel skips the word but does not undo the filter",
      build: () => [member("lzo-filter-small.lzo")],
    },
    {
      name: "lzo-no-checksum",
      about: "an lzop member without block checksums (`-F`): the kernel always skips 4 " +
        "checksum bytes per block",
      build: () => [member("lzo-nocheck-small.lzo")],
    },
    {
      name: "lzo-crc32",
      about: "an lzop member with CRC32 instead of Adler-32 checksums (`--crc32`, header " +
        "flag 0x1000)",
      build: () => [member("lzo-crc32-small.lzo")],
    },
    {
      name: "zstd-long27",
      about: "a zstd member made with --long=27 from a pipe: a 128 MiB window in the frame " +
        "header, no content size",
      build: () => [member("zstd-long27-small.zst")],
    },
    {
      name: "zstd-long30",
      about: "a zstd member made with --long=30 from a pipe: a 1 GiB window in the frame " +
        "header, no content size (1 GiB of guest RAM)",
      build: () => [member("zstd-long30-small.zst")],
    },
  ];
}

/** Decompression bombs: 1 GiB of zeros, in a guest whose rootfs holds ~97 MiB. */
function bombCases(): KernelCase[] {
  const bombs: [string, string, string][] = [
    ["gzip", "gz", "gzip -9"],
    ["zstd", "zst", "zstd -19"],
    ["xz", "xz", "xz --check=crc32"],
    ["lzma", "lzma", "xz --format=lzma"],
    ["bzip2", "bz2", "bzip2 -9"],
  ];
  return bombs.map(([id, ext, tool]) => ({
    name: `${id}-bomb`,
    about: `${a(tool)} member (members/${id}-bomb.${ext}) of 1 GiB of zeros in eight 128 MiB ` +
      "files, with 256M of RAM: the rootfs (~97 MiB) fills up in the first file (write " +
      "error) long before the member ends",
    mem: "256M",
    build: () => [member(`${id}-bomb.${ext}`)],
  }));
}

cases.push(...FORMATS.flatMap(formatCases), ...specificCases(), ...bombCases());
