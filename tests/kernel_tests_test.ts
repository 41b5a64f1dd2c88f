// The kernel's KUnit suite `initramfs` (init/initramfs_test.c) replayed on
// ramroot: the same hand-packed archives (spec: kernel-tests.md §1–§9 and the
// appendix's `symlink` case), the same checks on the resulting tree. The
// archives are checked byte for byte against the reference vectors of
// kernel-tests.md §0.2 first, which also validates the newc() builder.
//
// Mainline-bound expectations run on linux-7.0; the legacy ones (hdr_hex with
// the simple_strtoul parser) on linux-6.1. Cases whose expectation is the same
// for every kernel run on all three profiles.

import assert from "node:assert/strict";
import {
  CpioError,
  FsError,
  type KernelProfile,
  populateRootfs,
  type ProfileName,
  PROFILES,
  type Superblock,
  Tmpfs,
  unpack,
  type UnpackResult,
} from "../mod.ts";
import { newc, S } from "./_util/newc.ts";

const FILE = S.IFREG | 0o777; // 0x81ff
const DIR = S.IFDIR | 0o777; // 0x41ff
const NOW = 1700000000;
const ALL: ProfileName[] = ["linux-6.1", "linux-6.12", "linux-7.0"];
const dec = new TextDecoder();

// ---- the archives, exactly as the KUnit cases pack them

function extract(): Uint8Array {
  return newc([
    {
      ino: 1,
      mode: FILE,
      uid: 12,
      gid: 34,
      nlink: 1,
      mtime: 56,
      devminor: 1,
      name: "initramfs_test_extract",
    },
    { ino: 2, mode: DIR, nlink: 1, mtime: 57, devminor: 1, name: "initramfs_test_extract_dir" },
    { name: "TRAILER!!!" },
  ]);
}

/** The first 140 bytes of a 4209-byte 'B'-filled buffer, as the case hands them over. */
function fnameOverrun(): Uint8Array {
  const buf = new Uint8Array(110 + 4096 + 3).fill(0x42);
  buf[110 + 28 + 20] = 0;
  const packed = newc([
    { ino: 1, mode: FILE, nlink: 1, mtime: 1, devminor: 1, name: "initramfs_test_fname_overrun" },
  ]);
  buf.set(packed);
  for (let i = packed.length - 1; buf[i] === 0; i--) buf[i] = 0x50; // 'P'
  return buf.slice(0, packed.length);
}

function data(): Uint8Array {
  return newc([{
    ino: 1,
    mode: FILE,
    nlink: 1,
    mtime: 1,
    devminor: 1,
    name: "initramfs_test_data",
    data: "ASDF",
  }]);
}

function csum(sum: number): Uint8Array {
  return newc([
    {
      magic: "070702",
      ino: 1,
      mode: FILE,
      nlink: 1,
      devminor: 1,
      chksum: sum,
      name: "initramfs_test_csum",
      data: "ASDF",
    },
    {
      ino: 2,
      mode: FILE,
      nlink: 1,
      devminor: 1,
      chksum: 5555,
      name: "initramfs_test_csum_not_here",
      data: "ASDF",
    },
  ]);
}

function hardlink(): Uint8Array {
  return newc([
    { ino: 1, mode: FILE, nlink: 2, devminor: 1, name: "initramfs_test_hardlink" },
    {
      ino: 1,
      mode: FILE,
      nlink: 2,
      devminor: 1,
      name: "initramfs_test_hardlink_link",
      data: "ASDF",
    },
  ]);
}

function many(): Uint8Array {
  return newc(Array.from({ length: 1000 }, (_, i) => ({
    ino: i,
    mode: FILE,
    nlink: 1,
    devminor: 1,
    name: `initramfs_test_many-${i}`,
  })));
}

const PAD_DATA = "this file data is aligned at 4K in the archive\0";

function fnamePad(): Uint8Array {
  return newc([{
    ino: 1,
    mode: FILE,
    nlink: 1,
    mtime: 1,
    devminor: 1,
    namesize: 4096 - 110,
    name: "padded_fname",
    data: PAD_DATA,
  }]);
}

function fnamePathMax(): Uint8Array {
  return newc([
    {
      ino: 1,
      mode: DIR,
      nlink: 1,
      name: "fname_oversize" + "/".repeat(4082),
      data: "this file data will not be unpacked\0",
    },
    { ino: 2, mode: DIR, nlink: 1, name: "fname_ok" + "/".repeat(4087) },
  ]);
}

function hdrHex(): Uint8Array {
  return newc([
    {
      ino: 1,
      mode: FILE,
      nlink: 1,
      name: "initramfs_test_hdr_hex_0",
      data: "this file data will not be unpacked\0",
      raw: { uid: "0x123456", gid: "0X123457", namesize: "0x000019" },
    },
    {
      ino: 2,
      mode: DIR,
      nlink: 1,
      name: "initramfs_test_hdr_hex_1",
      raw: { uid: "0x000056", gid: "0X000057", namesize: "0x000019" },
    },
  ]);
}

function symlink(): Uint8Array {
  return newc([
    {
      ino: 1,
      mode: S.IFLNK | 0o777,
      nlink: 1,
      name: "initramfs_test_symlink",
      data: "symlink_dest",
    },
    { name: "TRAILER!!!" },
  ]);
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("newc() packs the KUnit archives byte for byte as fill_cpio does (§0.2 vectors)", async (t) => {
  // deno-fmt-ignore
  const table = [
    { name: "extract", input: extract(), length: 400, sha: "092d2e540fb9f17786b953108277d50eb8d50c071df791de673942af41608949" },
    { name: "data", input: data(), length: 136, sha: "6c54c3a0cb2a45e8b904f6373c60dd3653c89244c1aa3423066c564eb34d837c" },
    { name: "csum (good)", input: csum(286), length: 280, sha: "a5eb798cec348cd9ab98d782737e9a62352e615a507a669ed6c9106a3932c08d" },
    { name: "csum (bad, csum-1)", input: csum(285), length: 280, sha: "4aec41d264f0fdc21d5bc91e76ea388823a3439643de5e50e76d31c139fe4b26" },
    { name: "hardlink", input: hardlink(), length: 280, sha: "dd75170a1968024ddb1a428d0fc815f56afbdef3ca2691e38fe672af65e428f5" },
    { name: "many", input: many(), length: 135960, sha: "e78a61b92f03a9369a3d8ea27614b86e6b00726b1029cb60960b0a2b436199f4" },
    { name: "fname_pad", input: fnamePad(), length: 4144, sha: "2cc31478da9ec66d504d7e0164d8356cf14dce6aa8b7f9f6daf78f1074cfdeb2" },
    { name: "fname_path_max", input: fnamePathMax(), length: 8452, sha: "e157ec19bd61e11495fc6bf0f1e6b9770718227a8b7711c09318fa21014dd2eb" },
    { name: "hdr_hex", input: hdrHex(), length: 308, sha: "e9e675372363ebbdc986bb1464621b63d64c2630518f092e2bf40b0280b4d029" },
    { name: "fname_overrun", input: fnameOverrun(), length: 140, sha: "e41f464ebc63eba23a32651e46343c96e236998f9aa9385aa94cc5ff1b0a3bb5" },
  ];
  for (const { name, input, length, sha } of table) {
    await t.step(name, async () => {
      assert.equal(input.length, length);
      assert.equal(await sha256(input), sha);
    });
  }
  await t.step("extract: first header as text", () => {
    assert.equal(
      dec.decode(extract().subarray(0, 136)),
      "07070100000001000081ff0000000c00000022000000010000003800000000000000000000000100000000" +
        "000000000000001700000000initramfs_test_extract\0\0\0\0",
    );
  });
});

// ---- the cases

interface Run {
  fs: Tmpfs;
  result: UnpackResult | null;
  error: CpioError | null;
}

async function run(profile: ProfileName | KernelProfile, input: Uint8Array): Promise<Run> {
  const fs = new Tmpfs({ now: NOW });
  try {
    const result = await unpack(fs, input, { profile, now: NOW });
    return { fs, result, error: null };
  } catch (e) {
    if (!(e instanceof CpioError)) throw e;
    return { fs, result: null, error: e };
  }
}

function ok(r: Run): UnpackResult {
  assert.equal(r.error, null, `unpack failed: ${r.error?.message}`);
  return r.result!;
}

function failed(r: Run, code: string, kernelMessage: string, offset: number): CpioError {
  assert.ok(r.error, "unpack succeeded, expected an error");
  assert.equal(r.error.code, code);
  assert.equal(r.error.kernelMessage, kernelMessage);
  assert.equal(r.error.offset, offset);
  return r.error;
}

function assertErrno(fn: () => unknown, code: string): void {
  assert.throws(fn, (e) => e instanceof FsError && e.code === code);
}

function names(fs: Superblock, path = "/"): string[] {
  return fs.readdir(path).map((d) => d.name);
}

interface KunitCase {
  /** KUnit case and what it checks. */
  name: string;
  /** Profiles it runs on. */
  profiles: (ProfileName | KernelProfile)[];
  input: () => Uint8Array;
  want: (r: Run) => void | Promise<void>;
}

const NO_PRESERVE_MTIME: KernelProfile = { ...PROFILES["linux-7.0"], preserveMtime: false };
const PRE_NULTERM: KernelProfile = { ...PROFILES["linux-6.1"], nameNulCheck: false };

const CASES: KunitCase[] = [
  {
    name: "initramfs_test_extract: file and directory with owner, nlink, mtime",
    profiles: ALL,
    input: extract,
    want: (r) => {
      ok(r);
      const f = r.fs.stat("initramfs_test_extract");
      assert.equal(f.type, "f");
      assert.equal(f.uid, 12);
      assert.equal(f.gid, 34);
      assert.equal(f.nlink, 1);
      assert.equal(f.blocks, 0);
      assert.equal(f.mtime, 56);
      const d = r.fs.stat("initramfs_test_extract_dir");
      assert.equal(d.type, "d");
      assert.equal(d.mtime, 57); // the deferred directory-mtime pass
      r.fs.unlink("initramfs_test_extract");
      r.fs.rmdir("initramfs_test_extract_dir");
      assert.deepEqual(names(r.fs), []);
    },
  },
  {
    name: "initramfs_test_extract without PRESERVE_MTIME: both mtimes are the unpack time",
    profiles: [NO_PRESERVE_MTIME],
    input: extract,
    want: (r) => {
      ok(r);
      assert.equal(r.fs.stat("initramfs_test_extract").mtime, NOW);
      assert.equal(r.fs.stat("initramfs_test_extract_dir").mtime, NOW);
    },
  },
  {
    // Debian's 6.1.y carries the backported check (observed), so 6.1 agrees
    // with mainline here
    name: "initramfs_test_fname_overrun: unterminated name is 'malformed archive'",
    profiles: ALL,
    input: fnameOverrun,
    want: (r) => {
      const e = failed(r, "MALFORMED", "malformed archive", 0);
      assert.equal(e.entry?.name, "initramfs_test_fname_overrunP");
      assert.deepEqual(names(r.fs), []);
    },
  },
  {
    // what kernels before the v6.14 fix did: the name is read past its field
    // (in the kernel into the 'B's beyond the 140 bytes; ramroot reads no
    // further than the bytes it was given)
    name: "initramfs_test_fname_overrun before the NUL check: the name runs past its field",
    profiles: [PRE_NULTERM],
    input: fnameOverrun,
    want: (r) => {
      const result = ok(r);
      const created = names(r.fs);
      assert.equal(created.length, 1);
      assert.ok(created[0]!.startsWith("initramfs_test_fname_overrunPP"), created[0]);
      assert.ok(result.warnings.some((w) => w.code === "NAME_UNTERMINATED" && w.offset === 0));
    },
  },
  {
    name: "initramfs_test_data: 4 data bytes read back",
    profiles: ALL,
    input: data,
    want: (r) => {
      ok(r);
      assert.equal(dec.decode(r.fs.readFile("initramfs_test_data")), "ASDF");
      r.fs.unlink("initramfs_test_data");
    },
  },
  {
    name: "initramfs_test_csum: good 070702 sum and an ignored 070701 sum",
    profiles: ALL,
    input: () => csum(286),
    want: (r) => {
      ok(r);
      r.fs.unlink("initramfs_test_csum");
      r.fs.unlink("initramfs_test_csum_not_here");
    },
  },
  {
    name: "initramfs_test_csum: bad sum stops after the file, which keeps its content",
    profiles: ALL,
    input: () => csum(285),
    want: (r) => {
      failed(r, "BAD_CHECKSUM", "bad data checksum", 0);
      assert.equal(dec.decode(r.fs.readFile("initramfs_test_csum")), "ASDF");
      r.fs.unlink("initramfs_test_csum");
      assertErrno(() => r.fs.unlink("initramfs_test_csum_not_here"), "ENOENT");
    },
  },
  {
    name: "initramfs_test_hardlink: two names, one inode, nlink 2, without a trailer",
    profiles: ALL,
    input: hardlink,
    want: (r) => {
      ok(r);
      const a = r.fs.stat("initramfs_test_hardlink");
      const b = r.fs.stat("initramfs_test_hardlink_link");
      assert.equal(a.ino, b.ino);
      assert.equal(a.nlink, 2);
      assert.equal(b.nlink, 2);
      assert.equal(dec.decode(r.fs.readFile("initramfs_test_hardlink")), "ASDF");
      r.fs.unlink("initramfs_test_hardlink");
      r.fs.unlink("initramfs_test_hardlink_link");
    },
  },
  {
    name: "initramfs_test_many: 1000 files, each unlinkable",
    profiles: ALL,
    input: many,
    want: (r) => {
      assert.equal(ok(r).counts.files, 1000);
      for (let i = 0; i < 1000; i++) r.fs.unlink(`initramfs_test_many-${i}`);
      assert.deepEqual(names(r.fs), []);
    },
  },
  {
    name: "initramfs_test_fname_pad: extra NULs in namesize put the data at 4 KiB",
    profiles: ALL,
    input: fnamePad,
    want: (r) => {
      ok(r);
      assert.equal(dec.decode(r.fs.readFile("padded_fname")), PAD_DATA);
      r.fs.unlink("padded_fname");
    },
  },
  {
    name: "initramfs_test_fname_path_max: namesize 4097 skipped, 4096 accepted",
    profiles: ALL,
    input: fnamePathMax,
    want: (r) => {
      const result = ok(r);
      assertErrno(() => r.fs.stat("fname_oversize"), "ENOENT");
      assert.equal(r.fs.stat("fname_ok").type, "d");
      assert.ok(result.warnings.some((w) => w.code === "NAME_SIZE" && w.offset === 0));
      r.fs.rmdir("fname_ok");
    },
  },
  {
    name: "initramfs_test_hdr_hex (hex2bin): 0x prefix is 'damaged header', nothing unpacked",
    profiles: ["linux-7.0"],
    input: hdrHex,
    want: (r) => {
      failed(r, "BAD_HEX", "damaged header", 0);
      assert.deepEqual(names(r.fs), []);
    },
  },
  {
    name: "initramfs_test_hdr_hex (simple_strtoul): 0x/0X prefixes accepted",
    profiles: ["linux-6.1", "linux-6.12"],
    input: hdrHex,
    want: (r) => {
      ok(r);
      const f = r.fs.stat("initramfs_test_hdr_hex_0");
      assert.equal(f.type, "f");
      assert.equal(f.uid, 0x123456);
      assert.equal(f.gid, 0x123457);
      assert.equal(
        dec.decode(r.fs.readFile("initramfs_test_hdr_hex_0")),
        "this file data will not be unpacked\0",
      );
      const d = r.fs.stat("initramfs_test_hdr_hex_1");
      assert.equal(d.type, "d");
      assert.equal(d.uid, 0x56);
      assert.equal(d.gid, 0x57);
    },
  },
  {
    name: "symlink (appendix A): 0777 symlink then trailer",
    profiles: ALL,
    input: symlink,
    want: (r) => {
      ok(r);
      const l = r.fs.lstat("initramfs_test_symlink");
      assert.equal(l.type, "l");
      assert.equal(l.mode, S.IFLNK | 0o777);
      assert.equal(r.fs.readlink("initramfs_test_symlink"), "symlink_dest");
    },
  },
];

Deno.test("unpack() passes every case of the KUnit initramfs suite", async (t) => {
  for (const c of CASES) {
    for (const profile of c.profiles) {
      const label = typeof profile === "string"
        ? profile
        : profile === NO_PRESERVE_MTIME
        ? "linux-7.0, PRESERVE_MTIME=n"
        : "linux-6.1 without the name NUL check";
      await t.step(`${c.name} [${label}]`, async () => {
        await c.want(await run(profile, c.input()));
      });
    }
  }
});

Deno.test("populateRootfs() logs the unterminated name of initramfs_test_fname_overrun", async () => {
  const root = await populateRootfs([fnameOverrun()], {
    profile: "linux-7.0",
    builtin: new Uint8Array(0),
    bootTime: NOW,
  });
  assert.equal(root.error?.code, "MALFORMED");
  assert.deepEqual(root.messages.slice(1), [
    { level: 3, text: "initramfs name without nulterm: initramfs_test_fname_overrunP" },
    { level: 0, text: "Initramfs unpacking failed: malformed archive" },
  ]);
});
