// The zstd decoder on real and generated images:
//
// - this machine's own mkinitramfs image, when /boot has one compressed with
//   zstd (Debian's default: `zstd -q -1 -T0`, about 126 MiB of output);
// - 64 MiB of an initramfs-like mix (shell-like text, little-endian tables,
//   some noise) at `zstd -1 -T0` (mkinitramfs) and `zstd -15 -T0` (dracut);
// - the committed 64 MiB test vector (tests/vectors/zstd/big.zst, -19 --long).
//
//   deno bench -A bench/decoders_zstd_bench.ts
//   RAMROOT_BENCH_NATIVE=1 deno bench -A bench/decoders_zstd_bench.ts
//
// The generated groups need the zstd tool once; its output is kept in
// bench/results/ (git-ignored). Every iteration releases the decoder's copy of
// the image first, so the copy into WebAssembly memory is timed too, as it is
// once per image in a real unpack. With RAMROOT_BENCH_NATIVE=1 each group also
// runs `zstd -dc` (output to /dev/null) on the same bytes, process start
// included.

import { zstd } from "../src/decoders/zstd.ts";
import { prng } from "./_corpus.ts";

const NATIVE = Deno.env.get("RAMROOT_BENCH_NATIVE") === "1";
const RUNS = { n: 10, warmup: 2 } as const;
const SIZE = 64 << 20;
const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** 64 MiB of shell-like text, tables of 32-bit words and short random runs. */
function corpus(): Uint8Array {
  const rand = prng(20261125);
  const words: string[] = [];
  for (let i = 0; i < 400; i++) words.push(`w${i}`.repeat(1 + (i % 3)));
  words.push("if", "then", "fi", "echo", "/usr/lib", "modprobe", "mount", "exec", "$1", "--");
  const enc = new TextEncoder();
  const out = new Uint8Array(SIZE);
  const view = new DataView(out.buffer);
  let n = 0;
  while (n < SIZE) {
    const kind = rand() / 2 ** 32;
    if (kind < 0.6) {
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
    } else if (kind < 0.96) {
      const base = rand() % (1 << 20);
      const count = 4 + (rand() % 37);
      for (let i = 0; i < count && n + 12 <= SIZE; i++, n += 12) {
        view.setUint32(n, base + 16 * i, true);
        view.setUint32(n + 4, rand() % 16, true);
        view.setUint32(n + 8, i, true);
      }
    } else {
      const count = 16 + (rand() % 185);
      for (let i = 0; i < count && n < SIZE; i++) out[n++] = rand() & 0xff;
    }
  }
  return out;
}

/** The corpus compressed with `zstd args`, made once and kept in bench/results/. */
async function compressed(level: string): Promise<Uint8Array | null> {
  const cache = new URL(`./results/zstd-corpus-v1${level}.zst`, import.meta.url);
  try {
    return await Deno.readFile(cache);
  } catch {
    // made below
  }
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("zstd", {
      args: ["-q", level, "-T0", "-c"],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
  } catch {
    return null;
  }
  const writer = child.stdin.getWriter();
  const writing = writer.write(corpus()).then(() => writer.close());
  const { success, stdout } = await child.output();
  await writing;
  if (!success) return null;
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await Deno.writeFile(cache, stdout);
  return stdout;
}

/** A zstd-compressed initramfs in /boot, if there is one. */
function bootImage(): { name: string; input: Uint8Array } | null {
  let names: string[];
  try {
    names = [...Deno.readDirSync("/boot")].map((e) => e.name).filter((n) => n.startsWith("initrd"))
      .sort();
  } catch {
    return null;
  }
  for (const name of names) {
    try {
      const input = Deno.readFileSync(`/boot/${name}`);
      if (MAGIC.every((b, i) => input[i] === b)) return { name, input };
    } catch {
      // not readable
    }
  }
  return null;
}

function decodeAll(input: Uint8Array): number {
  zstd.release?.();
  let n = 0;
  const result = zstd.decode(input, (chunk) => {
    n += chunk.length;
    return true;
  });
  if (!result.ok) throw new Error(`decode failed: ${result.message ?? "no message"}`);
  return n;
}

async function native(file: string): Promise<void> {
  const { success } = await new Deno.Command("zstd", {
    args: ["-q", "-dc", file],
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!success) throw new Error("zstd -dc failed");
}

const cases: { group: string; input: Uint8Array }[] = [];
const boot = bootImage();
if (boot !== null) {
  const size = decodeAll(boot.input);
  cases.push({
    group: `/boot/${boot.name}: ${(size / 2 ** 20).toFixed(0)} MiB (mkinitramfs)`,
    input: boot.input,
  });
}
for (const level of ["-1", "-15"]) {
  const made = await compressed(level);
  if (made !== null) {
    cases.push({ group: `zstd ${level} -T0: 64 MiB of text, tables and noise`, input: made });
  }
}
cases.push({
  group: "zstd -19 --long=27: 64 MiB of repeated text (test vector)",
  input: Deno.readFileSync(new URL("../tests/vectors/zstd/big.zst", import.meta.url)),
});

for (const c of cases) {
  decodeAll(c.input);
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
      name: "zstd -dc (native CLI)",
      ...RUNS,
      async fn() {
        await native(file);
      },
    });
  }
}
