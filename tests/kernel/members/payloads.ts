// The cpio streams inside the compressed members of the kernel corpus
// (tests/kernel/cases.ts). make.ts compresses them with the real tools into
// the files next to this one; the cases and tests/bad_input_test.ts read
// those files, so neither needs the tools.

import { concat, newc, type RawEntry, S, TRAILER } from "../../_util/newc.ts";
import { Prng } from "../../_util/prng.ts";

/** Base mtime of every entry, as in cases.ts. */
export const T = 1600000000;

/** The root entry. */
export function dot(): RawEntry {
  return { name: ".", mode: S.IFDIR | 0o755, nlink: 2, mtime: T };
}

/** A directory entry. */
export function dir(name: string): RawEntry {
  return { name, mode: S.IFDIR | 0o755, nlink: 2, mtime: T };
}

/** A regular file entry. */
export function file(name: string, data: string | Uint8Array = "", mtime = T): RawEntry {
  return { name, mode: S.IFREG | 0o644, nlink: 1, mtime, data };
}

/** A newc archive ending with TRAILER!!!. */
export function arc(...entries: RawEntry[]): Uint8Array {
  return newc([...entries, TRAILER]);
}

/** `n` printable bytes: a, b, ..., z, a, ... */
export function letters(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 0x61 + i % 26;
  return out;
}

const WORDS = ("initramfs rootfs cpio newc trailer inode dentry mount tmpfs ramfs gzip bzip2 " +
  "lzma xz lzo lz4 zstd kernel header name data padding link symlink device fifo socket " +
  "mtime mode owner group major minor checksum magic archive member window block frame " +
  "stream chunk buffer flush offset length early microcode module firmware console init " +
  "switch root pivot chroot namespace").split(" ");

/**
 * `n` bytes of text made of random words (seeded): compresses about 4:1, so
 * a member of it spans several blocks and output buffers of every decoder.
 */
export function words(n: number, seed = 7): Uint8Array {
  const p = new Prng(seed);
  let s = "";
  while (s.length < n) s += p.pick(WORDS) + (p.chance(0.1) ? "\n" : " ");
  return new TextEncoder().encode(s.slice(0, n));
}

/**
 * A member's plain archive: `/d/in-member` and `filler` (`fill` bytes, which
 * make.ts chooses so that the compressed member's length is not a multiple
 * of 4, so that an archive right after it starts unaligned).
 */
export function small(fill: number): Uint8Array {
  return arc(
    dot(),
    dir("d"),
    file("d/in-member", "inside the member\n"),
    file("filler", letters(fill)),
  );
}

/** A second member's archive: one file, no `.` entry. */
export function second(): Uint8Array {
  return arc(file("second", "from the second member\n", T + 2));
}

/** Two archives (each with a TRAILER!!!) in one stream. */
export function two(): Uint8Array {
  return concat([
    arc(dot(), file("one", "first archive\n")),
    arc(file("two", "second archive\n", T + 1)),
  ]);
}

/** Size of `big`'s file: more than the biggest flush buffer below lzma's (gzip 32 KiB). */
export const BIG_FILE_SIZE = 48 * 1024;

/** An archive with a 48 KiB text file between two small ones (cut and flip cases). */
export function big(): Uint8Array {
  return arc(
    dot(),
    file("first", "first\n"),
    file("big", words(BIG_FILE_SIZE)),
    file("after", "after\n"),
  );
}

/**
 * A stream whose cpio ends inside the data of `partial` (1500 of its 3000
 * bytes): the member ends with the unpacker in CopyFile, not Reset.
 */
export function midEntry(): Uint8Array {
  const whole = arc(dot(), file("complete", "complete\n"));
  const partial = newc([file("partial", letters(3000))], whole.length);
  // header (110) + "partial\0" (8): data starts 118 bytes in
  return concat([whole, partial.subarray(0, 118 + 1500)]);
}

/** An archive, then `JUNK` at an entry boundary, then another archive, in one stream. */
export function junkWithin(): Uint8Array {
  return concat([
    arc(dot(), file("before", "before\n")),
    new TextEncoder().encode("JUNK"),
    arc(file("after", "after\n")),
  ]);
}

/** Bytes of zeros in the bomb: 1 GiB. */
export const BOMB_SIZE = 1 << 30;

/** The bomb's zeros are split into files of this size (128 MiB). */
export const BOMB_FILE_SIZE = 1 << 27;

/**
 * A decompression bomb: `before`, then 1 GiB of zeros as eight 128 MiB files
 * `zeros0`..`zeros7`, then `after`. Returned as pieces (headers as bytes,
 * runs of zeros as lengths) so that the zeros never have to be in memory.
 * One file is enough to fill any rootfs used here; a file is not bigger so
 * that hashing what the kernel made stays quick.
 */
export function bombParts(): (Uint8Array | number)[] {
  const parts: (Uint8Array | number)[] = [];
  let off = 0;
  const push = (entries: RawEntry[]) => {
    const b = newc(entries, off);
    parts.push(b);
    off += b.length;
  };
  const zerosFile = (k: number): RawEntry => ({
    name: `zeros${k}`,
    mode: S.IFREG | 0o644,
    nlink: 1,
    mtime: T,
    filesize: BOMB_FILE_SIZE,
  });
  push([dot(), file("before", "before\n"), zerosFile(0)]);
  for (let k = 1; k <= BOMB_SIZE / BOMB_FILE_SIZE; k++) {
    parts.push(BOMB_FILE_SIZE);
    off += BOMB_FILE_SIZE;
    push(k < BOMB_SIZE / BOMB_FILE_SIZE ? [zerosFile(k)] : [file("after", "after\n"), TRAILER]);
  }
  return parts;
}
