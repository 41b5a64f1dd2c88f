// unpack() is blind to how its input is cut: the kernel sees a plain image
// as one buffer, so every way of delivering the same bytes (one buffer,
// 1-byte chunks, random splits, a ReadableStream, a file) must give the same
// tree, the same UnpackResult and, on failure, the same error at the same
// offset. A failing case prints the seed of its random split.

import assert from "node:assert/strict";
import {
  CpioError,
  type KernelProfile,
  manifest,
  type ProfileName,
  PROFILES,
  Tmpfs,
  type TmpfsOptions,
  unpack,
  type UnpackResult,
  type UnpackSource,
} from "../mod.ts";
import { bytes, byteSum, concat, newc, type RawEntry, S, TRAILER } from "./_util/newc.ts";
import { gzip, pad4 } from "./_util/gzip.ts";
import { pieces, Prng } from "./_util/prng.ts";

const T = 1600000000;
const NOW = 1700000000;
const SEEDS = [1, 2, 3, 42, 20260101];

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
  mtime: T + 1,
  ...o,
});
const file = (name: string, data: string | Uint8Array = "", o: Opts = {}): RawEntry => ({
  name,
  mode: S.IFREG | 0o644,
  nlink: 1,
  mtime: T + 2,
  data,
  ...o,
});
const sym = (name: string, target: string, o: Opts = {}): RawEntry => ({
  name,
  mode: S.IFLNK | 0o777,
  nlink: 1,
  mtime: T + 3,
  data: target,
  ...o,
});
const node = (name: string, mode: number, o: Opts = {}): RawEntry => ({
  name,
  mode,
  nlink: 1,
  mtime: T + 4,
  ...o,
});
const crc = (e: RawEntry, o: Opts = {}): RawEntry => ({
  ...e,
  magic: "070702",
  chksum: byteSum(bytes(e.data ?? "")),
  ...o,
});
const archive = (...entries: RawEntry[]): Uint8Array => newc([...entries, TRAILER]);

function pattern(n: number, seed: number): Uint8Array {
  return new Prng(seed).bytes(n);
}

const D255 = "d".repeat(255);
const E255 = "e".repeat(255);

/** Entries of every type: links, long names, crc, padding, skipped entries. */
function variedEntries(): RawEntry[] {
  const deep = [D255, E255, D255, E255, D255, E255, D255, E255, D255, E255, D255];
  const deepDirs = deep.map((_, k) => dir(deep.slice(0, k + 1).join("/")));
  return [
    dot(),
    dir("bin"),
    dir("etc", { mode: S.IFDIR | 0o750, uid: 3, gid: 4 }),
    dir("dev"),
    dir("lib"),
    file("etc/hostname", "box\n", { mode: S.IFREG | 0o600 }),
    crc(file("etc/crc", pattern(5000, 1))),
    crc(file("etc/crc-empty")),
    file("bin/sh", "", { ino: 100, nlink: 3, mode: S.IFREG | 0o755 }),
    file("bin/ls", "", { ino: 100, nlink: 3, mode: S.IFREG | 0o755 }),
    file("bin/busybox", pattern(70001, 2), { ino: 100, nlink: 3, mode: S.IFREG | 0o755 }),
    file("lib/a", "first has the data\n", { ino: 200, nlink: 2 }),
    file("lib/b", "", { ino: 200, nlink: 2 }),
    sym("bin/link", "busybox"),
    sym("abs", "/etc/hostname", { uid: 9 }),
    node("dev/console", S.IFCHR | 0o600, { rdevmajor: 5, rdevminor: 1 }),
    node("dev/sda", S.IFBLK | 0o660, { rdevmajor: 8, rdevminor: 0, ino: 300, nlink: 2 }),
    node("dev/disk", S.IFBLK | 0o660, { rdevmajor: 8, rdevminor: 0, ino: 300, nlink: 2 }),
    node("dev/fifo", S.IFIFO | 0o644),
    node("dev/sock", S.IFSOCK | 0o755),
    ...deepDirs,
    file(deep.join("/") + "/leaf", "deep\n"),
    sym(deep.join("/") + "/up", "../../../etc"),
    file("padded", "xyz", { namesize: 300 }),
    file("n".repeat(5000), "skipped: name over PATH_MAX"),
    dir("dir-with-data", { data: "skipped" }),
    file("after-skips", pattern(4097, 3)),
    dir("etc", { mtime: T + 99 }),
  ];
}

/** Three segments: plain, gzip (with a file straddling its 32 KiB flushes), plain. */
async function variedImage(): Promise<Uint8Array> {
  const a = archive(...variedEntries());
  const b = pad4(
    await gzip(archive(
      dir("gz"),
      file("gz/big", pattern(40000, 4)),
      file("gz/h1", "", { ino: 7, nlink: 2 }),
      file("gz/h2", "linked in gzip\n", { ino: 7, nlink: 2 }),
      crc(file("gz/crc", pattern(777, 5))),
    )),
  );
  const c = archive(
    file("etc/hostname", "replaced\n"),
    dir("bin", { mode: S.IFDIR | 0o700 }),
    sym("lib/a", "b"),
  );
  return concat([a, new Uint8Array(64), b, c]);
}

/** A smaller plain image to cut at many places. */
function smallImage(): Uint8Array {
  return archive(
    dot(),
    dir("d"),
    file("d/f", pattern(3000, 6)),
    sym("d/l", "f"),
    file("h1", "", { ino: 5, nlink: 2 }),
    file("h2", "x", { ino: 5, nlink: 2 }),
    node("c", S.IFCHR | 0o600, { rdevmajor: 1, rdevminor: 3 }),
    file(D255 + ".long", "long name"),
    crc(file("crc", "ASDF")),
  );
}

// ---- ways of delivering the bytes

interface Feed {
  name: string;
  /** Runs `use` with the image as this kind of source. */
  with<T>(image: Uint8Array, use: (source: UnpackSource) => Promise<T>): Promise<T>;
}

function* oneByteChunks(image: Uint8Array): Generator<Uint8Array> {
  for (let k = 0; k < image.length; k++) yield image.subarray(k, k + 1);
}

async function* asyncPieces(image: Uint8Array, seed: number): AsyncGenerator<Uint8Array> {
  for (const p of pieces(image, new Prng(seed).splits(image.length))) yield p;
}

function stream(image: Uint8Array, seed: number): ReadableStream<Uint8Array> {
  const chunks = pieces(image, new Prng(seed).splits(image.length));
  let k = 0;
  return new ReadableStream({
    pull(controller) {
      if (k < chunks.length) controller.enqueue(chunks[k++]!.slice());
      else controller.close();
    },
  });
}

async function withTempFile<T>(
  image: Uint8Array,
  use: (path: string) => Promise<T>,
): Promise<T> {
  const path = await Deno.makeTempFile({ prefix: "ramroot-chunking-" });
  try {
    await Deno.writeFile(path, image);
    return await use(path);
  } finally {
    await Deno.remove(path);
  }
}

const FEEDS: Feed[] = [
  { name: "1-byte chunks", with: (img, use) => use(oneByteChunks(img)) },
  ...SEEDS.map((seed): Feed => ({
    name: `random split, seed ${seed}`,
    with: (img, use) => use(asyncPieces(img, seed)),
  })),
  {
    name: "sync iterable of random splits, seed 9",
    with: (img, use) => use(pieces(img, new Prng(9).splits(img.length))),
  },
  { name: "ReadableStream, seed 7", with: (img, use) => use(stream(img, 7)) },
  { name: "file path", with: (img, use) => withTempFile(img, use) },
  { name: "file URL", with: (img, use) => withTempFile(img, (p) => use(new URL(`file://${p}`))) },
];

interface Outcome {
  manifest: string;
  result: UnpackResult | null;
  error: Pick<CpioError, "code" | "kernelMessage" | "offset" | "member" | "entry"> | null;
}

async function outcome(
  source: UnpackSource,
  profile: ProfileName | KernelProfile,
  fsOptions: TmpfsOptions = {},
  readSize?: number,
): Promise<Outcome> {
  const fs = new Tmpfs({ now: NOW, ...fsOptions });
  let result: UnpackResult | null = null;
  let error: Outcome["error"] = null;
  try {
    result = await unpack(fs, source, {
      profile,
      now: NOW,
      ...(readSize !== undefined ? { readSize } : {}),
    });
  } catch (e) {
    if (!(e instanceof CpioError)) throw e;
    const { code, kernelMessage, offset, member, entry } = e;
    error = { code, kernelMessage, offset, member, entry };
  }
  return { manifest: await manifest(fs, { hash: true }), result, error };
}

/** Every feed gives the one-buffer outcome; returns that outcome. */
async function assertChunkingBlind(
  image: Uint8Array,
  profile: ProfileName | KernelProfile,
  fsOptions: TmpfsOptions = {},
): Promise<Outcome> {
  const want = await outcome(image, profile, fsOptions);
  for (const feed of FEEDS) {
    const got = await feed.with(image, (source) => outcome(source, profile, fsOptions));
    assert.deepEqual(got, want, `fed as ${feed.name}`);
  }
  const small = await withTempFile(image, (p) => outcome(p, profile, fsOptions, 4093));
  assert.deepEqual(small, want, "file path read 4093 bytes at a time");
  return want;
}

const PROFILE_NAMES: ProfileName[] = ["linux-6.1", "linux-7.0"];

Deno.test("unpack() gives the same tree and result for any chunking of a varied image", async (t) => {
  const image = await variedImage();
  for (const profile of PROFILE_NAMES) {
    await t.step(profile, async () => {
      const want = await assertChunkingBlind(image, profile);
      // the image really exercised what it is meant to
      assert.equal(want.error, null);
      const r = want.result!;
      assert.equal(r.inputBytes, image.length);
      assert.deepEqual(
        r.segments.filter((s) => s.compression !== "none").map((s) => s.compression),
        ["gzip"],
      );
      assert.ok(r.counts.hardlinks >= 5 && r.counts.symlinks >= 4 && r.counts.devices >= 2);
      assert.ok(r.warnings.some((w) => w.code === "NAME_SIZE"));
      assert.match(want.manifest, /^\/dev\/sda\tb\t0660\t/m);
    });
  }
});

Deno.test("unpack() gives the same partial tree for any chunking of a truncated image", async (t) => {
  const image = smallImage();
  const prng = new Prng(77);
  // ends inside the first header, a name, file data, a symlink, a trailer, and random places
  const cuts = [1, 60, 115, 200, 1000, 3200, 3300, 3420, image.length - 100, image.length - 1];
  for (let k = 0; k < 14; k++) cuts.push(prng.range(1, image.length - 1));
  for (const cut of cuts) {
    await t.step(`cut at ${cut} of ${image.length}`, async () => {
      const want = await assertChunkingBlind(image.subarray(0, cut), "linux-7.0");
      assert.equal(want.error, null, "a truncated plain image is not an error");
    });
  }
});

Deno.test("unpack() fails with the same error at the same offset for any chunking", async (t) => {
  const base = [file("a", "aaaa"), dir("d"), file("d/f", pattern(9000, 8))];
  const table: {
    name: string;
    input: () => Uint8Array | Promise<Uint8Array>;
    profile?: ProfileName | KernelProfile;
    fs?: TmpfsOptions;
    wantErr: { code: string; offset: number; member?: number };
  }[] = [
    {
      name: "bad checksum in the middle",
      input: () => archive(...base, crc(file("bad", "ASDF"), { chksum: 1 }), file("z")),
      wantErr: { code: "BAD_CHECKSUM", offset: 9344 },
    },
    {
      name: "no cpio magic in the middle",
      input: () => archive(...base, { ...file("bad"), magic: "070703" }, file("z")),
      wantErr: { code: "BAD_MAGIC", offset: 9344 },
    },
    {
      name: "odc after a newc archive",
      input: () => concat([archive(...base), bytes("070707" + "0".repeat(120))]),
      wantErr: { code: "ODC_FORMAT", offset: 9468 },
    },
    {
      name: "junk after the archive",
      input: () => concat([archive(...base), bytes("JUNK junk JUNK!!")]),
      wantErr: { code: "BAD_COMPRESSION_MAGIC", offset: 9468 },
    },
    {
      name: "one NUL between two archives: broken padding",
      input: () => concat([archive(...base), new Uint8Array(1), archive(file("z"))]),
      wantErr: { code: "BAD_PADDING", offset: 9469 },
    },
    {
      name: "damaged header (hex2bin)",
      input: () => archive(...base, file("bad", "", { raw: { mtime: "0x123456" } })),
      wantErr: { code: "BAD_HEX", offset: 9344 },
    },
    {
      name: "name without its NUL",
      input: () => archive(...base, file("abcdefghij", "data", { noNul: true }), file("z")),
      wantErr: { code: "MALFORMED", offset: 9344 },
    },
    {
      name: "rootfs full (size=16k) in a plain image",
      input: () => archive(...base, file("big", pattern(20000, 9)), file("z")),
      fs: { size: "16k" },
      wantErr: { code: "WRITE_ERROR", offset: 9344 },
    },
    {
      name: "junk within a gzip member",
      input: async () =>
        concat([archive(...base), pad4(await gzip(concat([archive(file("g")), bytes("X")])))]),
      wantErr: { code: "JUNK_WITHIN", offset: 236, member: 9468 },
    },
    {
      name: "bad checksum inside a gzip member",
      input: async () =>
        concat([
          archive(...base),
          pad4(await gzip(archive(file("g"), crc(file("bad", "ASDF"), { chksum: 2 }), file("z")))),
        ]),
      wantErr: { code: "BAD_CHECKSUM", offset: 112, member: 9468 },
    },
    {
      name: "gzip member ending inside an entry",
      input: async () =>
        concat([
          archive(...base),
          pad4(await gzip(archive(file("g", pattern(500, 10))).subarray(0, 300))),
        ]),
      wantErr: { code: "JUNK_AFTER_MEMBER", offset: 9468 },
    },
    {
      name: "truncated gzip member",
      input: async () => {
        const gz = await gzip(archive(file("g", pattern(5000, 11))));
        return concat([archive(...base), gz.subarray(0, 2000)]);
      },
      wantErr: { code: "DECOMPRESSOR", offset: 9468 },
    },
  ];
  for (const { name, input, profile, fs, wantErr } of table) {
    await t.step(name, async () => {
      const want = await assertChunkingBlind(await input(), profile ?? "linux-7.0", fs);
      assert.ok(want.error, "no error");
      const { code, offset, member } = want.error;
      assert.deepEqual({ code, offset, member }, { member: undefined, ...wantErr });
    });
  }
});

Deno.test("unpack() reads an unterminated name the same way for any chunking (no NUL check)", async () => {
  // kernels without the v6.14 check read the name on past its field, into
  // whatever follows in their buffer. Those bytes may not have arrived yet
  // when streaming, so ramroot stops at the field and its padding, for every
  // chunking (a decision: no built-in profile lacks the check)
  const profile: KernelProfile = { ...PROFILES["linux-6.1"], nameNulCheck: false };
  const image = archive(
    file("ab", "x"),
    file("abcdefghij", "XYZ\0more", { noNul: true }),
    file("after", "after"),
  );
  const want = await assertChunkingBlind(image, profile);
  assert.match(want.manifest, /^\/abcdefghij\tf\t/m);
});

Deno.test("unpack() gives the same result for any chunking of every format's members", async (t) => {
  // the kernel corpus's members, made with each format's real tool (bombs aside)
  const dir = new URL("./kernel/members/", import.meta.url);
  const names = [...Deno.readDirSync(dir)]
    .map((e) => e.name)
    .filter((n) => /\.(gz|bz2|lzma|xz|lzo|lz4|zst)$/.test(n) && !n.includes("bomb"))
    .sort();
  assert.ok(names.length >= 40, `${names.length} members`);
  let clean = 0;
  for (const name of names) {
    const member = Deno.readFileSync(new URL(name, dir));
    await t.step(name, async () => {
      // after a plain archive, with NUL padding and a second copy behind it
      const whole = concat([pad4(concat([newc([dir_("early"), TRAILER]), member])), member]);
      const want = await assertChunkingBlind(whole, "linux-6.12", { size: "64m" });
      if (want.error === null) {
        clean++;
        // both copies were decoded: two members, the second 4-aligned after the first
        const members = want.result!.segments.filter((s) => s.compression !== "none");
        assert.equal(members.length, 2);
        assert.equal(members[0]!.output, members[1]!.output);
      }
      // cut in the middle of the member
      await assertChunkingBlind(member.subarray(0, member.length >> 1), "linux-6.12", {
        size: "64m",
      });
    });
  }
  assert.ok(clean >= names.length / 2, `${clean} of ${names.length} decoded without an error`);
});

function dir_(name: string): RawEntry {
  return { name, mode: S.IFDIR | 0o755, nlink: 2, mtime: NOW };
}
