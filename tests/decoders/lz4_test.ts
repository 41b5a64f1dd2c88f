// Tests of the lz4 decoder against lib/decompress_unlz4.c and
// lib/lz4/lz4_decompress.c (LZ4_decompress_safe) as of Linux 6.12, with
// vectors made by the real lz4 tool (tests/vectors/lz4/make.sh) and, for
// hostile input, a plain byte-by-byte model of the kernel's code written from
// the same reading. Cases marked "6.12 kernel" were also run through the real
// kernel's unpacker (shared oracle) with the same outcome.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { lz4, LZ4_CHUNK_SIZE } from "../../src/decoders/lz4.ts";
import type { DecodeResult } from "../../src/decoders/types.ts";
import { Prng } from "../_util/prng.ts";

const VECTORS = new URL("../vectors/lz4/", import.meta.url);
const MAGIC = Uint8Array.of(0x02, 0x21, 0x4c, 0x18);

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

function sha256(...parts: Uint8Array[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
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

function le32(n: number): Uint8Array {
  return Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
}

/** A legacy frame holding the given blocks as chunks. */
function frame(...blocks: Uint8Array[]): Uint8Array {
  return concat(MAGIC, ...blocks.flatMap((b) => [le32(b.length), b]));
}

interface Outcome {
  result: DecodeResult;
  /** Size of every flushed chunk, in order. */
  sizes: number[];
  /** SHA-256 of everything flushed. */
  sha256: string;
  length: number;
}

/** Decodes `input`, hashing the output; `accept` says how many flushes succeed. */
function decode(input: Uint8Array, accept = Infinity): Outcome {
  const h = createHash("sha256");
  const sizes: number[] = [];
  let length = 0;
  const result = lz4.decode(input, (chunk) => {
    sizes.push(chunk.length);
    if (sizes.length > accept) return false;
    h.update(chunk);
    length += chunk.length;
    return true;
  });
  return { result, sizes, sha256: h.digest("hex"), length };
}

// ---- a model of the kernel's code, for hostile input --------------------------------------

const modelOut = new Uint8Array(LZ4_CHUNK_SIZE);

// LZ4_decompress_safe(b + src, out, size, 8 MiB) as lib/lz4/lz4_decompress.c
// runs it on x86-64: the decoded length or -1. Byte by byte, same decisions.
function modelBlock(b: Uint8Array, src: number, size: number): number {
  const out = modelOut;
  const iend = src + size;
  const oend = LZ4_CHUNK_SIZE;
  let ip = src;
  let op = 0;
  for (;;) {
    const token = b[ip++]!;
    let length = token >> 4;
    let offset: number;
    let ml: number;
    if (length !== 15 && ip < iend - 16 && op <= oend - 32) {
      for (let i = 0; i < length; i++) out[op + i] = b[ip + i]!;
      op += length;
      ip += length;
      ml = token & 15;
      offset = b[ip]! | (b[ip + 1]! << 8);
      ip += 2;
      if (ml !== 15 && offset >= 8 && op - offset >= 0) {
        for (let i = 0; i < ml + 4; i++) out[op + i] = out[op - offset + i]!;
        op += ml + 4;
        continue;
      }
    } else {
      if (length === 15) {
        if (ip >= iend - 15) return -1;
        let s: number;
        do {
          s = b[ip++]!;
          length += s;
        } while (ip < iend - 15 && s === 255);
      }
      if (op + length > oend - 12 || ip + length > iend - 8) {
        if (ip + length !== iend || op + length > oend) return -1;
        for (let i = 0; i < length; i++) out[op + i] = b[ip + i]!;
        return op + length;
      }
      for (let i = 0; i < length; i++) out[op + i] = b[ip + i]!;
      op += length;
      ip += length;
      offset = b[ip]! | (b[ip + 1]! << 8);
      ip += 2;
      ml = token & 15;
    }
    if (op - offset < 0) return -1;
    if (ml === 15) {
      let s: number;
      do {
        s = b[ip++]!;
        if (ip > iend - 5) return -1;
        ml += s;
      } while (s === 255);
    }
    ml += 4;
    if (op + ml > oend - 5) return -1;
    // offset 0: the kernel stores the offset (0) as a word and copies from it
    for (let i = 0; i < ml; i++) out[op + i] = offset === 0 ? 0 : out[op - offset + i]!;
    op += ml;
  }
}

// unlz4() with fill = NULL, outbuf = NULL; a chunk running past the input
// reads zeros there (see wasm/decoders/lz4.ts): "Decoding failed" if the block
// does not decode, else it is flushed and the negative size is "data corrupted".
function model(input: Uint8Array): Outcome {
  const b = new Uint8Array(input.length + (16 << 20));
  b.set(input);
  const end = input.length;
  const h = createHash("sha256");
  const sizes: number[] = [];
  let length = 0;
  const done = (ok: boolean, consumed: number, message?: string): Outcome => ({
    result: message === undefined ? { consumed, ok } : { consumed, ok, message },
    sizes,
    sha256: h.digest("hex"),
    length,
  });
  const word = (p: number) =>
    (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  if (end < 4 || word(0) !== 0x184c2102) return done(false, 0, "invalid header");
  let p = 4;
  for (;;) {
    if (end - p < 4) return done(true, p);
    const size = word(p);
    if (size === 0x184c2102) {
      p += 4;
      continue;
    }
    if (size === 0) return done(true, p);
    p += 4;
    if (size >= 0x80000000 || size > b.length - p) return done(false, p, "Decoding failed");
    const n = modelBlock(b, p, size);
    if (n < 0) return done(false, p, "Decoding failed");
    sizes.push(n);
    h.update(modelOut.subarray(0, n));
    length += n;
    p += size;
    if (p > end) return done(false, p, "data corrupted");
    if (p === end) return done(true, p);
  }
}

// ---- vectors made by the lz4 tool ----------------------------------------------------------

Deno.test("lz4.decode() reads what `lz4 -l` wrote, as `lz4 -dc` reads it", async (t) => {
  const cases = [
    { file: "small.lz4", sizes: [1536] },
    { file: "multi.lz4", sizes: [LZ4_CHUNK_SIZE, LZ4_CHUNK_SIZE, 1 << 20] },
    { file: "mixed.lz4", sizes: [128 * 1024] },
    { file: "empty.lz4", sizes: [] },
  ];
  for (const c of cases) {
    await t.step(c.file, () => {
      const input = vector(c.file);
      const want = manifest.vectors[c.file]!;
      const got = decode(input);
      assert.deepEqual(got.result, { consumed: input.length, ok: true });
      assert.deepEqual(got.sizes, c.sizes);
      assert.equal(got.length, want.length);
      assert.equal(got.sha256, want.sha256);
    });
  }
});

Deno.test("lz4.decode() refuses the modern frame as unlz4() does: invalid header, my_inptr 0", () => {
  // lib/decompress.c does not even pick lz4 for 04 22; called anyway, unlz4() says this
  const got = decode(vector("frame.lz4"));
  assert.deepEqual(got.result, { consumed: 0, ok: false, message: "invalid header" });
  assert.deepEqual(got.sizes, []);
});

Deno.test("lz4.decode() needs the whole 4-byte magic", async (t) => {
  for (const input of [new Uint8Array(0), Uint8Array.of(2), Uint8Array.of(2, 0x21, 0x4c)]) {
    await t.step(`${input.length} bytes`, () => {
      assert.deepEqual(decode(input).result, { consumed: 0, ok: false, message: "invalid header" });
    });
  }
});

// ---- where the member ends ---------------------------------------------------------------

Deno.test("lz4.decode() stops where unlz4() stops when something follows the member", async (t) => {
  const small = vector("small.lz4");
  const n = small.length;
  const smallSum = manifest.vectors["small.lz4"]!.sha256;
  const cases: { name: string; tail: Uint8Array; want: DecodeResult; sizes: number[] }[] = [
    // the 2020 zero-padding fix: a chunk size of 0, or less than 4 bytes, ends the member
    { name: "4 zero bytes (6.12 kernel)", tail: new Uint8Array(4), want: ok(n), sizes: [1536] },
    { name: "1 zero byte", tail: new Uint8Array(1), want: ok(n), sizes: [1536] },
    { name: "3 zero bytes", tail: new Uint8Array(3), want: ok(n), sizes: [1536] },
    { name: "512 zero bytes", tail: new Uint8Array(512), want: ok(n), sizes: [1536] },
    {
      name: "zero size, then more data",
      tail: concat(new Uint8Array(4), small),
      want: ok(n),
      sizes: [1536],
    },
    {
      name: "3 bytes of garbage (6.12 kernel: then invalid magic)",
      tail: new TextEncoder().encode("abc"),
      want: ok(n),
      sizes: [1536],
    },
    {
      name: "garbage read as a chunk (6.12 kernel)",
      tail: concat(le32(8), new TextEncoder().encode("junkjunk")),
      want: fail(n + 4),
      sizes: [1536],
    },
    {
      name: "an uncompressed newc archive",
      tail: new TextEncoder().encode("07070100000000000000000000000000"),
      want: fail(n + 4),
      sizes: [1536],
    },
    {
      name: "a gzip member",
      tail: Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0),
      want: fail(n + 4),
      sizes: [1536],
    },
    {
      name: "a modern lz4 frame (6.12 kernel)",
      tail: vector("frame.lz4"),
      want: fail(n + 4),
      sizes: [1536],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = decode(concat(small, c.tail));
      assert.deepEqual(got.result, c.want);
      assert.deepEqual(got.sizes, c.sizes);
      if (c.want.ok) assert.equal(got.sha256, smallSum);
    });
  }

  function ok(consumed: number): DecodeResult {
    return { consumed, ok: true };
  }
  function fail(consumed: number): DecodeResult {
    return { consumed, ok: false, message: "Decoding failed" };
  }
});

Deno.test("lz4.decode() reads concatenated legacy members as one (6.12 kernel)", () => {
  const small = vector("small.lz4");
  const mixed = vector("mixed.lz4");
  const input = concat(small, mixed, small);
  const got = decode(input);
  assert.deepEqual(got.result, { consumed: input.length, ok: true });
  assert.deepEqual(got.sizes, [1536, 128 * 1024, 1536]);
  assert.equal(got.length, 1536 * 2 + 128 * 1024);
});

Deno.test("lz4.decode() counts every repeated magic in my_inptr", () => {
  const block = vector("small.lz4").subarray(8);
  const input = concat(MAGIC, MAGIC, MAGIC, le32(block.length), block, MAGIC, MAGIC);
  const got = decode(input);
  assert.deepEqual(got.result, { consumed: input.length, ok: true });
  assert.deepEqual(got.sizes, [1536]);
  assert.equal(got.sha256, manifest.vectors["small.lz4"]!.sha256);
});

Deno.test("lz4.decode() flushes an empty buffer for a chunk that decodes to nothing (6.12 kernel)", () => {
  const small = vector("small.lz4");
  const input = concat(small, le32(1), Uint8Array.of(0), small.subarray(4));
  const got = decode(input);
  assert.deepEqual(got.result, { consumed: input.length, ok: true });
  assert.deepEqual(got.sizes, [1536, 0, 1536]);
});

Deno.test("lz4.decode() gives my_inptr and the flushed chunks for input cut anywhere", () => {
  for (const file of ["small.lz4", "multi.lz4"]) {
    const whole = vector(file);
    // chunk layout: where each size field starts and the block size
    const chunks: { at: number; size: number }[] = [];
    for (let p = 4; p < whole.length;) {
      const size = new DataView(whole.buffer, whole.byteOffset + p).getUint32(0, true);
      chunks.push({ at: p, size });
      p += 4 + size;
    }
    const cuts = new Set<number>();
    for (let c = 0; c <= Math.min(whole.length, 400); c++) cuts.add(c);
    for (const { at, size } of chunks) {
      for (let d = -5; d <= 9; d++) cuts.add(at + d), cuts.add(at + 4 + size + d);
    }
    const prng = new Prng(7);
    for (let k = 0; k < 60; k++) cuts.add(prng.int(whole.length + 1));
    for (const cut of [...cuts].filter((c) => c >= 0 && c <= whole.length)) {
      const got = decode(whole.subarray(0, cut));
      const want = model(whole.subarray(0, cut));
      assert.deepEqual(got.result, want.result, `${file} cut at ${cut}`);
      assert.deepEqual(got.sizes, want.sizes, `${file} cut at ${cut}`);
      // a cut inside the last block's literals still decodes: zeros stand for the rest
      if (cut === whole.length - 1) {
        assert.deepEqual(want.result.message, "data corrupted", `${file} cut at ${cut}`);
      }
    }
  }
});

// ---- flush() refusing ----------------------------------------------------------------------

Deno.test("lz4.decode() stops at once when flush() returns false", async (t) => {
  const multi = vector("multi.lz4");
  const first = new DataView(multi.buffer, multi.byteOffset).getUint32(4, true);
  await t.step("on the first chunk", () => {
    const got = decode(multi, 0);
    assert.deepEqual(got.sizes, [LZ4_CHUNK_SIZE]);
    // the chunk's size is counted, its data is not: the kernel returns before *posp += chunksize
    assert.deepEqual(got.result, { consumed: 8, ok: false });
  });
  await t.step("on the second chunk", () => {
    const got = decode(multi, 1);
    assert.deepEqual(got.sizes, [LZ4_CHUNK_SIZE, LZ4_CHUNK_SIZE]);
    assert.deepEqual(got.result, { consumed: 8 + first + 4, ok: false });
  });
});

// ---- LZ4_decompress_safe() rules -----------------------------------------------------------

Deno.test("lz4.decode() follows LZ4_decompress_safe() on hand-made blocks", async (t) => {
  const lits = (n: number, from = 0x61) =>
    Uint8Array.from({ length: n }, (_, i) => from + (i % 26));
  const cases: { name: string; block: Uint8Array; want: Uint8Array | null }[] = [
    {
      name: "literals only",
      block: concat(Uint8Array.of(0x50), lits(5)),
      want: lits(5),
    },
    {
      name: "a token with no literals at all",
      block: Uint8Array.of(0x00),
      want: new Uint8Array(0),
    },
    {
      name: "offset 0 is not refused: the match is zeros (6.12 kernel)",
      // 14 literals, then a 4-byte match at offset 0, then 5 final literals
      block: concat(
        Uint8Array.of(0xe0),
        lits(14),
        Uint8Array.of(0, 0),
        Uint8Array.of(0x50),
        lits(5),
      ),
      want: concat(lits(14), new Uint8Array(4), lits(5)),
    },
    {
      name: "an offset past the start of the output",
      block: concat(
        Uint8Array.of(0x40),
        lits(4),
        Uint8Array.of(5, 0),
        Uint8Array.of(0x50),
        lits(5),
      ),
      want: null,
    },
    {
      name: "overlapping match at distance 1..7",
      block: concat(
        Uint8Array.of(0x3f),
        lits(3),
        Uint8Array.of(3, 0, 20),
        Uint8Array.of(0x50),
        lits(5),
      ),
      want: concat(lits(3), ...Array.from({ length: 13 }, () => lits(3)), lits(5)),
    },
    {
      // the fast path for short sequences skips the end-of-block checks: a
      // block may then end with a match and an empty literal run
      name: "a fast-path match followed by an empty last literal run (6.12 kernel)",
      block: concat(Uint8Array.of(0xe0), lits(14), Uint8Array.of(8, 0), Uint8Array.of(0x00)),
      want: concat(lits(14), lits(14).subarray(6, 10)),
    },
    {
      name: "the same sequence too close to the end for the fast path",
      block: concat(Uint8Array.of(0xd0), lits(13), Uint8Array.of(8, 0), Uint8Array.of(0x00)),
      want: null,
    },
    {
      name: "last literals that stop before the end of the block",
      block: concat(Uint8Array.of(0x50), lits(5), Uint8Array.of(0)),
      want: null,
    },
    {
      name: "a literal length running off the block",
      block: concat(Uint8Array.of(0xf0), new Uint8Array(20).fill(255)),
      want: null,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const input = frame(c.block);
      const got = decode(input);
      const mod = model(input);
      assert.deepEqual(got.result, mod.result);
      if (c.want === null) {
        assert.deepEqual(got.result, { consumed: 8, ok: false, message: "Decoding failed" });
      } else {
        assert.deepEqual(got.result, { consumed: input.length, ok: true });
        assert.deepEqual(got.sizes, [c.want.length]);
        assert.equal(got.sha256, sha256(c.want));
      }
    });
  }
});

Deno.test("lz4.decode() keeps the last 5 bytes of the 8 MiB buffer for literals", async (t) => {
  // 8 MiB - 12 literals, a match of `ml` bytes, then 5 final literals
  function block(ml: number): Uint8Array {
    const lit = LZ4_CHUNK_SIZE - 12;
    const ext: number[] = [];
    for (let r = lit - 15;; r -= 255) {
      if (r < 255) {
        ext.push(r);
        break;
      }
      ext.push(255);
    }
    return concat(
      Uint8Array.of(0xf0 | (ml - 4)),
      Uint8Array.from(ext),
      new Uint8Array(lit).fill(0x41),
      Uint8Array.of(1, 0, 0x50),
      new TextEncoder().encode("tail!"),
    );
  }
  await t.step("a match ending 5 bytes before the end", () => {
    const got = decode(frame(block(7)));
    assert.equal(got.result.ok, true);
    assert.deepEqual(got.sizes, [LZ4_CHUNK_SIZE]);
  });
  await t.step("a match ending 4 bytes before the end", () => {
    const got = decode(frame(block(8)));
    assert.deepEqual(got.result, { consumed: 8, ok: false, message: "Decoding failed" });
  });
  await t.step("a chunk decoding to more than 8 MiB", () => {
    const lit = LZ4_CHUNK_SIZE + 1;
    const ext = new Uint8Array(Math.floor((lit - 15) / 255) + 1).fill(255);
    ext[ext.length - 1] = (lit - 15) % 255;
    const got = decode(frame(concat(Uint8Array.of(0xf0), ext, new Uint8Array(lit))));
    assert.deepEqual(got.result, { consumed: 8, ok: false, message: "Decoding failed" });
  });
});

// ---- hostile input -------------------------------------------------------------------------

Deno.test("lz4.decode() agrees with the model of the kernel on corrupted vectors", () => {
  const prng = new Prng(0x1a4);
  const sources = [vector("small.lz4"), vector("mixed.lz4"), vector("small.lz4").subarray(0, 200)];
  for (let k = 0; k < 1500; k++) {
    const input = sources[k % sources.length]!.slice();
    const edits = prng.range(1, 4);
    for (let e = 0; e < edits; e++) {
      const at = prng.chance(0.3) ? prng.int(Math.min(input.length, 12)) : prng.int(input.length);
      input[at] = prng.chance(0.5) ? prng.u32() & 0xff : input[at]! ^ (1 << prng.int(8));
    }
    const got = decode(input);
    const want = model(input);
    const seed = `case ${k} (seed ${prng.seed})`;
    assert.deepEqual(got.result, want.result, seed);
    assert.deepEqual(got.sizes, want.sizes, seed);
    assert.equal(got.sha256, want.sha256, seed);
  }
});

Deno.test("lz4.decode() agrees with the model of the kernel on random blocks", () => {
  const prng = new Prng(0x10c4);
  for (let k = 0; k < 4000; k++) {
    // well-formed short sequences, bent now and then (bad offsets, odd
    // lengths, a cut), so that many decode and many nearly do
    const parts: number[] = [];
    let out = 0;
    const n = prng.range(1, 8);
    const length = (base: number) => {
      if (base < 15) return base;
      let extra = prng.chance(0.05) ? 255 + prng.int(40) : prng.int(40);
      let total = 15;
      while (extra >= 255) parts.push(255), total += 255, extra -= 255;
      parts.push(extra);
      return total + extra;
    };
    for (let s = 0; s < n; s++) {
      const litCode = prng.chance(0.1) ? 15 : prng.int(15);
      const mlCode = prng.chance(0.1) ? 15 : prng.int(15);
      const at = parts.length;
      parts.push((litCode << 4) | mlCode);
      const lit = length(litCode);
      for (let i = 0; i < lit; i++) parts.push(0x61 + prng.int(26));
      out += lit;
      const offset = prng.chance(0.05)
        ? prng.int(256)
        : 1 + prng.int(Math.max(1, Math.min(out, 70)));
      parts.push(offset & 0xff, offset >> 8);
      const ml = length(mlCode);
      out += ml + 4;
      if (prng.chance(0.02)) parts[at] = prng.int(256);
    }
    const last = prng.chance(0.9) ? 5 + prng.int(10) : prng.int(5);
    parts.push(Math.min(last, 15) << 4);
    if (last >= 15) parts.push(last - 15);
    for (let i = 0; i < last; i++) parts.push(0x41);
    let block = Uint8Array.from(parts);
    if (prng.chance(0.1)) block = block.subarray(0, prng.int(block.length) + 1);
    const input = frame(block);
    const got = decode(input);
    const want = model(input);
    const seed = `case ${k} (seed ${prng.seed})`;
    assert.deepEqual(got.result, want.result, seed);
    assert.deepEqual(got.sizes, want.sizes, seed);
    assert.equal(got.sha256, want.sha256, seed);
  }
});

Deno.test("lz4.decode() finishes on random bytes after the magic", () => {
  const prng = new Prng(99);
  for (let k = 0; k < 300; k++) {
    const input = concat(MAGIC, prng.bytes(prng.range(0, 3000)));
    const got = decode(input);
    assert.deepEqual(got.result, model(input).result, `case ${k}`);
    assert.ok(got.result.consumed <= input.length);
  }
});

// ---- reading a file image ------------------------------------------------------------------

Deno.test("lz4.decodeReader() gives what lz4.decode() gives", () => {
  const inputs = [
    ...["small.lz4", "multi.lz4", "mixed.lz4", "frame.lz4"].map(vector),
    concat(vector("small.lz4"), le32(8), new TextEncoder().encode("junkjunk")),
  ];
  for (const input of inputs) {
    const want = decode(input);
    lz4.release?.();
    const reader = {
      length: input.length,
      read(pos: number, into: Uint8Array): number {
        // short reads, as a file may give
        const n = Math.min(into.length, 4096, input.length - pos);
        into.set(input.subarray(pos, pos + n));
        return n;
      },
    };
    const sizes: number[] = [];
    const h = createHash("sha256");
    const result = lz4.decodeReader!(reader, (chunk) => {
      sizes.push(chunk.length);
      h.update(chunk);
      return true;
    });
    assert.deepEqual(result, want.result);
    assert.deepEqual(sizes, want.sizes);
    assert.equal(h.digest("hex"), want.sha256);
  }
});

// ---- speed ---------------------------------------------------------------------------------

Deno.test("lz4.decode() reads 64 MiB of output quickly and exactly", () => {
  const mixed = vector("mixed.lz4");
  const chunk = mixed.subarray(4);
  const input = concat(MAGIC, ...Array.from({ length: 512 }, () => chunk));
  const unit = manifest.vectors["mixed.lz4"]!;
  let bad = 0;
  let chunks = 0;
  const result = lz4.decode(input, (c) => {
    chunks++;
    if (c.length !== unit.length || sha256(c) !== unit.sha256) bad++;
    return true;
  });
  assert.deepEqual(result, { consumed: input.length, ok: true });
  assert.equal(chunks, 512);
  assert.equal(bad, 0);
  const start = performance.now();
  lz4.decode(input, () => true);
  const seconds = (performance.now() - start) / 1000;
  console.log(`lz4: 64 MiB of output in ${(seconds * 1000).toFixed(0)} ms`);
});
