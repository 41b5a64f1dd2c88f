// The xz and lzma decoders on 64 MiB of output. The input is the start of
// this machine's own initramfs (/boot/initrd.img-*, uncompressed with zstd or
// gzip: kernel modules, binaries, scripts), compressed once the way
// mkinitramfs does it (`xz --check=crc32`, and `xz --format=lzma` for lzma)
// and cached in bench/results/decoders_xz/. Without an initrd or the tools it
// falls back to the committed 64 MiB test vectors, which compress far better
// than real data and decode faster.
//
//   deno bench -A bench/decoders_xz_bench.ts
//   RAMROOT_BENCH_NATIVE=1 deno bench -A bench/decoders_xz_bench.ts
//
// Every iteration releases the decoder's copy of the image first, so the copy
// into WebAssembly memory is timed too, as it is once per image in a real
// unpack. With RAMROOT_BENCH_NATIVE=1 each group also runs `xz -dc` on the
// same bytes (output to /dev/null, process start included).

import { lzma } from "../src/decoders/lzma.ts";
import type { MemberDecoder } from "../src/decoders/types.ts";
import { xz } from "../src/decoders/xz.ts";

const NATIVE = Deno.env.get("RAMROOT_BENCH_NATIVE") === "1";
const RUNS = { n: 10, warmup: 2 } as const;
const SIZE = 64 << 20;
const CACHE = new URL("results/decoders_xz/", import.meta.url);

async function tool(command: string, args: string[], input?: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command(command, {
    args,
    stdin: input ? "piped" : "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  // read while writing: the pipes are small
  const done = child.output();
  if (input) {
    const writer = child.stdin.getWriter();
    await writer.write(input);
    await writer.close();
  }
  const { success, stdout } = await done;
  if (!success) throw new Error(`${command} failed`);
  return stdout;
}

function initrd(): string | undefined {
  try {
    return [...Deno.readDirSync("/boot")]
      .map((e) => e.name)
      .filter((n) => n.startsWith("initrd.img-"))
      .sort()
      .map((n) => `/boot/${n}`)[0];
  } catch {
    return undefined;
  }
}

interface Corpus {
  source: string;
  files: Record<"xz" | "lzma", string>;
}

async function corpus(): Promise<Corpus> {
  const image = initrd();
  if (image !== undefined) {
    const name = image.slice("/boot/".length);
    const files = {
      xz: new URL(`${name}.64m.xz`, CACHE).pathname,
      lzma: new URL(`${name}.64m.lzma`, CACHE).pathname,
    };
    try {
      Deno.statSync(files.xz);
      Deno.statSync(files.lzma);
      return { source: image, files };
    } catch {
      // not made yet
    }
    try {
      const head = (await tool("sh", [
        "-c",
        `(zstd -dc "$0" 2>/dev/null || gzip -dc "$0") | head -c ${SIZE}`,
        image,
      ])).slice(0, SIZE);
      if (head.length === SIZE) {
        Deno.mkdirSync(CACHE, { recursive: true });
        Deno.writeFileSync(files.xz, await tool("xz", ["-T1", "-6", "--check=crc32", "-c"], head));
        Deno.writeFileSync(
          files.lzma,
          await tool("xz", ["-T1", "-6", "--format=lzma", "-c"], head),
        );
        return { source: image, files };
      }
    } catch {
      // no tools: use the vectors
    }
  }
  return {
    source: "tests/vectors (counted lines)",
    files: {
      xz: new URL("../tests/vectors/xz/large-crc32.xz", import.meta.url).pathname,
      lzma: new URL("../tests/vectors/lzma/large.lzma", import.meta.url).pathname,
    },
  };
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

const { source, files } = await corpus();
for (
  const [format, decoder, args] of [
    ["xz", xz, ["-dc"]],
    ["lzma", lzma, ["--format=lzma", "-dc"]],
  ] as const
) {
  const file = files[format];
  const input = Deno.readFileSync(file);
  const output = decodeAll(decoder, input);
  const group = `${format}: ${(output / 2 ** 20).toFixed(0)} MiB from ${
    (input.length / 2 ** 20).toFixed(1)
  } MiB (${source})`;
  Deno.bench({
    group,
    name: `ramroot ${format} (WebAssembly)`,
    baseline: true,
    ...RUNS,
    fn() {
      decodeAll(decoder, input);
    },
  });
  if (NATIVE) {
    Deno.bench({
      group,
      name: `xz ${args.join(" ")} (native, process start included)`,
      ...RUNS,
      async fn() {
        const { success } = await new Deno.Command("xz", {
          args: [...args, file],
          stdout: "null",
        }).output();
        if (!success) throw new Error("xz failed");
      },
    });
  }
}
