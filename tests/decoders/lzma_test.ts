// The lzma decoder against lib/decompress_unlzma.c as unpack_to_rootfs()
// runs it: output identical to `xz --format=lzma -dc` (recorded in
// tests/vectors/lzma/expect.tsv by make.sh), flushed in buffers of
// MIN(size, dictionary) bytes, posp = rc.ptr - rc.buffer, the kernel's
// messages, and no hang, trap or throw on cut or corrupted input. Facts
// checked on Debian's 6.12 kernel with the kernel oracle are marked
// "(observed)".

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createLzmaDecoder, lzma, lzmaFlushSize } from "../../src/decoders/lzma.ts";
import type { DecodeResult, MemberDecoder } from "../../src/decoders/types.ts";
import { Prng } from "../_util/prng.ts";

const DIR = new URL("../vectors/lzma/", import.meta.url);
const EOF = "unexpected EOF";
const CORRUPT = "LZMA data is corrupt";
const BAD_HEADER = "bad header";

const expected = new Map<string, { bytes: number; sha256: string }>();
for (const line of Deno.readTextFileSync(new URL("expect.tsv", DIR)).trim().split("\n").slice(1)) {
  const [name, bytes, sha256] = line.split("\t") as [string, string, string];
  expected.set(name, { bytes: Number(bytes), sha256 });
}

function vector(name: string): Uint8Array {
  return Deno.readFileSync(new URL(`${name}.lzma`, DIR));
}

interface Run {
  result: DecodeResult;
  sizes: number[];
  output: Uint8Array;
}

/** Decodes `input`, keeping every chunk; `stopAt` makes flush number n fail. */
function run(input: Uint8Array, decoder: MemberDecoder = lzma, stopAt = Infinity): Run {
  const sizes: number[] = [];
  const parts: Uint8Array[] = [];
  const result = decoder.decode(input, (chunk) => {
    sizes.push(chunk.length);
    if (sizes.length >= stopAt) return false;
    parts.push(chunk.slice());
    return true;
  });
  return { result, sizes, output: concat(...parts) };
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

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A copy of `input` with the 64-bit uncompressed size of the header set. */
function withSize(input: Uint8Array, size: bigint): Uint8Array {
  const out = input.slice();
  new DataView(out.buffer).setBigUint64(5, size, true);
  return out;
}

/** A copy of `input` with the dictionary size of the header set. */
function withDictionary(input: Uint8Array, size: number): Uint8Array {
  const out = input.slice();
  new DataView(out.buffer).setUint32(1, size, true);
  return out;
}

/** The flush sizes for `total` bytes through buffers of `buffer` bytes. */
function chunks(total: number, buffer: number, wraps: boolean): number[] {
  if (!wraps) return [total];
  const out: number[] = [];
  for (let left = total; left >= buffer; left -= buffer) out.push(buffer);
  out.push(total % buffer);
  return out;
}

// name, my_inptr, dictionary size. xz writes an unknown size (all 0xFF), so
// the buffer is the dictionary. my_inptr leaves out the stream's last byte
// when the last symbol needed no normalization (the unpacker then skips it
// as a zero).
const GOOD: [string, number, number][] = [
  ["text", 24779, 8 << 20],
  ["small", 1270, 256 << 10],
  ["empty", 23, 8 << 20],
  ["random", 40573, 8 << 20],
  ["dict4k", 29574, 4096],
  ["lclppb", 25533, 8 << 20],
];

Deno.test("lzma.decode() gives xz's output in dictionary-sized buffers, ending at the end marker", async (t) => {
  for (const [name, consumed, dict] of GOOD) {
    await t.step(name, () => {
      const input = vector(name);
      const want = expected.get(name)!;
      const { result, sizes, output } = run(input);
      assert.deepEqual(result, { consumed, ok: true });
      assert.equal(output.length, want.bytes);
      assert.equal(sha256(output), want.sha256);
      // the last flush comes even when it is empty
      assert.deepEqual(sizes, chunks(want.bytes, dict, true));
    });
  }
});

Deno.test("lzma.decode() with a known size stops there, before the end marker", async (t) => {
  await t.step("the size of the output, below the dictionary: one buffer, flushed once", () => {
    const want = expected.get("text")!;
    const { result, sizes, output } = run(withSize(vector("text"), BigInt(want.bytes)));
    assert.deepEqual(result, { consumed: 24773, ok: true });
    assert.deepEqual(sizes, [want.bytes]);
    assert.equal(sha256(output), want.sha256);
  });
  await t.step("the size of the output, above the dictionary: 4096-byte buffers", () => {
    const want = expected.get("dict4k")!;
    const { result, sizes, output } = run(withSize(vector("dict4k"), BigInt(want.bytes)));
    assert.deepEqual(result, { consumed: 29568, ok: true });
    assert.deepEqual(sizes, chunks(want.bytes, 4096, true));
    assert.equal(sha256(output), want.sha256);
  });
  await t.step("a member followed directly by a gzip member: my_inptr 90 (observed)", () => {
    const image = Deno.readFileSync(new URL("observed-known-then-gzip.img", DIR));
    assert.deepEqual(run(image).result, { consumed: 90, ok: true });
  });
  await t.step("the same with a 4 KiB dictionary: my_inptr 188 (observed)", () => {
    const image = Deno.readFileSync(new URL("observed-dict4k-known-then-gzip.img", DIR));
    const { result, sizes } = run(image);
    assert.deepEqual(result, { consumed: 188, ok: true });
    const total = sizes.reduce((a, b) => a + b, 0);
    assert.deepEqual(sizes, chunks(total, 4096, true));
  });
  await t.step(
    "a size that cuts a match short is corrupt (copy_bytes() returns the rest) (observed)",
    () => {
      // a 95-byte member whose output ends with a match, its size one byte short
      const { result, sizes } = run(vector("observed-short"));
      assert.equal(result.ok, false);
      assert.equal(result.message, CORRUPT);
      assert.deepEqual(sizes, []);
    },
  );
  await t.step("with a buffer that is the dictionary, a match runs past the size", () => {
    const want = expected.get("dict4k")!;
    const { result, sizes, output } = run(withSize(vector("dict4k"), BigInt(want.bytes - 1)));
    assert.equal(result.ok, true);
    assert.equal(output.length, want.bytes);
    assert.equal(sizes.reduce((a, b) => a + b, 0), want.bytes);
  });
});

Deno.test("lzma.decode() fails without a message where vmalloc() fails", async (t) => {
  await t.step("size 0 (vmalloc(0)) (observed)", () => {
    assert.deepEqual(run(withSize(vector("small"), 0n)).result, { consumed: 13, ok: false });
  });
  await t.step("a 1.5 GiB dictionary on a 1 GiB machine (observed)", () => {
    const { result } = run(withDictionary(vector("small"), 0x60000000));
    assert.deepEqual(result, { consumed: 13, ok: false });
  });
  await t.step("a 2 GiB buffer, negative as an int", () => {
    const big = createLzmaDecoder({ totalRamPages: 0xffffffff });
    assert.deepEqual(run(withDictionary(vector("small"), 0x80000000), big).result, {
      consumed: 13,
      ok: false,
    });
  });
  await t.step("an 8 MiB dictionary on a machine of 1000 pages", () => {
    const tiny = createLzmaDecoder({ totalRamPages: 1000 });
    assert.equal(run(vector("text"), tiny).result.ok, false);
    assert.equal(run(vector("small"), tiny).result.ok, true);
  });
  await t.step("lzmaFlushSize() says which", () => {
    assert.equal(lzmaFlushSize(0, 10n), 1);
    assert.equal(lzmaFlushSize(4096, 0n), undefined);
    assert.equal(lzmaFlushSize(0x80000000, 2n ** 64n - 1n), undefined);
    assert.equal(lzmaFlushSize(0x80000000, 1000n), 1000);
  });
});

Deno.test("lzma.decode() refuses properties of 225 and more with 'bad header'", () => {
  const input = vector("small").slice();
  input[0] = 225;
  assert.deepEqual(run(input).result, { consumed: 13, ok: false, message: BAD_HEADER });
});

Deno.test("lzma.decode() reports the same my_inptr whatever follows the member", () => {
  const input = vector("dict4k");
  const prng = new Prng(3);
  const tails = [
    new Uint8Array(4),
    Uint8Array.from({ length: 100 }, () => prng.int(256)),
    vector("small"),
  ];
  for (const tail of tails) {
    const { result, output } = run(concat(input, tail));
    assert.deepEqual(result, { consumed: 29574, ok: true });
    assert.equal(sha256(output), expected.get("dict4k")!.sha256);
  }
});

Deno.test("lzma.decode() on input cut short: 'unexpected EOF', no flush after it", async (t) => {
  for (const name of ["dict4k", "text", "small", "random"]) {
    await t.step(name, () => {
      const input = vector(name);
      const full = run(input).output;
      const flushSize = name === "dict4k" ? 4096 : Infinity;
      const step = Math.max(1, Math.floor(input.length / 150));
      for (let cut = 0; cut < input.length - 1; cut += cut < 40 ? 1 : step) {
        const { result, sizes, output } = run(input.subarray(0, cut));
        assert.equal(result.ok, false, `cut ${cut}`);
        assert.equal(result.message, EOF, `cut ${cut}`);
        // only the buffers filled before the end came out
        for (const size of sizes) assert.equal(size, flushSize, `cut ${cut}`);
        assert.deepEqual(output, full.subarray(0, output.length), `cut ${cut}`);
      }
    });
  }
});

Deno.test("lzma.decode() ends every corrupted input with a result and a kernel message", () => {
  const messages = new Set([EOF, CORRUPT, BAD_HEADER, undefined]);
  const names = ["dict4k", "text", "small", "random", "lclppb"];
  for (let seed = 1; seed <= 400; seed++) {
    const prng = new Prng(seed);
    const input = vector(names[seed % names.length]!).slice();
    const flips = prng.range(1, 4);
    for (let i = 0; i < flips; i++) {
      // mostly the data, sometimes the header
      const at = prng.chance(0.1) ? prng.int(13) : 13 + prng.int(input.length - 13);
      input[at] = input[at]! ^ (1 << prng.int(8));
    }
    const { result } = run(input, createLzmaDecoder({ totalRamPages: 16384 }));
    assert.ok(messages.has(result.message), `seed ${seed}: ${result.message}`);
    assert.ok(result.consumed <= input.length, `seed ${seed}`);
  }
});

Deno.test("lzma.decode() on random bytes after a header never throws", () => {
  for (let seed = 1; seed <= 300; seed++) {
    const prng = new Prng(seed * 104729);
    const input = Uint8Array.from({ length: prng.range(13, 500) }, () => prng.int(256));
    // lc up to 8 and lp up to 4: literal coders for 12 context bits
    input[0] = prng.int(225);
    new DataView(input.buffer).setUint32(1, prng.range(1, 1 << 16), true);
    const { result } = run(input);
    assert.ok(result.consumed <= input.length, `seed ${seed}`);
  }
});

Deno.test("lzma.decode() stops at once when flush() fails", async (t) => {
  await t.step("a full buffer: write_byte() fails, 'LZMA data is corrupt'", () => {
    const { result, sizes } = run(vector("dict4k"), lzma, 2);
    assert.deepEqual(sizes, [4096, 4096]);
    assert.equal(result.ok, false);
    assert.equal(result.message, CORRUPT);
  });
  await t.step("the last buffer: unlzma() returns -1 without a message", () => {
    const { result, sizes } = run(vector("text"), lzma, 1);
    assert.deepEqual(sizes, [80062]);
    assert.equal(result.ok, false);
    assert.equal(result.message, undefined);
  });
});

Deno.test("lzma.decode() decodes 64 MiB at speed", () => {
  const input = vector("large");
  const want = expected.get("large")!;
  const hash = createHash("sha256");
  const sizes: number[] = [];
  const t0 = performance.now();
  const result = lzma.decode(input, (chunk) => {
    hash.update(chunk);
    sizes.push(chunk.length);
    return true;
  });
  const ms = performance.now() - t0;
  assert.deepEqual(result, { consumed: input.length - 1, ok: true });
  assert.equal(hash.digest("hex"), want.sha256);
  assert.deepEqual(sizes, chunks(want.bytes, 8 << 20, true));
  console.log(`lzma: 64 MiB in ${ms.toFixed(0)} ms (${(want.bytes / 1e3 / ms).toFixed(1)} MB/s)`);
});
