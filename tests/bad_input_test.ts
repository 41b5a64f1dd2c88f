// Damaged compressed members through unpack(): every format's big member
// (tests/kernel/members/, made by the real tools) cut at 16 points and with
// one byte flipped at 16 seeded points, a complete member followed by
// garbage or by zeros, and a member whose cpio ends inside an entry. Each
// image must finish, raise nothing but CpioError, and leave a consistent
// tree; where the outcome does not depend on how a decoder meets damage, the
// exact message the 6.1 and 6.12 kernels printed for the same image
// (tests/kernel/golden*/<format>-trailing-junk etc.) is asserted. Agreement
// with the kernel on the rest is tests/kernel_golden_test.ts's job.
//
// A decompression bomb (1 GiB of zeros) must stop at a 64 MiB tmpfs with
// `write error`, quickly and in bounded memory.
//
// Cases run in a worker (this module, loaded again) with a watchdog, so a
// hang is reported instead of stalling the run.

import assert from "node:assert/strict";
import { CPIO_CODES, CpioError, type Superblock, Tmpfs, unpack } from "../mod.ts";
import type { Compression } from "../src/profile.ts";
import { DECODERS } from "../src/decoders/mod.ts";
import { concat } from "./_util/newc.ts";
import { Prng } from "./_util/prng.ts";

const MEMBERS = new URL("./kernel/members/", import.meta.url);
const T = 1600000000;
/** A case taking longer than this is a hang. */
const CASE_TIMEOUT_MS = 10_000;
/** The bomb must be over by then. */
const BOMB_TIMEOUT_MS = 60_000;

/** A member format of the corpus. */
interface Format {
  /** File-name stem in tests/kernel/members/. */
  id: string;
  ext: string;
  /** The decoder it needs. */
  compression: Compression;
  /** The kernel's message for a complete member followed by 16 bytes of text. */
  trailingJunk: string;
  /** The kernel's message for a complete member followed by 8 NULs (null: none). */
  trailingZeros: string | null;
}

const INVALID_MAGIC = CPIO_CODES.BAD_COMPRESSION_MAGIC;

/**
 * The formats. Messages as both kernels printed them for the same images:
 * lz4's legacy decoder reads what follows its member as more chunks (text
 * is a chunk that fails to decode; a zero chunk size, or fewer than 4 bytes,
 * ends the member), so garbage after it is its own error, not the walk's.
 */
const FORMATS: Format[] = [
  { id: "gzip", ext: "gz", compression: "gzip", trailingJunk: INVALID_MAGIC, trailingZeros: null },
  {
    id: "bzip2",
    ext: "bz2",
    compression: "bzip2",
    trailingJunk: INVALID_MAGIC,
    trailingZeros: null,
  },
  {
    id: "lzma",
    ext: "lzma",
    compression: "lzma",
    trailingJunk: INVALID_MAGIC,
    trailingZeros: null,
  },
  { id: "xz", ext: "xz", compression: "xz", trailingJunk: INVALID_MAGIC, trailingZeros: null },
  { id: "lzo", ext: "lzo", compression: "lzo", trailingJunk: INVALID_MAGIC, trailingZeros: null },
  {
    id: "lz4",
    ext: "lz4",
    compression: "lz4",
    trailingJunk: "Decoding failed",
    trailingZeros: null,
  },
  { id: "zstd", ext: "zst", compression: "zstd", trailingJunk: INVALID_MAGIC, trailingZeros: null },
  {
    id: "zstd-ncs",
    ext: "zst",
    compression: "zstd",
    trailingJunk: INVALID_MAGIC,
    trailingZeros: null,
  },
];

/** What a case must end with, beyond the invariants. */
type Expect =
  | { kind: "any" }
  | { kind: "ok" }
  | { kind: "message"; message: string };

/** One image of the matrix. */
interface BadCase {
  name: string;
  image: Uint8Array;
  expect: Expect;
}

function member(name: string): Uint8Array {
  return Deno.readFileSync(new URL(name, MEMBERS));
}

/** 16 cut points: four inside the first bytes (format headers), eleven spread, the last byte. */
function cutPoints(len: number): number[] {
  const points = new Set([1, 4, 9, 20]);
  for (let k = 1; k <= 11; k++) points.add(Math.floor(len * k / 12));
  points.add(len - 1);
  return [...points].sort((a, b) => a - b);
}

/** The matrix for one format. */
function casesOf(f: Format): BadCase[] {
  const big = member(`${f.id}-big.${f.ext}`);
  const small = member(`${f.id}-small.${f.ext}`);
  const out: BadCase[] = [];
  for (const at of cutPoints(big.length)) {
    out.push({
      name: `cut at ${at}/${big.length}`,
      image: big.slice(0, at),
      expect: { kind: "any" },
    });
  }
  const p = new Prng(0x5eed + f.id.length * 131 + f.ext.charCodeAt(0));
  for (let k = 0; k < 16; k++) {
    const at = p.int(big.length);
    const x = p.range(1, 255);
    const image = big.slice();
    image[at]! ^= x;
    out.push({ name: `byte ${at} ^= 0x${x.toString(16)}`, image, expect: { kind: "any" } });
  }
  out.push({
    name: "trailing garbage",
    image: concat([small, new TextEncoder().encode("JUNK JUNK JUNK!\n")]),
    expect: { kind: "message", message: f.trailingJunk },
  });
  out.push({
    name: "trailing zeros",
    image: concat([small, new Uint8Array(8)]),
    expect: f.trailingZeros === null
      ? { kind: "ok" }
      : { kind: "message", message: f.trailingZeros },
  });
  out.push({
    name: "cpio cut mid-entry",
    image: member(`${f.id}-midentry.${f.ext}`),
    expect: { kind: "message", message: CPIO_CODES.JUNK_AFTER_MEMBER },
  });
  return out;
}

/** A CpioError as documented, or what is wrong with `e`. */
function checkError(e: unknown): string | null {
  if (!(e instanceof CpioError)) {
    return `threw a non-CpioError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
  if (!(e.code in CPIO_CODES)) return `unknown code ${e.code}`;
  if (e.kernelMessage === "") return "empty kernelMessage";
  if (!Number.isSafeInteger(e.offset) || e.offset < 0) return `offset ${e.offset}`;
  return null;
}

/** Invariants of the tree left behind: sizes and link counts, readable data, space accounting. */
function checkTree(fs: Superblock): string | null {
  let paths = 0;
  for (const { path, pathBytes, stat } of fs.walk("/")) {
    paths++;
    if (stat.type === "d") {
      const kids = fs.readdir(pathBytes);
      const subdirs = kids.filter((k) => k.type === "d").length;
      if (stat.nlink !== 2 + subdirs) return `${path}: nlink ${stat.nlink}`;
      if (stat.size !== 20 * (2 + kids.length)) return `${path}: size ${stat.size}`;
    } else if (stat.type === "f" && stat.size <= 1 << 20) {
      if (fs.readFile(pathBytes).length !== stat.size) return `${path}: content length`;
    }
  }
  if (paths === 0) return "no root";
  const s = fs.statfs();
  if (s.blocks !== 0 && s.usedBlocks > s.blocks) return `${s.usedBlocks} blocks used`;
  return null;
}

/** Runs one case; null when it behaves, else what went wrong. */
async function runCase(c: BadCase): Promise<string | null> {
  const fs = new Tmpfs({ now: T, size: "16M" });
  let error: CpioError | null = null;
  try {
    await unpack(fs, c.image, { profile: "linux-6.1", now: T });
  } catch (e) {
    const bad = checkError(e);
    if (bad) return bad;
    error = e as CpioError;
  }
  const bad = checkTree(fs);
  if (bad) return `tree: ${bad}`;
  if (c.expect.kind === "ok" && error !== null) {
    return `expected success, got "${error.kernelMessage}"`;
  }
  if (c.expect.kind === "message" && error?.kernelMessage !== c.expect.message) {
    return `expected "${c.expect.message}", got ${
      error === null ? "success" : `"${error.kernelMessage}"`
    }`;
  }
  return null;
}

/** The bomb of one format into a 64 MiB tmpfs: write error, time, RSS growth. */
async function runBomb(file: string): Promise<string | null> {
  const image = member(file);
  const rss0 = Deno.memoryUsage().rss;
  const t0 = performance.now();
  const fs = new Tmpfs({ now: T, size: "64m" });
  let error: unknown = null;
  try {
    await unpack(fs, image, { profile: "linux-6.1", now: T });
  } catch (e) {
    error = e;
  }
  const secs = (performance.now() - t0) / 1000;
  const grown = (Deno.memoryUsage().rss - rss0) / 2 ** 20;
  if (!(error instanceof CpioError) || error.kernelMessage !== "write error") {
    return `expected write error, got ${error instanceof Error ? error.message : "success"}`;
  }
  if (grown >= 256) return `RSS grew by ${grown.toFixed(0)} MiB`;
  if (!fs.exists("/before") || fs.exists("/after")) return "wrong tree around the bomb";
  if (secs > 30) return `took ${secs.toFixed(1)} s`;
  return null;
}

// ---- the worker side: this module, loaded in a Worker

/** Work for the worker: a format's cases from `from` on, or one bomb. */
type Job = { type: "cases"; format: string; from: number } | { type: "bomb"; file: string };

/** What the worker reports. */
type Report =
  | { type: "start"; index: number }
  | { type: "fail"; index: number; reason: string }
  | { type: "done" };

interface WorkerScope {
  onmessage: ((e: MessageEvent<Job>) => void) | null;
  postMessage(r: Report): void;
}

if ("WorkerGlobalScope" in globalThis) {
  const scope = globalThis as unknown as WorkerScope;
  scope.onmessage = async (e) => {
    const job = e.data;
    if (job.type === "bomb") {
      scope.postMessage({ type: "start", index: 0 });
      const reason = await runBomb(job.file).catch((err) => `crashed: ${err}`);
      if (reason !== null) scope.postMessage({ type: "fail", index: 0, reason });
    } else {
      const list = casesOf(FORMATS.find((f) => f.id === job.format)!);
      for (let i = job.from; i < list.length; i++) {
        scope.postMessage({ type: "start", index: i });
        const reason = await runCase(list[i]!).catch((err) => `crashed: ${err}`);
        if (reason !== null) scope.postMessage({ type: "fail", index: i, reason });
      }
    }
    scope.postMessage({ type: "done" });
  };
}

// ---- the test side

interface Failure {
  index: number;
  reason: string;
}

/**
 * Runs `job` in a worker; resolves with the failures. A case that does not
 * answer within `timeoutMs` is a hang: the worker is terminated and, for a
 * case list, a fresh one goes on with the next case.
 */
async function inWorker(job: Job, timeoutMs: number): Promise<Failure[]> {
  const failures: Failure[] = [];
  let next: Job | null = job;
  while (next !== null) {
    const hung: number | null = await oneWorker(next, timeoutMs, failures);
    if (hung === null) break;
    failures.push({ index: hung, reason: `no answer after ${timeoutMs} ms (hang)` });
    next = next.type === "cases" ? { ...next, from: hung + 1 } : null;
  }
  return failures;
}

function oneWorker(job: Job, timeoutMs: number, failures: Failure[]): Promise<number | null> {
  const worker = new Worker(import.meta.url, { type: "module" });
  let current = job.type === "cases" ? job.from : 0;
  let started = Date.now();
  return new Promise((resolve) => {
    const finish = (hung: number | null) => {
      clearInterval(watchdog);
      worker.terminate();
      resolve(hung);
    };
    const watchdog = setInterval(() => {
      if (Date.now() - started > timeoutMs) finish(current);
    }, 100);
    worker.onmessage = (e: MessageEvent<Report>) => {
      const r = e.data;
      if (r.type === "start") {
        current = r.index;
        started = Date.now();
      } else if (r.type === "fail") {
        failures.push({ index: r.index, reason: r.reason });
      } else {
        finish(null);
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      failures.push({ index: current, reason: `worker error: ${e.message}` });
      finish(null);
    };
    worker.postMessage(job);
  });
}

if (!("WorkerGlobalScope" in globalThis)) {
  Deno.test("unpack() finishes with CpioError or a result on damaged members of every format", async (t) => {
    for (const f of FORMATS) {
      assert.ok(DECODERS[f.compression], `a ${f.compression} decoder`);
      const list = casesOf(f);
      await t.step({
        name: `${f.id}: ${list.length} images`,
        async fn() {
          const failures = await inWorker(
            { type: "cases", format: f.id, from: 0 },
            CASE_TIMEOUT_MS,
          );
          assert.deepEqual(
            failures.map((x) => `${list[x.index]!.name}: ${x.reason}`),
            [],
          );
        },
      });
    }
  });

  Deno.test("unpack() stops a 1 GiB bomb at a 64 MiB tmpfs with write error, in bounded memory", async (t) => {
    const bombs: [Compression, string][] = [
      ["gzip", "gzip-bomb.gz"],
      ["zstd", "zstd-bomb.zst"],
      ["xz", "xz-bomb.xz"],
      ["lzma", "lzma-bomb.lzma"],
      ["bzip2", "bzip2-bomb.bz2"],
    ];
    for (const [c, file] of bombs) {
      assert.ok(DECODERS[c], `a ${c} decoder`);
      await t.step({
        name: `${file} (${member(file).length} bytes)`,
        async fn() {
          const failures = await inWorker({ type: "bomb", file }, BOMB_TIMEOUT_MS);
          assert.deepEqual(failures.map((x) => x.reason), []);
        },
      });
    }
  });
}
