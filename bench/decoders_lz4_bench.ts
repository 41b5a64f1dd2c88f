// The lz4 and lzo decoders on 64-68 MiB of output, built from the committed
// test vectors (tests/vectors/lz4/ and tests/vectors/lzo/): chunks and blocks
// are independent, so a member repeating one of them is a valid member.
//
//   deno bench -A bench/decoders_lz4_bench.ts
//   RAMROOT_BENCH_NATIVE=1 deno bench -A bench/decoders_lz4_bench.ts
//
// Every iteration releases the decoder's copy of the image first, so the copy
// into WebAssembly memory is timed too, as it is once per image in a real
// unpack. With RAMROOT_BENCH_NATIVE=1 each group also runs the native CLI
// (`lz4 -dc`, `lzop -dc`, output to /dev/null) on the same bytes, process
// start included; the CLI must be installed.

import { lz4 } from "../src/decoders/lz4.ts";
import { lzo } from "../src/decoders/lzo.ts";
import type { MemberDecoder } from "../src/decoders/types.ts";

const NATIVE = Deno.env.get("RAMROOT_BENCH_NATIVE") === "1";
const RUNS = { n: 20, warmup: 3 } as const;

function vector(path: string): Uint8Array {
  return Deno.readFileSync(new URL(`../tests/vectors/${path}`, import.meta.url));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function repeat(head: Uint8Array, unit: Uint8Array, times: number, tail: Uint8Array): Uint8Array {
  return concat([head, ...Array.from({ length: times }, () => unit), tail]);
}

// the header length of an lzop member, as parse_header() reads it
function lzopHeader(b: Uint8Array): number {
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  const version = view.getUint16(9);
  let q = version >= 0x0940 ? 17 : 16;
  q += (view.getUint32(q) & 0x800) !== 0 ? 8 : 4;
  q += version >= 0x0940 ? 12 : 8;
  return q + 1 + b[q]! + 4;
}

function decodeAll(decoder: MemberDecoder, input: Uint8Array): number {
  decoder.release?.();
  let n = 0;
  const result = decoder.decode(input, (chunk) => {
    n += chunk.length;
    return true;
  });
  if (!result.ok) throw new Error(`decode failed: ${result.message ?? "no message"}`);
  return n;
}

async function native(command: string, args: string[], file: string): Promise<void> {
  const { success } = await new Deno.Command(command, {
    args: [...args, file],
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!success) throw new Error(`${command} failed`);
}

interface Case {
  group: string;
  decoder: MemberDecoder;
  input: Uint8Array;
  output: number;
  cli: [string, string[]];
}

const MAGIC = Uint8Array.of(0x02, 0x21, 0x4c, 0x18);
const mixedLz4 = vector("lz4/mixed.lz4");
const multiLz4 = vector("lz4/multi.lz4");
const mixedLzo = vector("lzo/mixed.lzo");
const mixedLzoHead = lzopHeader(mixedLzo);
const multiLzo = vector("lzo/multi.lzo");
const multiLzoHead = lzopHeader(multiLzo);
const END = new Uint8Array(4);

const cases: Case[] = [
  {
    group: "lz4: 64 MiB of text, tables and noise (128 KiB chunks)",
    decoder: lz4,
    input: repeat(MAGIC, mixedLz4.subarray(4), 512, new Uint8Array(0)),
    output: 512 * 128 * 1024,
    cli: ["lz4", ["-q", "-dc"]],
  },
  {
    group: "lz4: 68 MiB of repeated text (8 MiB chunks)",
    decoder: lz4,
    input: repeat(MAGIC, multiLz4.subarray(4), 4, new Uint8Array(0)),
    output: 4 * 17 * 1024 * 1024,
    cli: ["lz4", ["-q", "-dc"]],
  },
  {
    group: "lzo: 64 MiB of text, tables and noise (128 KiB blocks)",
    decoder: lzo,
    input: repeat(
      mixedLzo.subarray(0, mixedLzoHead),
      mixedLzo.subarray(mixedLzoHead, mixedLzo.length - 4),
      512,
      END,
    ),
    output: 512 * 128 * 1024,
    cli: ["lzop", ["-dc"]],
  },
  {
    group: "lzo: 64 MiB of repeated text (256 KiB blocks, some stored)",
    decoder: lzo,
    input: repeat(
      multiLzo.subarray(0, multiLzoHead),
      multiLzo.subarray(multiLzoHead, multiLzo.length - 4),
      128,
      END,
    ),
    output: 128 * (512 + 2) * 1024,
    cli: ["lzop", ["-dc"]],
  },
];

for (const c of cases) {
  if (decodeAll(c.decoder, c.input) !== c.output) throw new Error(`${c.group}: wrong length`);
  const file = NATIVE ? await Deno.makeTempFile() : "";
  if (NATIVE) {
    await Deno.writeFile(file, c.input);
    globalThis.addEventListener("unload", () => Deno.removeSync(file));
  }
  Deno.bench({
    group: c.group,
    name: "ramroot (WebAssembly)",
    baseline: true,
    ...RUNS,
    fn() {
      decodeAll(c.decoder, c.input);
    },
  });
  if (NATIVE) {
    Deno.bench({
      group: c.group,
      name: `${c.cli[0]} ${c.cli[1].join(" ")} (native CLI)`,
      ...RUNS,
      async fn() {
        await native(c.cli[0], c.cli[1], file);
      },
    });
  }
}
