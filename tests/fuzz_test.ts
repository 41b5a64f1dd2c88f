// Seeded fuzz smoke run: mutated images (bit flips, truncations, header field
// rewrites, random hex, spliced ranges) must make unpack() on every profile
// and listImage() either succeed or throw CpioError, leave a consistent
// tree, never hang, and let the next unpack start afresh. Cases run in
// workers so a hang is caught; a failure prints how to replay it.
//
//   FUZZ_SEED=<n> FUZZ_CASES=<n> deno test -A tests/fuzz_test.ts

import assert from "node:assert/strict";
import { listImage, Tmpfs, unpack } from "../mod.ts";
import { checkImage, fuzzCase, seedCorpus } from "./_util/fuzz.ts";
import { concat, newc, S } from "./_util/newc.ts";
import type { FuzzBatch, FuzzReport } from "./_util/fuzz_worker.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261124);
const CASES = Number(Deno.env.get("FUZZ_CASES") ?? 2000);
const WORKERS = 2;
/** A case taking longer than this is a hang. */
const CASE_TIMEOUT_MS = 10_000;

interface Failure {
  index: number;
  reason: string;
}

/**
 * Runs cases [from, to) in a worker and resolves with the failures. A case
 * that does not answer in time is a hang: the worker is terminated and a
 * fresh one goes on with the next case.
 */
async function runBatch(batch: FuzzBatch): Promise<Failure[]> {
  const failures: Failure[] = [];
  let from = batch.from;
  while (from < batch.to) {
    const hung = await runWorker({ ...batch, from }, failures);
    if (hung === null) break;
    failures.push({ index: hung, reason: `no answer after ${CASE_TIMEOUT_MS} ms (hang)` });
    from = hung + 1;
  }
  return failures;
}

/** One worker over `batch`; resolves with the index of a hung case, or null. */
function runWorker(batch: FuzzBatch, failures: Failure[]): Promise<number | null> {
  const worker = new Worker(new URL("./_util/fuzz_worker.ts", import.meta.url), {
    type: "module",
  });
  let current = batch.from;
  let started = Date.now();
  return new Promise<number | null>((resolve) => {
    const finish = (hung: number | null) => {
      clearInterval(watchdog);
      worker.terminate();
      resolve(hung);
    };
    const watchdog = setInterval(() => {
      if (Date.now() - started > CASE_TIMEOUT_MS) finish(current);
    }, 250);
    worker.onmessage = (e: MessageEvent<FuzzReport>) => {
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
    worker.postMessage(batch);
  });
}

/** One line per kind of failure (numbers folded), with its count and first case. */
function summary(failures: Failure[]): string[] {
  const kinds = new Map<string, Failure[]>();
  for (const f of failures) {
    const kind = f.reason.split("\n")[0]!.replace(/-?\d{3,}/g, "N");
    kinds.set(kind, [...(kinds.get(kind) ?? []), f]);
  }
  return [...kinds].map(([kind, list]) =>
    `${list.length} × ${kind}; first: case ${list[0]!.index}: ${list[0]!.reason.split("\n")[0]}`
  );
}

Deno.test("unpack() and listImage() only succeed or throw CpioError on mutated images", async () => {
  const size = Math.ceil(CASES / WORKERS);
  const batches: FuzzBatch[] = [];
  for (let from = 0; from < CASES; from += size) {
    batches.push({ seed: SEED, from, to: Math.min(CASES, from + size) });
  }
  const failures = (await Promise.all(batches.map(runBatch))).flat();
  assert.deepEqual(
    summary(failures),
    [],
    `FUZZ_SEED=${SEED}: ${failures.length} of ${CASES} cases fail; ` +
      `replay one with checkImage(fuzzCase(await seedCorpus(), ${SEED}, <case>))`,
  );
});

Deno.test("fuzzCase() is a pure function of seed and index", async () => {
  const corpus = await seedCorpus();
  for (const index of [0, 1, 999]) {
    assert.deepEqual(fuzzCase(corpus, SEED, index), fuzzCase(corpus, SEED, index));
  }
  assert.notDeepEqual(fuzzCase(corpus, SEED, 0), fuzzCase(corpus, SEED + 1, 0));
  // the corpus itself passes
  for (const image of corpus) assert.equal(await checkImage(image), null);
});

// Regressions the fuzz run found, as plain vectors.

Deno.test("listImage() treats namesize and filesize ≥ 2^31 as far offsets, as the kernel's loff_t does", async (t) => {
  const after = newc([{ name: "after", mode: S.IFREG | 0o644, nlink: 1, data: "x" }]);
  const table = [
    { name: "namesize 0xbeedb5eb", input: { raw: { namesize: "beedb5eb" } } },
    { name: "filesize 0xfffffff0", input: { filesize: 0xfffffff0 } },
    { name: "filesize 0x80000000", input: { filesize: 0x80000000 } },
  ];
  for (const { name, input } of table) {
    await t.step(name, async () => {
      const image = concat([
        newc([{ name: "big", mode: S.IFREG | 0o644, nlink: 1, data: "d", ...input }]),
        after,
      ]);
      // the next header lies beyond the image: nothing after the first is read
      const offsets = [...listImage(image)].map((e) => e.offset);
      assert.deepEqual(offsets, [0]);
      const fs = new Tmpfs({ now: 1 });
      await unpack(fs, image, { profile: "linux-7.0", now: 1 });
      assert.equal(fs.exists("/after"), false);
    });
  }
});
