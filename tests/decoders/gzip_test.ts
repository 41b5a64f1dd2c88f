// The gzip decoder against lib/decompress_inflate.c's rules (spec/cpio.md
// §7.3): the header it accepts, FNAME skipped, 32 KiB flushes, my_inptr = end
// of the deflate stream + 8, "read error" for a cut stream, "uncompression
// error" for a corrupt one, and the same answer from bytes and from a reader.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { gzip, GZIP_FLUSH_SIZE } from "../../src/decoders/gzip.ts";
import type { DecodeResult, ImageReader } from "../../src/decoders/types.ts";
import { Tmpfs, unpack, writeCpio } from "../../mod.ts";
import { Prng } from "../_util/prng.ts";

interface Run {
  result: DecodeResult;
  sizes: number[];
  sha256: string;
  output: Uint8Array;
}

function collect(decode: (flush: (c: Uint8Array) => boolean) => DecodeResult, stopAfter = -1): Run {
  const sizes: number[] = [];
  const parts: Uint8Array[] = [];
  const result = decode((c) => {
    sizes.push(c.length);
    parts.push(c.slice());
    return sizes.length !== stopAfter;
  });
  const output = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
  let o = 0;
  for (const p of parts) {
    output.set(p, o);
    o += p.length;
  }
  return { result, sizes, sha256: createHash("sha256").update(output).digest("hex"), output };
}

const fromBytes = (b: Uint8Array, stopAfter = -1) => collect((f) => gzip.decode(b, f), stopAfter);

function reader(b: Uint8Array): ImageReader {
  return {
    length: b.length,
    read(pos, into) {
      const n = Math.max(0, Math.min(into.length, b.length - pos));
      into.set(b.subarray(pos, pos + n));
      return n;
    },
  };
}

function noise(n: number, seed: number): Uint8Array {
  const p = new Prng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = p.u32() & 0x3f; // compressible, but not much
  return out;
}

const data = noise(3 << 20, 11);
const member = new Uint8Array(gzipSync(data, { level: 6 }));

Deno.test("gzip: 32 KiB flushes, the data, and my_inptr = the member with trailing bytes", () => {
  const garbage = new TextEncoder().encode("garbage after the member");
  const r = fromBytes(new Uint8Array([...member, ...garbage]));
  assert.deepEqual(r.result, { consumed: member.length, ok: true });
  assert.deepEqual(r.output, data);
  assert.ok(r.sizes.slice(0, -1).every((n) => n === GZIP_FLUSH_SIZE));
  assert.equal(r.sizes.at(-1), data.length % GZIP_FLUSH_SIZE || GZIP_FLUSH_SIZE);
});

Deno.test("gzip: a reader gives what bytes give, across its 1 MiB windows", () => {
  assert.ok(member.length > 2 << 20, "the member spans several windows");
  const image = new Uint8Array([...member, 0, 0, 0, 0]);
  const a = fromBytes(image);
  const b = collect((f) => gzip.decodeReader!(reader(image), f));
  assert.deepEqual(b.result, a.result);
  assert.deepEqual(b.sizes, a.sizes);
  assert.equal(b.sha256, a.sha256);
});

Deno.test("gzip: the header rules of __gunzip()", () => {
  const notGzip = { consumed: 0, ok: false, message: "Not a gzip file" };
  assert.deepEqual(fromBytes(member.subarray(0, 9)).result, notGzip);
  assert.deepEqual(fromBytes(Uint8Array.of(0x1f, 0x9e, 8, 0, 0, 0, 0, 0, 0, 3, 0)).result, notGzip);
  const method7 = member.slice();
  method7[2] = 7;
  assert.deepEqual(fromBytes(method7).result, notGzip);
  // FNAME: the name is skipped; one that runs off the image is "header error"
  const named = new Uint8Array(gzipSync(data.subarray(0, 1000)));
  named[3]! |= 0x08;
  const withName = new Uint8Array([
    ...named.subarray(0, 10),
    ...new TextEncoder().encode("n\0"),
    ...named.subarray(10),
  ]);
  const r = fromBytes(withName);
  assert.deepEqual(r.result, { consumed: withName.length, ok: true });
  assert.deepEqual(r.output, data.subarray(0, 1000));
  assert.deepEqual(fromBytes(withName.subarray(0, 11)).result, {
    consumed: 0,
    ok: false,
    message: "header error",
  });
});

Deno.test("gzip: a cut stream is read error after what was decoded; corrupt data uncompression error", () => {
  const cut = fromBytes(member.subarray(0, member.length >> 1));
  assert.equal(cut.result.message, "read error");
  assert.equal(cut.result.ok, false);
  assert.ok(cut.output.length > 0);
  assert.deepEqual(cut.output, data.subarray(0, cut.output.length));
  // a final block of the reserved type 3
  const bad = fromBytes(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x07, 0, 0, 0));
  assert.deepEqual(bad.sizes, []);
  assert.equal(bad.result.message, "uncompression error");
});

Deno.test("gzip: a flush that returns false stops the decoder at once", () => {
  const r = fromBytes(member, 2);
  assert.equal(r.sizes.length, 2);
  assert.equal(r.result.ok, false);
});

Deno.test("gzip: a member without its 8-byte trailer at the end of the image", async () => {
  // my_inptr points past the image; the kernel then reads past its buffer
  // (an oops on 6.1 and 6.12 when its trailer is cut): ramroot ends the image there
  const cpio = writeCpio([{ name: "f", mode: 0o100644, data: new TextEncoder().encode("x\n") }]);
  const whole = new Uint8Array(gzipSync(cpio));
  const short = whole.subarray(0, whole.length - 5);
  assert.equal(fromBytes(short).result.consumed, whole.length);
  const r = await unpack(new Tmpfs(), short);
  assert.deepEqual(r.segments.map((s) => [s.compression, s.length]), [["gzip", short.length]]);
  assert.equal(r.counts.files, 1);
});
