// The bzip2 decoder on 64 MiB of output: text, little-endian tables and some
// noise, which bzip2 -9 makes about 2.5 times smaller (as it does an initramfs
// of binaries and modules), and the committed 64 MiB test vector of
// short-period text (tests/vectors/bzip2/big.bz2).
//
//   deno bench -A bench/decoders_bzip2_bench.ts
//   RAMROOT_BENCH_NATIVE=1 deno bench -A bench/decoders_bzip2_bench.ts
//
// The first group needs the bzip2 tool once, to compress the generated data;
// the result is kept in bench/results/ (git-ignored). Without the tool only
// the vector is timed. Every iteration releases the decoder's copy of the
// image first, so the copy into WebAssembly memory is timed too, as it is
// once per image in a real unpack. With RAMROOT_BENCH_NATIVE=1 each group
// also runs `bzip2 -dc` (output to /dev/null) on the same bytes, process
// start included.

import { bzip2 } from "../src/decoders/bzip2.ts";
import { prng } from "./_corpus.ts";

const NATIVE = Deno.env.get("RAMROOT_BENCH_NATIVE") === "1";
const RUNS = { n: 10, warmup: 2 } as const;
const SIZE = 64 << 20;
const CACHE = new URL("./results/bzip2-corpus-v1.bz2", import.meta.url);

/** 64 MiB of shell-like text, tables of 32-bit words and short random runs. */
function corpus(): Uint8Array {
  const rand = prng(20261124);
  const words: string[] = [];
  for (let i = 0; i < 400; i++) words.push(`w${i}`.repeat(1 + (i % 3)));
  words.push("if", "then", "fi", "echo", "/usr/lib", "modprobe", "mount", "exec", "$1", "--");
  const enc = new TextEncoder();
  const out = new Uint8Array(SIZE);
  const view = new DataView(out.buffer);
  let n = 0;
  while (n < SIZE) {
    const kind = rand() / 2 ** 32;
    if (kind < 0.8) {
      const count = 2 + (rand() % 11);
      const line: string[] = [];
      for (let i = 0; i < count; i++) {
        // Pareto-like: a few words are very common
        const r = Math.floor(1 / (1 - (rand() / 2 ** 32) * 0.999) ** (1 / 1.2)) - 1;
        line.push(words[Math.min(r, words.length - 1)]!);
      }
      const bytes = enc.encode(line.join(" ") + "\n");
      out.set(bytes.subarray(0, SIZE - n), n);
      n += bytes.length;
    } else if (kind < 0.98) {
      const base = rand() % (1 << 20);
      const count = 4 + (rand() % 37);
      for (let i = 0; i < count && n + 4 <= SIZE; i++, n += 4) {
        view.setUint32(n, base + 16 * i, true);
      }
    } else {
      const count = 16 + (rand() % 185);
      for (let i = 0; i < count && n < SIZE; i++) out[n++] = rand() & 0xff;
    }
  }
  return out;
}

async function compressed(): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(CACHE);
  } catch {
    // made below
  }
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("bzip2", { args: ["-9", "-c"], stdin: "piped", stdout: "piped" })
      .spawn();
  } catch {
    return null;
  }
  const writer = child.stdin.getWriter();
  const writing = writer.write(corpus()).then(() => writer.close());
  const { success, stdout } = await child.output();
  await writing;
  if (!success) return null;
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await Deno.writeFile(CACHE, stdout);
  return stdout;
}

function decodeAll(input: Uint8Array): number {
  bzip2.release?.();
  let n = 0;
  const result = bzip2.decode(input, (chunk) => {
    n += chunk.length;
    return true;
  });
  if (!result.ok) throw new Error(`decode failed: ${result.message ?? "no message"}`);
  return n;
}

async function native(file: string): Promise<void> {
  const { success } = await new Deno.Command("bzip2", {
    args: ["-dc", file],
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!success) throw new Error("bzip2 -dc failed");
}

const cases: { group: string; input: Uint8Array }[] = [];
const made = await compressed();
if (made !== null) {
  cases.push({ group: "bzip2 -9: 64 MiB of text, tables and noise", input: made });
}
cases.push({
  group: "bzip2 -9: 64 MiB of short-period text (test vector)",
  input: Deno.readFileSync(new URL("../tests/vectors/bzip2/big.bz2", import.meta.url)),
});

for (const c of cases) {
  if (decodeAll(c.input) !== SIZE) throw new Error(`${c.group}: wrong length`);
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
      decodeAll(c.input);
    },
  });
  if (NATIVE) {
    Deno.bench({
      group: c.group,
      name: "bzip2 -dc (native CLI)",
      ...RUNS,
      async fn() {
        await native(file);
      },
    });
  }
}
