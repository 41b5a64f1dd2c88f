// Tests of the zstd decoder against lib/decompress_unzstd.c and the zstd 1.5.2
// of the 6.2 to 6.14 kernels, with vectors made by the real zstd tool
// (tests/vectors/zstd/make.sh) and frames built here byte by byte. Cases
// marked "6.12 kernel" were run through the real kernel's unpacker (the shared
// oracle, Debian's 6.12.117) with a newc archive as the payload: the message
// it logged and the bytes of the file it left (which show how much output was
// flushed) are what the test asserts.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { zstd, ZSTD_FLUSH_SIZE } from "../../src/decoders/zstd.ts";
import type { DecodeResult, ImageReader } from "../../src/decoders/types.ts";
import { Prng } from "../_util/prng.ts";

const VECTORS = new URL("../vectors/zstd/", import.meta.url);
const CHUNK = ZSTD_FLUSH_SIZE;

interface Recorded {
  /** Bytes of the first frame (the member). */
  frame: number;
  size: number;
  sha256: string;
}
const recorded = JSON.parse(Deno.readTextFileSync(new URL("vectors.json", VECTORS))) as Record<
  string,
  Recorded
>;

const CORRUPT = "ZSTD-compressed data is corrupt";
const PROBABLY = "ZSTD-compressed data is probably corrupt";
const TRUNCATED = "ZSTD-compressed data is truncated";
const INCOMPLETE = "ZSTD-compressed data has an incomplete frame header";
const MAGIC_WRONG = "Input is not in the ZSTD format (wrong magic bytes)";
const DSTREAM = "Out of memory while allocating ZSTD_DStream";
const NOMEM = "ZSTD decompressor ran out of memory";
const TOO_LARGE = "ZSTD-compressed data has too large a window size";

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

function le(n: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = Math.floor(n / 2 ** (8 * i)) % 256;
  return out;
}

interface Outcome {
  result: DecodeResult;
  /** Size of every flushed chunk, in order. */
  sizes: number[];
  /** Everything flushed. */
  output: Uint8Array;
}

/** Decodes `input`; `accept` says how many flushes succeed. */
function decode(input: Uint8Array, accept = Infinity): Outcome {
  const parts: Uint8Array[] = [];
  const sizes: number[] = [];
  const result = zstd.decode(input, (chunk) => {
    sizes.push(chunk.length);
    if (sizes.length > accept) return false;
    parts.push(chunk.slice());
    return true;
  });
  return { result, sizes, output: concat(...parts) };
}

/** Every chunk but the last is a full ZSTD_IOBUF_SIZE buffer. */
function assertChunks(sizes: number[]): void {
  for (let i = 0; i < sizes.length; i++) {
    if (i < sizes.length - 1) assert.equal(sizes[i], CHUNK, `chunk ${i} of ${sizes.length}`);
    else assert.ok(sizes[i]! > 0 && sizes[i]! <= CHUNK, `last chunk ${sizes[i]}`);
  }
}

// ---- frames built by hand ----------------------------------------------------------------

const MAGIC = le(0xfd2fb528, 4);
const RAW = 0, RLE = 1, COMPRESSED = 2, RESERVED = 3;

/** A frame header: descriptor byte, window byte (if not single segment), the rest. */
function header(fhd: number, window: number | null, ...rest: Uint8Array[]): Uint8Array {
  return concat(
    MAGIC,
    Uint8Array.of(fhd),
    window === null ? new Uint8Array(0) : Uint8Array.of(window),
    ...rest,
  );
}

/** A block header (3 bytes) and its content. */
function block(
  type: number,
  size: number,
  last: boolean,
  content: Uint8Array = new Uint8Array(0),
): Uint8Array {
  return concat(le(size * 8 + type * 2 + (last ? 1 : 0), 3), content);
}

/** Raw blocks holding consecutive pieces of `payload` of the given sizes. */
function rawBlocks(payload: Uint8Array, sizes: number[], lastIsFinal = true): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  sizes.forEach((n, i) => {
    parts.push(block(RAW, n, lastIsFinal && i === sizes.length - 1, payload.subarray(at, at + n)));
    at += n;
  });
  return concat(...parts);
}

function windowByte(log: number, mantissa = 0): number {
  return ((log - 10) << 3) | mantissa;
}

const prng = new Prng(20261125);
const PAYLOAD = Uint8Array.from({ length: 400240 }, () => prng.int(256));
const W17 = windowByte(17);
const REST = PAYLOAD.length - 3 * CHUNK;

// ---- vectors from the real zstd ------------------------------------------------------------

Deno.test("zstd.decode() gives what zstd gives for its own vectors, in 128 KiB chunks", async (t) => {
  for (const [name, want] of Object.entries(recorded)) {
    if (name === "big.zst") continue;
    await t.step(name, () => {
      const input = vector(name);
      const { result, sizes, output } = decode(input);
      assert.deepEqual(result, { consumed: want.frame, ok: true });
      assert.equal(output.length, want.size);
      assert.equal(sha256(output), want.sha256);
      assertChunks(sizes);
      assert.equal(sizes.length, Math.ceil(want.size / CHUNK));
    });
  }
});

Deno.test("zstd.decode() stops at the end of the frame whatever follows", async (t) => {
  const input = vector("l3.zst");
  const want = recorded["l3.zst"]!;
  const tails: [string, Uint8Array][] = [
    ["zeros", new Uint8Array(512)],
    ["garbage", Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff)],
    ["a second frame", vector("small.zst")],
    ["a skippable frame", concat(le(0x184d2a50, 4), le(4, 4), le(0, 4))],
    ["a truncated frame", vector("l1.zst").subarray(0, 1000)],
  ];
  for (const [what, tail] of tails) {
    await t.step(what, () => {
      const { result, output } = decode(concat(input, tail));
      assert.deepEqual(result, { consumed: want.frame, ok: true });
      assert.equal(sha256(output), want.sha256);
    });
  }
  await t.step("two frames: one member each", () => {
    const both = vector("twoframes.zst");
    const first = decode(both);
    assert.equal(first.result.consumed, recorded["twoframes.zst"]!.frame);
    const second = decode(both.subarray(first.result.consumed));
    assert.equal(second.result.ok, true);
    assert.equal(second.result.consumed, both.length - first.result.consumed);
    assert.equal(sha256(first.output, second.output), want.sha256);
  });
  await t.step("a member in the middle of a buffer", () => {
    const image = concat(new Uint8Array(4096).fill(0x30), input, new Uint8Array(100));
    const { result, output } = decode(image.subarray(4096));
    assert.deepEqual(result, { consumed: want.frame, ok: true });
    assert.equal(sha256(output), want.sha256);
  });
});

Deno.test("zstd.decodeReader() reads the member from a file as zstd.decode() does", () => {
  const input = concat(vector("wlog17.zst"), new Uint8Array(64));
  const reader: ImageReader = {
    length: input.length,
    read(pos, into) {
      const n = Math.min(into.length, input.length - pos, 7000);
      into.set(input.subarray(pos, pos + n));
      return n;
    },
  };
  const parts: Uint8Array[] = [];
  const result = zstd.decodeReader!(reader, (c) => (parts.push(c.slice()), true));
  assert.deepEqual(result, { consumed: recorded["wlog17.zst"]!.frame, ok: true });
  assert.equal(sha256(...parts), recorded["wlog17.zst"]!.sha256);
});

Deno.test("zstd.decode() of 64 MiB: right bytes, and fast", () => {
  const input = vector("big.zst");
  const want = recorded["big.zst"]!;
  const h = createHash("sha256");
  let length = 0;
  let chunks = 0;
  const start = performance.now();
  const result = zstd.decode(input, (chunk) => {
    h.update(chunk);
    length += chunk.length;
    chunks++;
    return true;
  });
  const ms = performance.now() - start;
  assert.deepEqual(result, { consumed: want.frame, ok: true });
  assert.equal(length, want.size);
  assert.equal(h.digest("hex"), want.sha256);
  assert.equal(chunks, want.size / CHUNK);
  console.log(
    `    64 MiB in ${ms.toFixed(0)} ms (${
      (want.size / 1e6 / (ms / 1000)).toFixed(0)
    } MB/s, with SHA-256)`,
  );
});

// ---- the kernel's streaming loop, seen from the unpacker -----------------------------------

interface Case {
  name: string;
  input: Uint8Array;
  message?: string;
  /** Bytes flushed before the end. */
  flushed: number;
  /** my_inptr; default: 0 on failure. */
  consumed?: number;
}

const good = concat(header(0x00, W17), rawBlocks(PAYLOAD, [CHUNK, CHUNK, CHUNK, REST]));
const offsetZero = (() => {
  // "abc", then one sequence: no literals, offset code 1 with its bit set
  // (repeat offset 1 minus 1, which is 0 when it is 1), match length 3
  const seq = Uint8Array.of(0x00, 0x01, 0x54, 0x00, 0x01, 0x00, 0x03);
  return concat(
    header(0x00, W17),
    block(RAW, 3, false, Uint8Array.of(0x61, 0x62, 0x63)),
    block(COMPRESSED, seq.length, true, seq),
  );
})();

const kernelCases: Case[] = [
  {
    // 6.12 kernel
    name: "a bad block after 300000 bytes: the two full buffers were flushed",
    input: concat(
      header(0x00, W17),
      rawBlocks(PAYLOAD, [100000, 100000, 100000], false),
      block(RESERVED, 10, true, new Uint8Array(10)),
    ),
    message: CORRUPT,
    flushed: 2 * CHUNK,
  },
  {
    // 6.12 kernel
    name: "a bad block after exactly 262144 bytes: the second full buffer is lost",
    input: concat(
      header(0x00, W17),
      rawBlocks(PAYLOAD, [CHUNK, CHUNK], false),
      block(RESERVED, 10, true, new Uint8Array(10)),
    ),
    message: CORRUPT,
    flushed: CHUNK,
  },
  {
    // 6.12 kernel
    name: "cut inside a raw block: its part that did not fit is lost",
    input: concat(
      header(0x00, W17),
      rawBlocks(PAYLOAD, [100000], false),
      block(RAW, 100000, true, PAYLOAD.subarray(100000, 150000)),
    ),
    message: TRUNCATED,
    flushed: CHUNK,
    consumed: 150012,
  },
  {
    // 6.12 kernel
    name: "cut after a whole block: what did not fit is lost",
    input: concat(header(0x00, W17), rawBlocks(PAYLOAD, [100000, 100000], false)),
    message: TRUNCATED,
    flushed: CHUNK,
    consumed: 200012,
  },
  {
    // 6.12 kernel
    name: "cut before the checksum: what did not fit is lost",
    input: concat(header(0x04, W17), rawBlocks(PAYLOAD, [100000, 100000])),
    message: TRUNCATED,
    flushed: CHUNK,
    consumed: 200012,
  },
  {
    // 6.12 kernel
    name: "cut inside a compressed block: everything before it is flushed",
    input: concat(
      header(0x00, W17),
      rawBlocks(PAYLOAD, [100000, 100000], false),
      block(COMPRESSED, 50, true, new Uint8Array(20).fill(0x11)),
    ),
    message: TRUNCATED,
    flushed: 200000,
    consumed: 200035,
  },
  {
    // 6.12 kernel
    name: "the last block ends the input: zstd holds a byte back and finishes",
    input: concat(header(0x00, W17), rawBlocks(PAYLOAD, [100000, 100000])),
    flushed: 200000,
    consumed: 200012,
  },
  {
    // 6.12 kernel
    name: "a wrong checksum: all but the last buffer flushed",
    input: concat(
      header(0x04, W17),
      rawBlocks(PAYLOAD, [CHUNK, CHUNK, CHUNK, REST]),
      le(0xefbeadde, 4),
    ),
    message: CORRUPT,
    flushed: 3 * CHUNK,
  },
  {
    // 6.12 kernel
    name: "a block above the window's block size (Block_Maximum_Size)",
    input: concat(
      header(0x00, W17),
      rawBlocks(PAYLOAD, [CHUNK, CHUNK], false),
      block(RAW, CHUNK + 1, true, PAYLOAD.subarray(0, CHUNK + 1)),
    ),
    message: CORRUPT,
    flushed: CHUNK,
  },
  {
    // 6.12 kernel
    name: "an empty last block: the content size is not checked",
    input: concat(
      header(0x80, W17, le(500000, 4)),
      rawBlocks(PAYLOAD, [CHUNK, CHUNK, CHUNK, REST], false),
      block(RAW, 0, true),
    ),
    flushed: PAYLOAD.length,
    consumed: 6 + 4 + 4 * 3 + PAYLOAD.length + 3,
  },
  {
    // 6.12 kernel
    name: "a compressed block of 128 KiB (zstd 1.5.2: srcSize_wrong)",
    input: concat(header(0x00, W17), block(COMPRESSED, CHUNK, true, new Uint8Array(CHUNK).fill(1))),
    message: PROBABLY,
    flushed: 0,
  },
  {
    // 6.12 kernel
    name: "literals that repeat a Huffman tree before any tree (dictionary_corrupted)",
    input: concat(
      header(0x00, W17),
      block(COMPRESSED, 8, true, Uint8Array.of(0x03, 0x10, 0x10, 0, 0, 0, 0, 0)),
    ),
    message: PROBABLY,
    flushed: 0,
  },
  {
    // 6.12 kernel
    name: "a sequence count of 0 with a byte after it (zstd 1.5.2: srcSize_wrong)",
    input: concat(header(0x00, W17), block(COMPRESSED, 4, true, Uint8Array.of(0x08, 0x41, 0, 0))),
    message: PROBABLY,
    flushed: 0,
  },
  {
    // 6.12 kernel
    name: "a compressed block of 2 bytes (zstd 1.5.2: MIN_CBLOCK_SIZE is 3)",
    input: concat(
      header(0x00, W17),
      block(COMPRESSED, 2, false, Uint8Array.of(0, 0)),
      rawBlocks(PAYLOAD, [1000]),
    ),
    message: CORRUPT,
    flushed: 0,
  },
  {
    // 6.12 kernel
    name: "an offset of 0 (repeat offset 1 minus 1) is taken as 1 (zstd 1.5.2)",
    input: offsetZero,
    flushed: 6,
    consumed: offsetZero.length,
  },
  {
    // 6.12 kernel (1 GiB guest)
    name: "a 2 GiB window: vmalloc() refuses the workspace",
    input: concat(header(0x00, windowByte(31)), rawBlocks(PAYLOAD, [1000])),
    message: DSTREAM,
    flushed: 0,
  },
  {
    // 6.12 kernel (1 GiB guest)
    name: "a 960 MiB window: more pages than the machine has",
    input: concat(header(0x00, windowByte(29, 7)), rawBlocks(PAYLOAD, [1000])),
    message: DSTREAM,
    flushed: 0,
  },
  {
    // 6.12 kernel
    name: "a 256 MiB window: above ZSTD_MAXWINDOWSIZE_DEFAULT",
    input: concat(header(0x00, windowByte(28)), rawBlocks(PAYLOAD, [1000])),
    message: PROBABLY,
    flushed: 0,
  },
  {
    // 6.12 kernel
    name: "a header cut short",
    input: concat(MAGIC, Uint8Array.of(0x00)),
    message: INCOMPLETE,
    flushed: 0,
  },
  {
    // 6.12 kernel
    name: "a wrong magic",
    input: concat(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfe), new Uint8Array(20)),
    message: MAGIC_WRONG,
    flushed: 0,
  },
  {
    name: "a good frame, then zeros and another frame: one frame is the member",
    input: concat(good, new Uint8Array(8), good),
    flushed: PAYLOAD.length,
    consumed: good.length,
  },
];

Deno.test("zstd.decode() flushes, fails and counts my_inptr as the kernel's __unzstd()", async (t) => {
  for (const c of kernelCases) {
    await t.step(c.name, () => {
      const { result, sizes, output } = decode(c.input);
      const want: DecodeResult = c.message === undefined
        ? { consumed: c.consumed ?? 0, ok: true }
        : { consumed: c.consumed ?? 0, ok: false, message: c.message };
      assert.deepEqual(result, want);
      assert.equal(output.length, c.flushed);
      if (c.flushed > 0) assertChunks(sizes);
      if (c.input === offsetZero) {
        assert.deepEqual(output, Uint8Array.of(0x61, 0x62, 0x63, 0x63, 0x63, 0x63));
      } else {
        assert.deepEqual(output, PAYLOAD.subarray(0, output.length));
      }
    });
  }
});

interface Damaged {
  name: string;
  /** Where one byte was changed, and to what. */
  at?: number;
  set?: number;
  /** Where the frame was cut. */
  cut?: number;
  message?: string;
  flushed: number;
  sha256: string;
}

Deno.test("zstd.decode() of damaged zstd output flushes what the 6.12 kernel flushed", async (t) => {
  // recorded through the oracle: tests/vectors/zstd/damaged.json
  const original = vector("damaged.zst");
  const { cases } = JSON.parse(Deno.readTextFileSync(new URL("damaged.json", VECTORS))) as {
    cases: Damaged[];
  };
  for (const c of cases) {
    await t.step(c.name, () => {
      let input = original.slice();
      if (c.at !== undefined) input[c.at] = c.set!;
      if (c.cut !== undefined) input = input.subarray(0, c.cut);
      const { result, output } = decode(input);
      assert.equal(result.ok, c.message === undefined);
      assert.equal(result.message, c.message);
      assert.equal(output.length, c.flushed);
      assert.equal(sha256(output), c.sha256);
    });
  }
});

// ---- frame headers, skippable frames, blocks (from the kernel's code) ----------------------

const small = rawBlocks(PAYLOAD, [100]);
const headerCases: Case[] = [
  { name: "no input at all", input: new Uint8Array(0), message: INCOMPLETE, flushed: 0 },
  {
    name: "2 bytes (zstd 1.5.2 does not look at them)",
    input: Uint8Array.of(0x28, 0xb5),
    message: INCOMPLETE,
    flushed: 0,
  },
  {
    name: "4 bytes of a wrong magic",
    input: Uint8Array.of(0x28, 0xb5, 0, 0),
    message: INCOMPLETE,
    flushed: 0,
  },
  {
    name: "the reserved header bit",
    input: concat(header(0x08, W17), small),
    message: PROBABLY,
    flushed: 0,
  },
  {
    name: "a window log of 32",
    input: concat(header(0x00, windowByte(32)), small),
    message: PROBABLY,
    flushed: 0,
  },
  {
    name: "a dictionary ID",
    input: concat(header(0x01, W17, Uint8Array.of(7)), small),
    message: PROBABLY,
    flushed: 0,
  },
  {
    name: "a 128 MiB + 1/8 window",
    input: concat(header(0x00, windowByte(27, 1)), small),
    message: PROBABLY,
    flushed: 0,
  },
  {
    // ZSTD_WINDOWSIZE_MAX is the int 1 << 31: compared as 2^64 - 2^31
    name: "a single segment above 2^64 - 2^31",
    input: concat(header(0xe0, null, Uint8Array.of(1, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff)), small),
    message: TOO_LARGE,
    flushed: 0,
  },
  {
    name: "a single segment of 1 TiB: too big for the machine",
    input: concat(header(0xe0, null, le(2 ** 40, 8)), small),
    message: DSTREAM,
    flushed: 0,
  },
  {
    name: "a huge window but a small complete frame: decoded in one pass",
    input: concat(header(0x80, windowByte(28), le(100, 4)), small),
    flushed: 100,
    consumed: 10 + 103,
  },
  {
    name: "a skippable frame of 60 bytes",
    input: concat(le(0x184d2a53, 4), le(60, 4), new Uint8Array(60), small),
    flushed: 0,
    consumed: 68,
  },
  {
    name: "a skippable frame of 61 bytes: more than the DStream sized for no window has",
    input: concat(le(0x184d2a53, 4), le(61, 4), new Uint8Array(61)),
    message: NOMEM,
    flushed: 0,
  },
  {
    name: "a skippable frame cut short",
    input: concat(le(0x184d2a50, 4), le(40, 4), new Uint8Array(30)),
    message: TRUNCATED,
    flushed: 0,
    consumed: 38,
  },
  {
    name: "an empty frame",
    input: concat(header(0x20, null, Uint8Array.of(0)), block(RAW, 0, true)),
    flushed: 0,
    consumed: 9,
  },
  {
    name: "RLE blocks",
    input: concat(
      header(0x00, W17),
      block(RLE, 70000, false, Uint8Array.of(0x30)),
      block(RLE, 70000, true, Uint8Array.of(0x31)),
    ),
    flushed: 140000,
    consumed: 6 + 8,
  },
  {
    name: "an RLE block above the block size",
    input: concat(header(0x00, windowByte(10)), block(RLE, 1025, true, Uint8Array.of(0))),
    message: CORRUPT,
    flushed: 0,
  },
  {
    name: "a reserved block type",
    input: concat(header(0x00, W17), block(RESERVED, 0, true)),
    message: CORRUPT,
    flushed: 0,
  },
  {
    name: "one pass: a block above the window is fine (no block size check)",
    input: concat(header(0x40, windowByte(10), le(2000 - 256, 2)), rawBlocks(PAYLOAD, [2000])),
    flushed: 2000,
    consumed: 8 + 2003,
  },
  {
    name: "one pass: a content size that does not match",
    input: concat(header(0x40, W17, le(2000 - 256, 2)), rawBlocks(PAYLOAD, [1999])),
    message: CORRUPT,
    flushed: 0,
  },
  {
    name: "streaming: a content size that does not match at the last block",
    input: concat(header(0x80, W17, le(300000, 4)), rawBlocks(PAYLOAD, [CHUNK, CHUNK, 1000])),
    message: CORRUPT,
    flushed: CHUNK,
  },
  {
    name: "a match before the start of the output",
    input: concat(
      header(0x00, W17),
      block(COMPRESSED, 7, true, Uint8Array.of(0x00, 0x01, 0x54, 0x00, 0x01, 0x00, 0x03)),
    ),
    message: CORRUPT,
    flushed: 0,
  },
];

Deno.test("zstd.decode() reads frame headers, skippable frames and blocks as lib/zstd", async (t) => {
  for (const c of headerCases) {
    await t.step(c.name, () => {
      const { result, output } = decode(c.input);
      const want: DecodeResult = c.message === undefined
        ? { consumed: c.consumed ?? 0, ok: true }
        : { consumed: c.consumed ?? 0, ok: false, message: c.message };
      assert.deepEqual(result, want);
      assert.equal(output.length, c.flushed);
    });
  }
});

Deno.test("zstd.decode() stops at once when flush() refuses a chunk", async (t) => {
  for (const name of ["l1.zst", "wlog10.zst", "small.zst"]) {
    await t.step(name, () => {
      const { result, sizes } = decode(vector(name), 0);
      assert.deepEqual(result, { consumed: 0, ok: false, message: "Failed to flush()" });
      assert.equal(sizes.length, 1);
    });
  }
  await t.step("the second chunk refused", () => {
    const { result, sizes } = decode(vector("l19.zst"), 1);
    assert.deepEqual(result, { consumed: 0, ok: false, message: "Failed to flush()" });
    assert.deepEqual(sizes, [CHUNK, CHUNK]);
  });
});

// ---- damaged input ------------------------------------------------------------------------

Deno.test("zstd.decode() of a member cut anywhere: a prefix of the output, then the message", async (t) => {
  for (const name of ["l3.zst", "wlog17.zst", "wlog10.zst", "small.zst"]) {
    await t.step(name, () => {
      const whole = vector(name).subarray(0, recorded[name]!.frame);
      const full = decode(whole).output;
      const points = new Set<number>();
      for (let n = 0; n < Math.min(whole.length, 64); n++) points.add(n);
      for (let n = 0; n < whole.length; n += 97) points.add(n);
      for (let n = whole.length - 64; n < whole.length; n++) points.add(n);
      for (const n of points) {
        if (n < 0) continue;
        const { result, sizes, output } = decode(whole.subarray(0, n));
        assert.equal(result.ok, false, `cut at ${n}`);
        if (result.message === TRUNCATED) {
          assert.equal(result.consumed, n, `cut at ${n}`);
        } else {
          assert.equal(result.message, INCOMPLETE, `cut at ${n}`);
          assert.equal(result.consumed, 0);
        }
        assert.deepEqual(output, full.subarray(0, output.length), `cut at ${n}`);
        if (output.length > 0) assertChunks(sizes);
      }
    });
  }
});

Deno.test("zstd.decode() of damaged members always finishes with a result", async (t) => {
  const seeds = [1, 2, 3];
  for (const name of ["l1.zst", "l19.zst", "wlog10.zst", "long.zst", "small.zst"]) {
    const original = vector(name).subarray(0, recorded[name]!.frame);
    for (const seed of seeds) {
      await t.step(`${name}, seed ${seed}`, () => {
        const rng = new Prng(seed * 7919 + original.length);
        for (let i = 0; i < 60; i++) {
          const input = original.slice();
          const flips = rng.range(1, 4);
          for (let f = 0; f < flips; f++) {
            const at = rng.range(4, input.length - 1);
            input[at] = rng.chance(0.5) ? input[at]! ^ (1 << rng.int(8)) : rng.int(256);
          }
          const tail = rng.chance(0.3) ? rng.range(1, input.length - 1) : input.length;
          let outcome: Outcome;
          try {
            outcome = decode(input.subarray(0, tail));
          } catch (e) {
            throw new Error(`seed ${seed}, case ${i}: ${e}`);
          }
          const { result, sizes } = outcome;
          assert.ok(result.consumed >= 0 && result.consumed <= tail, `seed ${seed}, case ${i}`);
          if (!result.ok) assert.equal(typeof result.message, "string", `seed ${seed}, case ${i}`);
          if (sizes.length > 0) assertChunks(sizes);
        }
      });
    }
  }
  await t.step("random bytes after a header", () => {
    const rng = new Prng(424242);
    for (let i = 0; i < 400; i++) {
      const body = Uint8Array.from({ length: rng.range(0, 3000) }, () => rng.int(256));
      const fhd = rng.int(256) & ~0x08;
      const input = concat(MAGIC, Uint8Array.of(fhd, windowByte(rng.range(10, 20))), body);
      const { result, sizes } = decode(input);
      assert.ok(result.consumed <= input.length);
      if (sizes.length > 0) assertChunks(sizes);
    }
  });
});
