// A large compressed member of a file image is decoded on a second thread
// while this one parses (src/decoders/_pipe.ts). The outcome must be the one
// of decoding on this thread, also when the parser stops in the middle of the
// member (the worker has decoded further by then) or the decoder fails.

import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import {
  type CpioEntry,
  manifest,
  Tmpfs,
  type TmpfsOptions,
  unpack,
  type UnpackOptions,
  writeCpio,
} from "../mod.ts";
import type { CpioError } from "../src/errors.ts";
import { Prng } from "./_util/prng.ts";

const T = 1700000000;

function noise(seed: number, n: number): Uint8Array {
  const p = new Prng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const v = p.u32();
    out[i] = v;
    out[i + 1] = v >>> 8;
    out[i + 2] = v >>> 16;
    out[i + 3] = v >>> 24;
  }
  return out;
}

/** 8 files of 1 MiB of noise: a gzip member of about 8 MiB. */
function entries(): CpioEntry[] {
  const list: CpioEntry[] = [{ name: "d", mode: 0o40755, mtime: T }];
  for (let i = 0; i < 8; i++) {
    list.push({ name: `d/f${i}`, mode: 0o100644, mtime: T, data: noise(i + 1, 1 << 20) });
  }
  return list;
}

function member(cpio: Uint8Array): Uint8Array {
  return new Uint8Array(gzipSync(cpio, { level: 1 }));
}

interface Outcome {
  manifest: string;
  error: Pick<CpioError, "code" | "kernelMessage" | "offset" | "member"> | null;
  segments: unknown;
}

async function outcome(path: string, threads: boolean, fs: TmpfsOptions): Promise<Outcome> {
  const t = new Tmpfs({ now: T, ...fs });
  const options: UnpackOptions = { threads, now: T };
  let error: Outcome["error"] = null;
  let segments: unknown = null;
  try {
    segments = (await unpack(t, path, options)).segments;
  } catch (e) {
    const c = e as CpioError;
    error = { code: c.code, kernelMessage: c.kernelMessage, offset: c.offset, member: c.member };
  }
  return { manifest: await manifest(t), error, segments };
}

const cpio = writeCpio(entries());
const good = member(cpio);
// "junk within": a byte that is neither '0' nor NUL where the 5th file's header starts
const junk = cpio.slice();
junk[new TextDecoder("latin1").decode(cpio).indexOf("070701", 4 << 20)] = 0x41;

const CASES: { name: string; image: Uint8Array; fs?: TmpfsOptions; error: string | null }[] = [
  { name: "a whole member", image: good, error: null },
  { name: "two members", image: new Uint8Array([...good, ...good]), error: null },
  { name: "junk within, half-way", image: member(junk), error: "junk within compressed archive" },
  { name: "the rootfs fills up", image: good, fs: { size: "3m" }, error: "write error" },
  { name: "a cut member", image: good.subarray(0, good.length - 100_000), error: "read error" },
];

Deno.test("a member decoded on a second thread gives the outcome of decoding on this one", async (t) => {
  assert.ok(good.length > 6 << 20, `${good.length} bytes: large enough to be piped`);
  for (const c of CASES) {
    await t.step(c.name, async () => {
      const path = await Deno.makeTempFile({ prefix: "ramroot-pipe-" });
      try {
        await Deno.writeFile(path, c.image);
        const here = await outcome(path, false, c.fs ?? {});
        const piped = await outcome(path, true, c.fs ?? {});
        assert.equal(here.error?.kernelMessage ?? null, c.error);
        assert.deepEqual(piped, here);
      } finally {
        await Deno.remove(path);
      }
    });
  }
});
