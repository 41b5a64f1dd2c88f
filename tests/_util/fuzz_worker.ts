/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

// Runs fuzz cases off the test's thread, so that a hang can be detected and
// the worker terminated. Messages in: { seed, from, to }. Messages out:
// { type: "start", index } before each case, { type: "fail", index, reason }
// for a failing case, { type: "done" } at the end.

import { checkImage, fuzzCase, seedCorpus } from "./fuzz.ts";

/** A batch of cases to run. */
export interface FuzzBatch {
  seed: number;
  from: number;
  to: number;
}

/** What the worker reports. */
export type FuzzReport =
  | { type: "start"; index: number }
  | { type: "fail"; index: number; reason: string }
  | { type: "done" };

const corpus = seedCorpus();
const post = (r: FuzzReport) => self.postMessage(r);

self.onmessage = async (e: MessageEvent<FuzzBatch>) => {
  const { seed, from, to } = e.data;
  const images = await corpus;
  for (let index = from; index < to; index++) {
    post({ type: "start", index });
    let reason: string | null;
    try {
      reason = await checkImage(fuzzCase(images, seed, index));
    } catch (err) {
      reason = `checker crashed: ${err instanceof Error ? err.stack : String(err)}`;
    }
    if (reason !== null) post({ type: "fail", index, reason });
  }
  post({ type: "done" });
};
