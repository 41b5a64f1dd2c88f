// Tests of the bzip2 decoder against lib/decompress_bunzip2.c (bunzip2(),
// read_bunzip(), get_next_block(), get_bits()), with vectors made by the real
// bzip2 tool (tests/vectors/bzip2/make.sh) and, for hostile input, the
// outcomes of the kernel's own bunzip2() on the same cases
// (tests/vectors/bzip2/record_kernel.ts builds it in userspace and records
// return value, my_inptr, flushes, output and message for each).

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { bzip2, BZIP2_FLUSH_SIZE } from "../../src/decoders/bzip2.ts";
import type { DecodeResult } from "../../src/decoders/types.ts";
import { Prng } from "../_util/prng.ts";
import { ACCEPT_ALL, CASE_VECTORS, kernelCases } from "../vectors/bzip2/cases.ts";

const VECTORS = new URL("../vectors/bzip2/", import.meta.url);
const INTEGRITY = "Data integrity error when decompressing.";
const OUTPUT_EOF = "Compressed file ends unexpectedly";

interface Recorded {
  length: number;
  sha256: string;
}
const manifest = JSON.parse(Deno.readTextFileSync(new URL("vectors.json", VECTORS))) as {
  vectors: Record<string, Recorded>;
};

function vector(name: string): Uint8Array {
  return Deno.readFileSync(new URL(name, VECTORS));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

interface Outcome {
  result: DecodeResult;
  /** Size of every chunk flush() was called with, in order. */
  sizes: number[];
  /** SHA-256 of the accepted chunks. */
  sha256: string;
  /** FNV-1a (32-bit) of the accepted chunks, as the kernel harness computes it. */
  fnv: number;
  length: number;
}

/** Decodes `input`; flush() accepts `accept` chunks and refuses the next. */
function decode(input: Uint8Array, accept = Infinity): Outcome {
  const h = createHash("sha256");
  const sizes: number[] = [];
  let length = 0;
  let fnv = 2166136261;
  const result = bzip2.decode(input, (chunk) => {
    sizes.push(chunk.length);
    if (sizes.length > accept) return false;
    h.update(chunk);
    for (let i = 0; i < chunk.length; i++) fnv = Math.imul(fnv ^ chunk[i]!, 16777619) >>> 0;
    length += chunk.length;
    return true;
  });
  return { result, sizes, sha256: h.digest("hex"), fnv, length };
}

/** The kernel flushes full 4096-byte buffers and then what is left. */
function kernelSizes(length: number): number[] {
  const sizes = new Array<number>(Math.floor(length / BZIP2_FLUSH_SIZE)).fill(BZIP2_FLUSH_SIZE);
  if (length % BZIP2_FLUSH_SIZE !== 0) sizes.push(length % BZIP2_FLUSH_SIZE);
  return sizes;
}

// ---- vectors made by bzip2

for (const name of ["hello.bz2", "empty.bz2", "text1.bz2", "text9.bz2", "runs.bz2", "noise.bz2"]) {
  Deno.test(`bzip2.decode() gives bzip2's output for ${name} in 4096-byte buffers`, () => {
    const input = vector(name);
    const want = manifest.vectors[name]!;
    const got = decode(input);
    assert.deepEqual(got.result, { consumed: input.length, ok: true });
    assert.equal(got.length, want.length);
    assert.equal(got.sha256, want.sha256);
    assert.deepEqual(got.sizes, kernelSizes(want.length));
  });
}

Deno.test("bzip2.decode() stops at the end-of-stream magic: zeros, garbage and a second stream stay", () => {
  const hello = vector("hello.bz2");
  const text = vector("text1.bz2");
  const want = manifest.vectors["hello.bz2"]!;
  for (
    const tail of [
      new Uint8Array(4096),
      Uint8Array.of(0xde, 0xad, 0xbe, 0xef),
      text,
      hello,
      Uint8Array.of(0x42, 0x5a),
    ]
  ) {
    const got = decode(concat(hello, tail));
    assert.deepEqual(got.result, { consumed: hello.length, ok: true });
    assert.equal(got.sha256, want.sha256);
  }
  // a second member is decoded on its own from where the first ended
  const both = concat(text, hello);
  const first = decode(both);
  assert.equal(first.result.consumed, text.length);
  const second = decode(both.subarray(first.result.consumed));
  assert.deepEqual(second.result, { consumed: hello.length, ok: true });
  assert.equal(second.sha256, want.sha256);
});

Deno.test("bzip2.decodeReader() reads the same member from a file-like source", () => {
  const input = concat(vector("text1.bz2"), new Uint8Array(100));
  const want = decode(input);
  const h = createHash("sha256");
  const result = bzip2.decodeReader!({
    length: input.length,
    read(pos, into) {
      const n = Math.min(into.length, input.length - pos, 1000);
      into.set(input.subarray(pos, pos + n));
      return n;
    },
  }, (chunk) => {
    h.update(chunk);
    return true;
  });
  assert.deepEqual(result, want.result);
  assert.equal(h.digest("hex"), want.sha256);
});

// ---- the kernel's checks

Deno.test("bzip2.decode() fails without a message when the header is not BZh1..BZh9", () => {
  const hello = vector("hello.bz2");
  for (const head of ["BZh0", "BZh:", "BZx9", "BZH9", "BZ\0\0"]) {
    const input = concat(new TextEncoder().encode(head), hello.subarray(4));
    const got = decode(input);
    // start_bunzip() has read the four bytes
    assert.deepEqual(got.result, { consumed: 4, ok: false }, head);
    assert.deepEqual(got.sizes, []);
  }
  // shorter than a header: the read that meets the end returns 0
  assert.deepEqual(decode(Uint8Array.of(0x42, 0x5a)).result, { consumed: 2, ok: false });
  assert.deepEqual(decode(new TextEncoder().encode("BZh")).result, { consumed: 3, ok: false });
});

Deno.test("bzip2.decode() reports a bad block CRC and drops the buffer it was filling", () => {
  const input = vector("hello.bz2").slice();
  input[10]! ^= 0x01; // the block CRC follows "BZh9" and the 6-byte block magic
  const got = decode(input);
  assert.equal(got.result.ok, false);
  assert.equal(got.result.message, INTEGRITY);
  // read_bunzip() returns RETVAL_LAST_BLOCK instead of the 6 bytes it wrote
  assert.deepEqual(got.sizes, []);
  // the reader stopped after the block's end-of-block code
  assert.ok(got.result.consumed < input.length);

  // with full buffers before it, only the buffer being filled is lost
  const text = vector("text9.bz2").slice();
  text[10]! ^= 0x80;
  const long = decode(text);
  assert.equal(long.result.message, INTEGRITY);
  assert.ok(long.sizes.length > 10);
  assert.ok(long.sizes.every((n) => n === BZIP2_FLUSH_SIZE));
});

Deno.test("bzip2.decode() checks the combined CRC only when the stream had output", () => {
  // a wrong combined CRC after output: every buffer is flushed, then the message
  const hello = vector("hello.bz2").slice();
  hello[hello.length - 2]! ^= 0x10;
  const bad = decode(hello);
  assert.deepEqual(bad.result, { consumed: hello.length, ok: false, message: INTEGRITY });
  assert.equal(bad.sha256, manifest.vectors["hello.bz2"]!.sha256);

  // an empty stream: read_bunzip() returns 0 at the end-of-stream magic, and
  // bunzip2() takes 0 for success without comparing the CRCs
  const empty = vector("empty.bz2").slice();
  empty[empty.length - 1]! ^= 0xff;
  assert.deepEqual(decode(empty).result, { consumed: empty.length, ok: true });
});

Deno.test("bzip2.decode() flushes everything before failing on a cut end-of-stream CRC", () => {
  // as the 6.12 kernel did under the shared oracle for a member missing its
  // last two bytes: the whole file was written, then this message
  const text = vector("text1.bz2");
  const got = decode(text.subarray(0, text.length - 2));
  assert.equal(got.result.message, INTEGRITY);
  assert.equal(got.sha256, manifest.vectors["text1.bz2"]!.sha256);
  // the read of the CRC met the end and returned 0; nothing was read after it
  assert.equal(got.result.consumed, text.length - 2);
});

Deno.test("bzip2.decode() fails silently on a randomised block", () => {
  const input = vector("hello.bz2").slice();
  input[14]! |= 0x80; // the bit after the block CRC
  const got = decode(input);
  assert.deepEqual(got.result, { consumed: 15, ok: false });
});

Deno.test("bzip2.decode() stops at once when flush() refuses a buffer", () => {
  const input = vector("text1.bz2");
  for (const accept of [0, 1, 7, 54]) {
    const got = decode(input, accept);
    assert.equal(got.sizes.length, accept + 1, `accept ${accept}`);
    assert.equal(got.result.ok, false);
    assert.equal(got.result.message, OUTPUT_EOF);
    assert.equal(got.length, accept * BZIP2_FLUSH_SIZE);
  }
});

Deno.test("bzip2.decode() finishes on every cut of a member, never successfully", () => {
  for (const name of ["hello.bz2", "text1.bz2", "runs.bz2"]) {
    const input = vector(name);
    const step = Math.max(1, Math.floor(input.length / 400));
    for (let cut = 0; cut < input.length; cut += step) {
      const got = decode(input.subarray(0, cut));
      assert.equal(got.result.ok, false, `${name} cut at ${cut}`);
      assert.ok(
        got.result.message === undefined || got.result.message === INTEGRITY,
        `${name} cut at ${cut}: ${got.result.message}`,
      );
      // the reader reads on past the end (zeros stand for what follows the image)
      assert.ok(got.result.consumed >= Math.min(cut, 2), `${name} cut at ${cut}`);
      // a cut in the end-of-stream CRC still flushes the last, short buffer
      assert.ok(got.sizes.slice(0, -1).every((n) => n === BZIP2_FLUSH_SIZE));
    }
  }
});

Deno.test("bzip2.decode() returns a result on seeded random corruption", () => {
  const rnd = new Prng(0xb21f);
  const sources = ["text1.bz2", "noise.bz2", "runs.bz2"].map(vector);
  for (let k = 0; k < 300; k++) {
    const src = sources[k % sources.length]!;
    const input = src.slice();
    const edits = 1 + rnd.int(8);
    for (let e = 0; e < edits; e++) input[rnd.int(input.length)] = rnd.int(256);
    let result: DecodeResult;
    try {
      result = decode(input).result;
    } catch (err) {
      throw new Error(`seed ${rnd.seed} case ${k}: ${err}`);
    }
    assert.ok(result.consumed >= 4, `case ${k}`);
  }
});

// ---- the kernel's own bunzip2() on hostile input

Deno.test("bzip2.decode() matches the kernel's bunzip2() on recorded hostile cases", () => {
  const recorded = JSON.parse(
    Deno.readTextFileSync(new URL("kernel_outcomes.json", VECTORS)),
  ) as [string, string][];
  const vectors: Record<string, Uint8Array> = {};
  for (const v of CASE_VECTORS) vectors[v] = vector(v);
  const cases = kernelCases(vectors);
  assert.equal(cases.length, recorded.length);
  let compared = 0;
  for (const [i, c] of cases.entries()) {
    const [name, line] = recorded[i]!;
    assert.equal(c.name, name);
    // the kernel faulted: its behaviour is undefined there
    if (line === "crash") continue;
    const [ret, pos, accepted, total, fnv, ...message] = line.split(" ");
    const got = decode(c.input, c.accept === ACCEPT_ALL ? Infinity : c.accept);
    const mine = [
      got.result.ok ? "0" : "fail",
      String(got.result.consumed),
      String(Math.min(got.sizes.length, c.accept)),
      String(got.length),
      String(got.fnv),
      got.result.message ?? "-",
    ].join(" ");
    const theirs = [ret === "0" ? "0" : "fail", pos, accepted, total, fnv, message.join(" ")]
      .join(" ");
    assert.equal(mine, theirs, name);
    compared++;
  }
  assert.ok(compared > 900);
});

// ---- speed

Deno.test("bzip2.decode() decodes 64 MiB in 4096-byte buffers", () => {
  const input = vector("big.bz2");
  const want = manifest.vectors["big.bz2"]!;
  const h = createHash("sha256");
  let length = 0;
  let odd = 0;
  const t0 = performance.now();
  const result = bzip2.decode(input, (chunk) => {
    if (chunk.length !== BZIP2_FLUSH_SIZE) odd++;
    h.update(chunk);
    length += chunk.length;
    return true;
  });
  const seconds = (performance.now() - t0) / 1000;
  assert.deepEqual(result, { consumed: input.length, ok: true });
  assert.equal(length, want.length);
  assert.equal(h.digest("hex"), want.sha256);
  assert.equal(odd, 0);
  console.log(`bzip2: ${(length / 1e6 / seconds).toFixed(0)} MB/s of output (with hashing)`);
});
