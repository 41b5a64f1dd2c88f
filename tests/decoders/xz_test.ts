// The xz decoder against lib/decompress_unxz.c + lib/xz as unpack_to_rootfs()
// runs them: output identical to `xz -dc` (recorded in
// tests/vectors/xz/expect.tsv by make.sh), flushed in 4096-byte buffers,
// my_inptr at the end of the stream whatever follows it, the kernel's
// messages for what it refuses, and no hang, trap or throw on cut or
// corrupted input. Facts checked on Debian's 6.12 kernel with the kernel
// oracle are marked "(observed)".

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createXzDecoder, xz, XZ_FLUSH_SIZE } from "../../src/decoders/xz.ts";
import type { DecodeResult, MemberDecoder } from "../../src/decoders/types.ts";
import { Prng } from "../_util/prng.ts";

const DIR = new URL("../vectors/xz/", import.meta.url);
const CORRUPT = "XZ-compressed data is corrupt";
import { decoderFor } from "../../src/decoders/mod.ts";
import { getProfile } from "../../src/profile.ts";

const OPTIONS = "Input was encoded with settings that are not supported by this XZ decoder";
const FORMAT = "Input is not in the XZ format (wrong magic bytes)";
const MEMORY = "XZ decompressor ran out of memory";

interface Expected {
  bytes: number;
  sha256: string;
}

const expected = new Map<string, Expected>();
for (const line of Deno.readTextFileSync(new URL("expect.tsv", DIR)).trim().split("\n").slice(1)) {
  const [name, bytes, sha256] = line.split("\t") as [string, string, string];
  expected.set(name, { bytes: Number(bytes), sha256 });
}

function vector(name: string): Uint8Array {
  return Deno.readFileSync(new URL(`${name}.xz`, DIR));
}

interface Run {
  result: DecodeResult;
  sizes: number[];
  output: Uint8Array;
}

/** Decodes `input`, keeping every chunk; `stopAt` makes flush number n fail. */
function run(input: Uint8Array, decoder: MemberDecoder = xz, stopAt = Infinity): Run {
  const sizes: number[] = [];
  const parts: Uint8Array[] = [];
  const result = decoder.decode(input, (chunk) => {
    sizes.push(chunk.length);
    if (sizes.length >= stopAt) return false;
    parts.push(chunk.slice());
    return true;
  });
  const output = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    output.set(p, at);
    at += p.length;
  }
  return { result, sizes, output };
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** unxz() flushes only full buffers, and one partly filled one at the end. */
function assertChunking(sizes: number[]): void {
  for (let i = 0; i < sizes.length - 1; i++) assert.equal(sizes[i], XZ_FLUSH_SIZE, `chunk ${i}`);
  if (sizes.length > 0) {
    const last = sizes[sizes.length - 1]!;
    assert.ok(last > 0 && last <= XZ_FLUSH_SIZE, `last chunk ${last}`);
  }
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

const GOOD = [
  "text-crc32",
  "text-none",
  "small-crc32",
  "empty",
  "random-crc32",
  "blocks-crc32",
  "dict64m-crc32",
  "lclppb-crc32",
  "lc4-crc32",
  "x86-crc32",
  "x86-none",
  "arm64-crc32",
];

Deno.test("xz.decode() gives xz -dc's output, in 4096-byte buffers, and stops at the stream end", async (t) => {
  for (const name of GOOD) {
    await t.step(name, () => {
      const input = vector(name);
      const want = expected.get(name)!;
      const { result, sizes, output } = run(input);
      assert.deepEqual(result, { consumed: input.length, ok: true });
      assert.equal(output.length, want.bytes);
      assert.equal(sha256(output), want.sha256);
      assertChunking(sizes);
      assert.equal(sizes.length, Math.ceil(want.bytes / XZ_FLUSH_SIZE));
    });
  }
});

Deno.test("xz.decode() refuses what the kernel's lib/xz is not built for", async (t) => {
  const cases: [string, number][] = [
    // CRC64 and SHA-256 checks: no XZ_USE_CRC64 / XZ_DEC_ANY_CHECK in the kernel
    // (observed), refused after the 12-byte stream header
    ["text-crc64", 12],
    ["text-sha256", 12],
    // BCJ filters an x86-64 kernel lacks, and the delta filter: after the block header
    ["powerpc-crc32", 24],
    ["delta-crc32", 24],
  ];
  for (const [name, consumed] of cases) {
    await t.step(name, () => {
      const { result, sizes } = run(vector(name));
      assert.deepEqual(result, { consumed, ok: false, message: OPTIONS });
      assert.deepEqual(sizes, []);
    });
  }
  await t.step("ARM64 BCJ with only the x86 filter (Debian 6.1's CONFIG_XZ_DEC_*)", () => {
    const x86Only = createXzDecoder({ bcj: ["x86"] });
    assert.equal(run(vector("arm64-crc32"), x86Only).result.message, OPTIONS);
    assert.equal(run(vector("x86-crc32"), x86Only).result.ok, true);
  });
  await t.step(
    "the profiles' filters: ARM64 BCJ refused by linux-6.1, decoded by linux-6.12",
    () => {
      const of61 = decoderFor(getProfile("linux-6.1"), "xz")!;
      const of612 = decoderFor(getProfile("linux-6.12"), "xz")!;
      assert.equal(run(vector("arm64-crc32"), of61).result.message, OPTIONS);
      assert.equal(run(vector("arm64-crc32"), of612).result.ok, true);
    },
  );
});

Deno.test("xz.decode() reports my_inptr at the end of the stream whatever follows", async (t) => {
  const input = vector("text-crc32");
  const want = expected.get("text-crc32")!;
  const second = vector("small-crc32");
  const prng = new Prng(7);
  const garbage = Uint8Array.from({ length: 300 }, () => prng.int(256));
  const tails: [string, Uint8Array][] = [
    // stream padding is not consumed: unxz() calls xz_dec_run(), not
    // xz_dec_catrun(); the unpacker skips the zeros itself (observed)
    ["4 zero bytes", new Uint8Array(4)],
    ["7 zero bytes", new Uint8Array(7)],
    ["garbage", garbage],
    // a second stream is the next member (observed)
    ["a second xz stream", second],
    ["a gzip member", Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0)],
  ];
  for (const [label, tail] of tails) {
    await t.step(label, () => {
      const { result, output } = run(concat(input, tail));
      assert.deepEqual(result, { consumed: input.length, ok: true });
      assert.equal(sha256(output), want.sha256);
    });
  }
  await t.step("a later member of the same image, decoded in place", () => {
    const image = concat(input, new Uint8Array(4), second, garbage);
    const first = run(image).result;
    const next = run(image.subarray(first.consumed + 4)).result;
    assert.deepEqual(next, { consumed: second.length, ok: true });
    xz.release?.();
  });
});

Deno.test("xz.decode() on input cut short: 'XZ-compressed data is corrupt', all of it consumed", async (t) => {
  for (const name of ["text-crc32", "x86-crc32", "blocks-crc32", "random-crc32", "empty"]) {
    await t.step(name, () => {
      const input = vector(name);
      const full = run(input).output;
      const step = Math.max(1, Math.floor(input.length / 150));
      for (let cut = 0; cut < input.length; cut += cut < 64 ? 1 : step) {
        const { result, sizes, output } = run(input.subarray(0, cut));
        assert.deepEqual(result, { consumed: cut, ok: false, message: CORRUPT }, `cut ${cut}`);
        assertChunking(sizes);
        // what came out before the end is the start of the real output
        assert.deepEqual(output, full.subarray(0, output.length), `cut ${cut}`);
      }
    });
  }
});

Deno.test("xz.decode() ends every corrupted input with a result and a kernel message", () => {
  const messages = new Set([CORRUPT, OPTIONS, FORMAT, MEMORY, undefined]);
  const names = ["text-crc32", "text-none", "x86-crc32", "blocks-crc32", "small-crc32"];
  for (let seed = 1; seed <= 400; seed++) {
    const prng = new Prng(seed);
    const name = names[seed % names.length]!;
    const input = vector(name).slice();
    const flips = prng.range(1, 4);
    for (let i = 0; i < flips; i++) {
      const at = prng.int(input.length);
      input[at] = input[at]! ^ (1 << prng.int(8));
    }
    const { result, sizes } = run(input);
    assert.ok(messages.has(result.message), `seed ${seed}: ${result.message}`);
    assert.ok(result.consumed >= 0 && result.consumed <= input.length, `seed ${seed}`);
    assertChunking(sizes);
    if (result.ok) assert.equal(result.message, undefined);
  }
});

Deno.test("xz.decode() on random bytes after the magic never throws", () => {
  for (let seed = 1; seed <= 300; seed++) {
    const prng = new Prng(seed * 7919);
    const input = Uint8Array.from({ length: prng.range(0, 400) }, () => prng.int(256));
    input.set([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00].slice(0, input.length));
    const { result } = run(input);
    assert.equal(result.ok, false, `seed ${seed}`);
  }
});

Deno.test("xz.decode() stops at once when flush() fails", () => {
  const input = vector("text-crc32");
  const { result, sizes } = run(input, xz, 3);
  // unxz() turns the short flush into XZ_BUF_ERROR
  assert.deepEqual(sizes, [4096, 4096, 4096]);
  assert.equal(result.ok, false);
  assert.equal(result.message, CORRUPT);
});

Deno.test("xz.decode() refuses a file that is not xz", () => {
  const input = Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x01, ...new Array(30).fill(0)]);
  assert.deepEqual(run(input).result, { consumed: 12, ok: false, message: FORMAT });
});

Deno.test("xz.decode() decodes 64 MiB at speed", () => {
  const input = vector("large-crc32");
  const want = expected.get("large-crc32")!;
  const hash = createHash("sha256");
  let n = 0;
  let full = true;
  const t0 = performance.now();
  const result = xz.decode(input, (chunk) => {
    hash.update(chunk);
    if (chunk.length !== XZ_FLUSH_SIZE) full = false;
    n++;
    return true;
  });
  const ms = performance.now() - t0;
  assert.deepEqual(result, { consumed: input.length, ok: true });
  assert.equal(hash.digest("hex"), want.sha256);
  assert.equal(n, want.bytes / XZ_FLUSH_SIZE);
  assert.ok(full);
  console.log(`xz: 64 MiB in ${ms.toFixed(0)} ms (${(want.bytes / 1e3 / ms).toFixed(1)} MB/s)`);
});

// ---- BCJ filters: xz 5.4 cannot make RISC-V members, so the x86 vector's
// block is re-labelled (no filter, ARM64, RISC-V) and the output compared
// with the filter applied here to the unfiltered output.

function crc32(data: Uint8Array): number {
  let c = ~0;
  for (const v of data) {
    c ^= v;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** x86-none.xz with its first filter replaced (`undefined`: only LZMA2). */
function relabel(filter: number | undefined): Uint8Array {
  const input = vector("x86-none").slice();
  const size = (input[12]! + 1) * 4;
  const header = input.subarray(12, 12 + size);
  assert.equal(header[1], 0x01); // two filters, no sizes
  assert.equal(header[2], 0x04); // x86
  if (filter === undefined) {
    const lzma2 = header.slice(4, 7);
    header.fill(0, 1, size - 4);
    header.set(lzma2, 2);
  } else {
    header[2] = filter;
  }
  new DataView(input.buffer).setUint32(12 + size - 4, crc32(header.subarray(0, size - 4)), true);
  return input;
}

function arm64(buf: Uint8Array): Uint8Array {
  const out = buf.slice();
  const view = new DataView(out.buffer);
  for (let i = 0; i + 4 <= out.length; i += 4) {
    let instr = view.getUint32(i, true);
    if (instr >>> 26 === 0x25) {
      const addr = (instr - (i >>> 2)) >>> 0;
      view.setUint32(i, (0x94000000 | (addr & 0x03ffffff)) >>> 0, true);
    } else if (((instr & 0x9f000000) >>> 0) === 0x90000000) {
      let addr = ((instr >>> 29) & 3) | ((instr >>> 3) & 0x1ffffc);
      if (((addr + 0x020000) & 0x1c0000) !== 0) continue;
      addr = (addr - (i >>> 12)) >>> 0;
      instr = (instr & 0x9000001f) >>> 0;
      instr |= (addr & 3) << 29;
      instr |= (addr & 0x03fffc) << 3;
      instr |= (0 - (addr & 0x020000)) & 0xe00000;
      view.setUint32(i, instr >>> 0, true);
    }
  }
  return out;
}

function riscv(buf: Uint8Array): Uint8Array {
  const out = buf.slice();
  const view = new DataView(out.buffer);
  for (let i = 0; i + 8 <= out.length; i += 2) {
    let instr = out[i]!;
    if (instr === 0xef) {
      const b1 = out[i + 1]!;
      if ((b1 & 0x0d) !== 0) continue;
      const b2 = out[i + 2]!;
      const b3 = out[i + 3]!;
      const addr = ((((b1 & 0xf0) << 13) | (b2 << 9) | (b3 << 1)) - i) >>> 0;
      out[i + 1] = (b1 & 0x0f) | ((addr >>> 8) & 0xf0);
      out[i + 2] = ((addr >>> 16) & 0x0f) | ((addr >>> 7) & 0x10) | ((addr << 4) & 0xe0);
      out[i + 3] = ((addr >>> 4) & 0x7f) | ((addr >>> 13) & 0x80);
      i += 2;
    } else if ((instr & 0x7f) === 0x17) {
      instr = view.getUint32(i, true);
      let instr2: number;
      if ((instr & 0xe80) !== 0) {
        instr2 = view.getUint32(i + 4, true);
        if ((((instr << 8) ^ (instr2 - 3)) & 0xf8003) !== 0) {
          i += 4;
          continue;
        }
        const addr = ((instr & 0xfffff000) + (instr2 >>> 20)) >>> 0;
        instr = (0x17 | (2 << 7) | (instr2 << 12)) >>> 0;
        instr2 = addr;
      } else {
        const rs1 = instr >>> 27;
        if (((instr - 0x3117) << 18) >>> 0 >= (rs1 & 0x1d)) {
          i += 2;
          continue;
        }
        const addr = (view.getUint32(i + 4, false) - i) >>> 0;
        instr2 = ((instr >>> 12) | (addr << 20)) >>> 0;
        instr = (0x17 | (rs1 << 7) | ((addr + 0x800) & 0xfffff000)) >>> 0;
      }
      view.setUint32(i, instr, true);
      view.setUint32(i + 4, instr2, true);
      i += 6;
    }
  }
  return out;
}

Deno.test("xz.decode() applies the ARM64 and RISC-V filters as lib/xz/xz_dec_bcj.c does", async (t) => {
  const plain = run(relabel(undefined));
  assert.equal(plain.result.ok, true);
  await t.step("x86 label: xz -dc's output", () => {
    assert.equal(sha256(run(relabel(0x04)).output), expected.get("x86-none")!.sha256);
  });
  await t.step("ARM64 (10)", () => {
    const { result, output, sizes } = run(relabel(10));
    assert.equal(result.ok, true);
    assertChunking(sizes);
    assert.deepEqual(output, arm64(plain.output));
  });
  await t.step("RISC-V (11)", () => {
    const { result, output, sizes } = run(relabel(11));
    assert.equal(result.ok, true);
    assertChunking(sizes);
    assert.deepEqual(output, riscv(plain.output));
    assert.notDeepEqual(output, plain.output);
  });
  await t.step("RISC-V on Debian 6.1 (x86 only)", () => {
    const x86Only = createXzDecoder({ bcj: ["x86"] });
    assert.equal(run(relabel(11), x86Only).result.message, OPTIONS);
  });
});

/** small-crc32.xz with the LZMA2 dictionary property of its block set. */
function withDictionary(props: number): Uint8Array {
  const input = vector("small-crc32").slice();
  const size = (input[12]! + 1) * 4;
  const header = input.subarray(12, 12 + size);
  assert.equal(header[1], 0x00); // one filter, no sizes
  assert.deepEqual([...header.subarray(2, 4)], [0x21, 0x01]);
  header[4] = props;
  new DataView(input.buffer).setUint32(12 + size - 4, crc32(header.subarray(0, size - 4)), true);
  return input;
}

Deno.test("xz.decode() allocates the declared dictionary as vmalloc() would", async (t) => {
  const want = expected.get("small-crc32")!;
  await t.step("512 MiB on a 1 GiB machine: fine (observed)", () => {
    const { result, output } = run(withDictionary(34));
    assert.equal(result.ok, true);
    assert.equal(sha256(output), want.sha256);
  });
  await t.step("1.5 GiB on a 1 GiB machine: 'ran out of memory' (observed)", () => {
    assert.deepEqual(run(withDictionary(37)).result, { consumed: 24, ok: false, message: MEMORY });
  });
  await t.step("3 GiB (property 39), the largest; 40 is not a dictionary size", () => {
    assert.equal(run(withDictionary(39)).result.message, MEMORY);
    assert.equal(run(withDictionary(40)).result.message, OPTIONS);
  });
  await t.step("8 MiB on a machine of 1000 pages", () => {
    const tiny = createXzDecoder({ totalRamPages: 1000 });
    assert.equal(run(withDictionary(22), tiny).result.message, MEMORY);
    assert.equal(run(withDictionary(12), tiny).result.ok, true);
  });
});
