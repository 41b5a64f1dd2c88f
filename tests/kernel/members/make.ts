// Writes the compressed members of the kernel corpus: each cpio stream of
// payloads.ts compressed with the real command-line tool of each format,
// into this directory. The files are committed; cases.ts and
// tests/bad_input_test.ts only read them. Run again only to change them
// (then re-record the cases that use them):
//
//   deno run -A tests/kernel/members/make.ts
//
// Needs gzip, bzip2, xz (also for .lzma), lzop, lz4 and zstd (Debian:
// gzip bzip2 xz-utils lzop lz4 zstd). Inputs are temporary files named
// `<payload>.cpio` with mtime T, so that the tools that store a name or a
// time (gzip -N, lzop) give the same bytes every time. TOOLS.txt records the
// versions used. The zstd --long members read stdin: with a file, zstd
// shrinks the window to the file's size whatever --long says.

import { concat } from "../../_util/newc.ts";
import { Prng } from "../../_util/prng.ts";
import {
  arc,
  big,
  bombParts,
  dot,
  file,
  junkWithin,
  midEntry,
  second,
  small,
  T,
  two,
} from "./payloads.ts";

const HERE = new URL("./", import.meta.url);

/** How one variant compresses a file: the command line, `{}` standing for the input path. */
interface Variant {
  ext: string;
  argv: string[];
}

/** The seven formats (zstd twice: with and without the content size in the frame header). */
const MAIN: Record<string, Variant> = {
  gzip: { ext: "gz", argv: ["gzip", "-n", "-c", "{}"] },
  bzip2: { ext: "bz2", argv: ["bzip2", "-c", "{}"] },
  lzma: { ext: "lzma", argv: ["xz", "--format=lzma", "-c", "{}"] },
  xz: { ext: "xz", argv: ["xz", "--check=crc32", "-c", "{}"] },
  lzo: { ext: "lzo", argv: ["sh", "-c", 'exec lzop -c < "$0"', "{}"] },
  lz4: { ext: "lz4", argv: ["lz4", "-l", "-c", "{}"] },
  zstd: { ext: "zst", argv: ["zstd", "-q", "-c", "{}"] },
  "zstd-ncs": { ext: "zst", argv: ["zstd", "-q", "--no-content-size", "-c", "{}"] },
};

/** Format-specific variants: name -> how, compressing which payload. */
const EXTRA: Record<string, Variant & { payload: "small" | "calls" }> = {
  "gzip-fname": { ext: "gz", payload: "small", argv: ["gzip", "-N", "-c", "{}"] },
  "xz-crc64": { ext: "xz", payload: "small", argv: ["xz", "--check=crc64", "-c", "{}"] },
  "xz-sha256": { ext: "xz", payload: "small", argv: ["xz", "--check=sha256", "-c", "{}"] },
  "xz-none": { ext: "xz", payload: "small", argv: ["xz", "--check=none", "-c", "{}"] },
  "xz-x86": {
    ext: "xz",
    payload: "calls",
    argv: ["xz", "--check=crc32", "--x86", "--lzma2", "-c", "{}"],
  },
  "lz4-frame": { ext: "lz4", payload: "small", argv: ["lz4", "-c", "{}"] },
  "lzo-filter": {
    ext: "lzo",
    payload: "small",
    argv: ["sh", "-c", 'exec lzop --filter=1 -c < "$0"', "{}"],
  },
  "lzo-nocheck": {
    ext: "lzo",
    payload: "small",
    argv: ["sh", "-c", 'exec lzop -F -c < "$0"', "{}"],
  },
  "lzo-crc32": {
    ext: "lzo",
    payload: "small",
    argv: ["sh", "-c", 'exec lzop --crc32 -c < "$0"', "{}"],
  },
  "zstd-long27": {
    ext: "zst",
    payload: "small",
    argv: ["sh", "-c", 'exec zstd -q --long=27 -c < "$0"', "{}"],
  },
  "zstd-long30": {
    ext: "zst",
    payload: "small",
    argv: ["sh", "-c", 'exec zstd -q --long=30 -c < "$0"', "{}"],
  },
};

/** Bombs: the 1 GiB file of zeros streamed through the tool's stdin. */
const BOMBS: Record<string, Variant> = {
  gzip: { ext: "gz", argv: ["gzip", "-n", "-9", "-c"] },
  bzip2: { ext: "bz2", argv: ["bzip2", "-9", "-c"] },
  lzma: { ext: "lzma", argv: ["xz", "--format=lzma", "-c"] },
  xz: { ext: "xz", argv: ["xz", "--check=crc32", "-c"] },
  zstd: { ext: "zst", argv: ["zstd", "-q", "-19", "-c"] },
};

/** A file of x86 code-like bytes: `call rel32` (e8) at random places, for the BCJ filter. */
function calls(): Uint8Array {
  const p = new Prng(86);
  const code = new Uint8Array(8192);
  for (let i = 0; i < code.length; i++) code[i] = p.int(4) === 0 ? 0xe8 : p.int(256);
  return arc(dot(), file("code", code));
}

/**
 * A gzip member with one more optional header field: `flag` set in FLG and
 * `field` inserted after the 10-byte header, where RFC 1952 puts it (gzip
 * itself writes neither FEXTRA nor FCOMMENT).
 */
function withHeaderField(gz: Uint8Array, flag: number, field: Uint8Array): Uint8Array {
  const head = gz.slice(0, 10);
  head[3]! |= flag;
  return concat([head, field, gz.subarray(10)]);
}

const ascii = (s: string) => new TextEncoder().encode(s);

let tmp = "";

async function run(argv: string[], input: Uint8Array): Promise<Uint8Array> {
  const path = `${tmp}/${argv.includes("-N") ? "small" : "payload"}.cpio`;
  await Deno.writeFile(path, input);
  await Deno.utime(path, T, T);
  const args = argv.map((a) => a === "{}" ? path : a);
  const out = await new Deno.Command(args[0]!, { args: args.slice(1), stderr: "inherit" })
    .output();
  if (!out.success) throw new Error(`${args.join(" ")} failed (exit ${out.code})`);
  return out.stdout;
}

async function runStreaming(argv: string[]): Promise<Uint8Array> {
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // read while writing: the tool blocks once the stdout pipe is full
  const stdout = new Response(child.stdout).arrayBuffer();
  const w = child.stdin.getWriter();
  const chunk = new Uint8Array(1 << 20);
  for (const part of bombParts()) {
    if (typeof part !== "number") {
      await w.write(part);
      continue;
    }
    for (let left = part; left > 0; left -= chunk.length) {
      await w.write(left >= chunk.length ? chunk : chunk.subarray(0, left));
    }
  }
  await w.close();
  const bytes = new Uint8Array(await stdout);
  const status = await child.status;
  if (!status.success) throw new Error(`${argv.join(" ")} failed (exit ${status.code})`);
  return bytes;
}

const written: string[] = [];

async function save(name: string, bytes: Uint8Array): Promise<void> {
  await Deno.writeFile(new URL(name, HERE), bytes);
  written.push(`${name}\t${bytes.length}`);
}

async function versions(): Promise<string> {
  const lines: string[] = [];
  const probe: [string, string[]][] = [
    ["gzip", ["--version"]],
    ["bzip2", ["--help"]],
    ["xz", ["--version"]],
    ["lzop", ["--version"]],
    ["lz4", ["--version"]],
    ["zstd", ["--version"]],
  ];
  for (const [cmd, args] of probe) {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(concat([out.stdout, out.stderr]));
    const line = text.split("\n").find((l) => /\d+\.\d+/.test(l)) ?? "?";
    lines.push(`${cmd}\t${line.trim()}`);
  }
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  tmp = await Deno.makeTempDir({ prefix: "ramroot-members-" });
  try {
    for (const [name, v] of Object.entries(MAIN)) {
      // the smallest filler that leaves the member unaligned (xz cannot:
      // its streams are padded to a multiple of 4 bytes)
      let fill = 16;
      let member = await run(v.argv, small(fill));
      while (member.length % 4 === 0 && name !== "xz") member = await run(v.argv, small(++fill));
      await save(`${name}-small.${v.ext}`, member);
      await save(`${name}-second.${v.ext}`, await run(v.argv, second()));
      await save(`${name}-two.${v.ext}`, await run(v.argv, two()));
      await save(`${name}-big.${v.ext}`, await run(v.argv, big()));
      await save(`${name}-midentry.${v.ext}`, await run(v.argv, midEntry()));
      await save(`${name}-junkwithin.${v.ext}`, await run(v.argv, junkWithin()));
    }
    for (const [name, v] of Object.entries(EXTRA)) {
      const payload = v.payload === "calls" ? calls() : small(16);
      await save(`${name}-${v.payload}.${v.ext}`, await run(v.argv, payload));
    }
    const gz = await Deno.readFile(new URL("gzip-small.gz", HERE));
    // FEXTRA: XLEN 8, one subfield "RR" of 4 bytes
    const extra = concat([Uint8Array.of(8, 0), ascii("RR"), Uint8Array.of(4, 0), ascii("ramr")]);
    await save("gzip-fextra-small.gz", withHeaderField(gz, 0x04, extra));
    await save("gzip-fcomment-small.gz", withHeaderField(gz, 0x10, ascii("a comment\0")));
    for (const [name, v] of Object.entries(BOMBS)) {
      await save(`${name}-bomb.${v.ext}`, await runStreaming(v.argv));
    }
    await Deno.writeTextFile(new URL("TOOLS.txt", HERE), await versions());
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  console.log(written.join("\n"));
}

if (import.meta.main) await main();
