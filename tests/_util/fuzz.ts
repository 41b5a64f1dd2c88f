// The fuzz smoke run's pieces: a seed corpus, mutations of it, and the check
// of one mutated image (unpack on every profile and listImage either succeed
// or throw CpioError; the tree stays consistent; the unpacker recovers).
// Used by tests/fuzz_test.ts through tests/_util/fuzz_worker.ts.

import {
  CPIO_CODES,
  CpioError,
  listImage,
  type ProfileName,
  sampleImage,
  type Superblock,
  Tmpfs,
  unpack,
} from "../../mod.ts";
import { byteSum, concat, newc, type RawEntry, S, TRAILER } from "./newc.ts";
import { gzip, pad4 } from "./gzip.ts";
import { Prng } from "./prng.ts";

/** The profiles every case runs on. */
export const PROFILES: ProfileName[] = ["linux-6.1", "linux-6.12", "linux-7.0"];

const enc = new TextEncoder();
const T = 1600000000;

/** Small, valid images covering every entry type and both segment kinds. */
export async function seedCorpus(): Promise<Uint8Array[]> {
  const p = new Prng(5);
  const varied: RawEntry[] = [
    { name: ".", mode: S.IFDIR | 0o755, nlink: 2, mtime: T },
    { name: "bin", mode: S.IFDIR | 0o755, nlink: 2, mtime: T },
    { name: "bin/sh", mode: S.IFREG | 0o755, ino: 9, nlink: 2, mtime: T },
    { name: "bin/busybox", mode: S.IFREG | 0o755, ino: 9, nlink: 2, mtime: T, data: p.bytes(900) },
    { name: "etc", mode: S.IFDIR | 0o755, nlink: 2, mtime: T },
    { name: "etc/hostname", mode: S.IFREG | 0o644, nlink: 1, mtime: T, data: "box\n" },
    { name: "lib", mode: S.IFLNK | 0o777, nlink: 1, mtime: T, data: "usr/lib" },
    { name: "dev", mode: S.IFDIR | 0o755, nlink: 2, mtime: T },
    { name: "dev/null", mode: S.IFCHR | 0o666, nlink: 1, rdevmajor: 1, rdevminor: 3 },
    { name: "dev/sda", mode: S.IFBLK | 0o660, nlink: 1, rdevmajor: 8 },
    { name: "dev/fifo", mode: S.IFIFO | 0o644, nlink: 1 },
    { name: "dev/sock", mode: S.IFSOCK | 0o755, nlink: 1 },
    { name: "padded", mode: S.IFREG | 0o644, nlink: 1, namesize: 40, data: "xyz" },
  ];
  const data = p.bytes(300);
  const crc: RawEntry[] = [
    { name: "c1", mode: S.IFREG | 0o644, magic: "070702", data, chksum: byteSum(data) },
    { name: "c2", mode: S.IFDIR | 0o755, magic: "070702", chksum: 77 },
    { name: "c3", mode: S.IFREG | 0o644, data: "plain newc among crc" },
  ];
  const long: RawEntry[] = [
    { name: "d".repeat(255), mode: S.IFDIR | 0o755, nlink: 2 },
    { name: "d".repeat(255) + "/" + "f".repeat(255), mode: S.IFREG | 0o644, data: "deep" },
    { name: "s", mode: S.IFLNK | 0o777, data: "t".repeat(1000) },
  ];
  const tiny = newc([{ name: "a", mode: S.IFREG | 0o644, nlink: 1, data: "A" }]);
  return [
    newc([...varied, TRAILER]),
    newc([...crc, TRAILER]),
    newc(long),
    tiny,
    concat([tiny, new Uint8Array(8), newc([...crc, TRAILER])]),
    concat([pad4(await gzip(newc([...varied, TRAILER]))), tiny]),
    sampleImage(),
    // one small member per format, made with its real tool (tests/kernel/members/)
    ...["bzip2-small.bz2", "lzma-small.lzma", "xz-small.xz", "lzo-small.lzo", "lz4-small.lz4"]
      .concat(["zstd-small.zst", "zstd-ncs-small.zst", "xz-x86-calls.xz"])
      .map((f) =>
        concat([tiny, Deno.readFileSync(new URL(`../kernel/members/${f}`, import.meta.url))])
      ),
  ];
}

/** 4-aligned offsets that start with "07070": the headers a mutation may target. */
function headers(image: Uint8Array): number[] {
  const out: number[] = [];
  for (let k = 0; k + 110 <= image.length; k += 4) {
    if (
      image[k] === 0x30 && image[k + 1] === 0x37 && image[k + 2] === 0x30 &&
      image[k + 3] === 0x37 && image[k + 4] === 0x30
    ) out.push(k);
  }
  return out;
}

const HEX = "0123456789abcdefABCDEF";
const FIELD_VALUES = [
  "00000000",
  "ffffffff",
  "FFFFFFFF",
  "7fffffff",
  "80000000",
  "00001000",
  "00001001",
  "00000fff",
  "0x123456",
  "0X00001F",
  "12g45678",
  "        ",
  "-0000001",
  "\0\0\0\0\0\0\0\0",
];

function randomHex(p: Prng, n: number): string {
  let s = "";
  for (let k = 0; k < n; k++) s += HEX[p.int(HEX.length)];
  return s;
}

function splice(image: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  return concat([image.subarray(0, at), insert, image.subarray(at + remove)]);
}

/** One to four random mutations of `image`. */
export function mutate(p: Prng, image: Uint8Array): Uint8Array {
  let out: Uint8Array = image.slice();
  const n = p.range(1, 4);
  for (let m = 0; m < n; m++) {
    const len = out.length;
    const at = len === 0 ? 0 : p.int(len);
    const hs = headers(out);
    switch (p.int(11)) {
      case 0: // bit flip
        if (len > 0) out[at]! ^= 1 << p.int(8);
        break;
      case 1: // random byte
        if (len > 0) out[at] = p.u32() & 0xff;
        break;
      case 2: // truncation
        out = out.slice(0, at);
        break;
      case 3: // header field rewrite
      case 4: {
        if (hs.length === 0) break;
        const h = p.pick(hs) + 6 + 8 * p.int(13);
        const v = p.chance(0.5) ? p.pick(FIELD_VALUES) : randomHex(p, 8);
        out.set(enc.encode(v).subarray(0, 8), h);
        break;
      }
      case 5: { // magic rewrite
        if (hs.length === 0) break;
        const magic = p.pick(["070701", "070702", "070707", "070703", "07070 ", randomHex(p, 6)]);
        out.set(enc.encode(magic), p.pick(hs));
        break;
      }
      case 6: // insert random bytes
        out = splice(out, at, 0, p.bytes(p.range(1, 16)));
        break;
      case 7: // delete a range
        out = splice(out, at, p.range(1, 64), new Uint8Array(0));
        break;
      case 8: { // duplicate a range
        const from = p.int(len + 1);
        out = splice(out, at, 0, out.slice(from, from + p.range(1, 400)));
        break;
      }
      case 9: // random hex text
        out = splice(out, at, p.range(0, 8), enc.encode(randomHex(p, p.range(1, 120))));
        break;
      default: // append: NULs, junk, a compression magic, another header
        out = concat([
          out,
          p.pick([
            new Uint8Array(p.range(1, 9)),
            p.bytes(p.range(1, 32)),
            new Uint8Array([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]),
            new Uint8Array([0x28, 0xb5, 0x2f, 0xfd]),
            enc.encode("070701" + randomHex(p, 104)),
          ]),
        ]);
    }
  }
  return out;
}

/** The image of case `index` of a run started with `seed`. */
export function fuzzCase(corpus: Uint8Array[], seed: number, index: number): Uint8Array {
  const p = new Prng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ index);
  if (p.chance(0.03)) return enc.encode(randomHex(p, p.range(0, 400))); // all hex
  if (p.chance(0.02)) return p.bytes(p.range(0, 300)); // noise
  return mutate(p, p.pick(corpus));
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e);
}

/** A CpioError as documented, or a description of what is wrong with `e`. */
function checkCpioError(e: unknown, where: string): string | null {
  if (!(e instanceof CpioError)) return `${where} threw a non-CpioError: ${describe(e)}`;
  if (!(e.code in CPIO_CODES)) return `${where}: unknown code ${e.code}`;
  if (typeof e.kernelMessage !== "string" || e.kernelMessage === "") {
    return `${where}: empty kernelMessage`;
  }
  if (!Number.isSafeInteger(e.offset) || e.offset < 0) return `${where}: offset ${e.offset}`;
  return null;
}

/** Invariants of a tree after any unpack: directory sizes and link counts, space accounting. */
function checkTree(fs: Superblock, where: string): string | null {
  for (const { path, pathBytes, stat } of fs.walk("/")) {
    if (stat.type === "d") {
      const kids = fs.readdir(pathBytes);
      const subdirs = kids.filter((k) => k.type === "d").length;
      if (stat.nlink !== 2 + subdirs) return `${where}: ${path} nlink ${stat.nlink}`;
      if (stat.size !== 20 * (2 + kids.length)) return `${where}: ${path} size ${stat.size}`;
    } else if (stat.type === "f" && stat.size <= 1 << 16) {
      if (fs.readFile(pathBytes).length !== stat.size) return `${where}: ${path} content length`;
    } else if (stat.type === "l") {
      if (fs.readlinkBytes(pathBytes).length !== stat.size) return `${where}: ${path} target`;
    }
  }
  const s = fs.statfs();
  if (s.blocks !== 0 && s.usedBlocks > s.blocks) return `${where}: ${s.usedBlocks} blocks used`;
  return null;
}

const RECOVERY = newc([
  { name: "zz-recovered", mode: S.IFREG | 0o644, nlink: 1, data: "ok\n" },
  TRAILER,
]);

/** Runs one image; returns null when every property holds, else what failed. */
export async function checkImage(image: Uint8Array): Promise<string | null> {
  for (const profile of PROFILES) {
    const fs = new Tmpfs({ now: T, size: "16M" });
    try {
      await unpack(fs, image, { profile, now: T });
    } catch (e) {
      const bad = checkCpioError(e, `unpack on ${profile}`);
      if (bad) return bad;
    }
    try {
      const bad = checkTree(fs, `tree on ${profile}`);
      if (bad) return bad;
      // the next unpack starts afresh, as the kernel's next unpack_to_rootfs() does
      await unpack(fs, RECOVERY, { profile, now: T });
      if (new TextDecoder().decode(fs.readFile("/zz-recovered")) !== "ok\n") {
        return `recovery unpack on ${profile}: wrong content`;
      }
    } catch (e) {
      return `after the unpack on ${profile}: ${describe(e)}`;
    }
  }
  try {
    for (const _ of listImage(image)) { /* every header */ }
  } catch (e) {
    const bad = checkCpioError(e, "listImage");
    if (bad) return bad;
  }
  return null;
}
