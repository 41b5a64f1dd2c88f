// The unpacker in process: many small files, a few big ones, listing, and
// how the input is fed. Archives come from bench/_corpus.ts and are built
// once, outside the timed functions; every iteration unpacks into a fresh
// superblock, as a boot does.
//
//   deno bench -A bench/
//
// Whole-process comparisons against cpio, busybox and bsdtar are in
// compare.ts.

import { listImage, Ramfs, Tmpfs, unpack } from "../mod.ts";
import { bigFiles, collect, smallTree } from "./_corpus.ts";

const NOW = 1_700_000_000;
const MiB = 1 << 20;

function chunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; o += size) out.push(bytes.subarray(o, o + size));
  return out;
}

// Fixed iteration counts with a warm-up: every iteration leaves a superblock
// (a WebAssembly memory) for the GC, and a warm-up lets the previous group's
// garbage go before this group is timed.
const RUNS = { n: 40, warmup: 5 } as const;
const HEAVY = { n: 15, warmup: 3 } as const;

function fmtMB(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

// ---- many small files

const smallSizes = [[1_000, 2_180_000], [5_000, 10_900_000]] as const;
for (const [files, bytes] of smallSizes) {
  const archive = collect(smallTree({ files, bytes, seed: 7 }));
  const group = `unpack ${files.toLocaleString("en-US")} small files (${fmtMB(archive.length)})`;
  Deno.bench({
    group,
    name: "into a fresh Tmpfs",
    baseline: true,
    ...RUNS,
    async fn() {
      await unpack(new Tmpfs({ now: NOW }), archive, { now: NOW });
    },
  });
  Deno.bench({
    group,
    name: "into a fresh Ramfs",
    ...RUNS,
    async fn() {
      await unpack(new Ramfs({ now: NOW }), archive, { now: NOW });
    },
  });
  Deno.bench({
    group,
    name: "listImage (headers only, no tree)",
    ...RUNS,
    fn() {
      for (const _ of listImage(archive));
    },
  });
}

// ---- a few big files

const bigSizes = [[8 * MiB, "8 MiB"], [64 * MiB, "64 MiB"]] as const;
for (const [bytes, label] of bigSizes) {
  const archive = collect(bigFiles({ files: 4, bytes, seed: 7 }));
  const group = `unpack 4 big files, ${label}`;
  const heavy = bytes > 16 * MiB ? HEAVY : RUNS;
  const pages = Math.ceil(archive.length / 65536);
  Deno.bench({
    group,
    name: "into a fresh Tmpfs",
    baseline: true,
    ...heavy,
    async fn() {
      await unpack(new Tmpfs({ now: NOW }), archive, { now: NOW });
    },
  });
  Deno.bench({
    group,
    name: "into a fresh Ramfs",
    ...heavy,
    async fn() {
      await unpack(new Ramfs({ now: NOW }), archive, { now: NOW });
    },
  });
  // the floor: first-touch page faults of a fresh WebAssembly memory (what a
  // superblock lives in) plus one copy of the data
  Deno.bench({
    group,
    name: "copy into a fresh WebAssembly.Memory (floor)",
    ...heavy,
    fn() {
      const memory = new WebAssembly.Memory({ initial: pages, maximum: 65536 });
      new Uint8Array(memory.buffer).set(archive);
    },
  });
}

// ---- listing

{
  const archive = collect(smallTree({ files: 5_000, bytes: 10_900_000, seed: 7 }));
  const group = `list 5,150 headers (${fmtMB(archive.length)})`;
  Deno.bench({
    group,
    name: "listImage",
    baseline: true,
    ...RUNS,
    fn() {
      for (const _ of listImage(archive));
    },
  });
  Deno.bench({
    group,
    name: "listImage + JSON line per entry (list --json)",
    ...RUNS,
    fn() {
      let n = 0;
      for (const e of listImage(archive)) {
        const { nameBytes: _n, ...rest } = e;
        n += JSON.stringify(rest).length;
      }
      if (n === 0) throw new Error("empty listing");
    },
  });
}

// ---- feeding: one buffer against chunks of several sizes

{
  const archive = collect(smallTree({ files: 5_000, bytes: 10_900_000, seed: 7 }));
  const group = `feed 5,000 small files (${fmtMB(archive.length)}) into a Ramfs`;
  const path = Deno.makeTempFileSync({ prefix: "ramroot-bench-", suffix: ".cpio" });
  Deno.writeFileSync(path, archive);
  globalThis.addEventListener("unload", () => Deno.removeSync(path));
  const bySize = [[1 * MiB, "1 MiB"], [64 * 1024, "64 KiB"], [4096, "4 KiB"], [
    509,
    "509 B",
  ]] as const;
  Deno.bench({
    group,
    name: "one Uint8Array",
    baseline: true,
    ...RUNS,
    async fn() {
      await unpack(new Ramfs({ now: NOW }), archive, { now: NOW });
    },
  });
  for (const [size, label] of bySize) {
    const parts = chunks(archive, size);
    Deno.bench({
      group,
      name: `iterable of ${label} chunks`,
      ...RUNS,
      async fn() {
        await unpack(new Ramfs({ now: NOW }), parts, { now: NOW });
      },
    });
  }
  const parts = chunks(archive, 64 * 1024);
  Deno.bench({
    group,
    name: "ReadableStream of 64 KiB chunks",
    ...RUNS,
    async fn() {
      await unpack(new Ramfs({ now: NOW }), ReadableStream.from(parts), { now: NOW });
    },
  });
  Deno.bench({
    group,
    name: "file path",
    ...RUNS,
    async fn() {
      await unpack(new Ramfs({ now: NOW }), path, { now: NOW });
    },
  });
}
