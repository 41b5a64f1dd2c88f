// Writes the benchmark archives used by compare.ts:
//
//   small.cpio  100,000 small files (218 MB of data) in ~3,000 directories
//   big.cpio    10 files, 1 GiB of data
//
// Both are newc with a trailer, generated from fixed seeds, so every machine
// benchmarks the same bytes. Archives are streamed to disk; a corpus.json next
// to them records the parameters, and a matching corpus is not rewritten.
//
//   deno run -A bench/make_corpus.ts [DIR] [--force]   (DIR: bench/results/corpus/)

import { parseArgs } from "node:util";
import { bigFiles, type CorpusStats, smallTree } from "./_corpus.ts";

/** One archive of the corpus. */
export interface CorpusArchive {
  /** `"small"` or `"big"`. */
  name: string;
  /** Path of the archive. */
  path: string;
  /** What the generator wrote. */
  stats: CorpusStats;
  /** The generator's parameters. */
  params: { files: number; bytes: number; seed: number };
}

/** The parameters of the corpus; changing one regenerates it. */
export const CORPUS = {
  /** Bumped whenever the generators change what they write. */
  version: 2,
  small: { files: 100_000, bytes: 218_000_000, seed: 1 },
  big: { files: 10, bytes: 1 << 30, seed: 2 },
} as const;

/** The default corpus directory, bench/results/corpus/. */
export const DEFAULT_DIR: string = new URL("./results/corpus/", import.meta.url).pathname;

async function writeChunks(path: string, chunks: Iterable<Uint8Array>): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const buf = new Uint8Array(8 << 20);
  let n = 0;
  const flush = async (b: Uint8Array) => {
    let o = 0;
    while (o < b.length) o += await file.write(b.subarray(o));
  };
  for (const c of chunks) {
    if (n + c.length > buf.length) {
      await flush(buf.subarray(0, n));
      n = 0;
    }
    if (c.length >= buf.length) await flush(c);
    else {
      buf.set(c, n);
      n += c.length;
    }
  }
  await flush(buf.subarray(0, n));
}

/**
 * Makes (or reuses) the corpus in `dir`.
 *
 * @param dir where to write the archives
 * @param force regenerate even when corpus.json matches
 * @param log progress lines
 * @returns the archives
 */
export async function makeCorpus(
  dir: string = DEFAULT_DIR,
  force = false,
  log: (line: string) => void = (l) => console.error(l),
): Promise<CorpusArchive[]> {
  await Deno.mkdir(dir, { recursive: true });
  const base = dir.endsWith("/") ? dir : dir + "/";
  const stamp = base + "corpus.json";
  if (!force) {
    try {
      const old = JSON.parse(await Deno.readTextFile(stamp)) as {
        params: typeof CORPUS;
        archives: CorpusArchive[];
      };
      let ok = JSON.stringify(old.params) === JSON.stringify(CORPUS);
      for (const a of old.archives ?? []) {
        const st = await Deno.stat(base + a.name + ".cpio").catch(() => null);
        ok &&= st?.size === a.stats.archiveBytes;
      }
      if (ok && old.archives?.length === 2) {
        return old.archives.map((a) => ({ ...a, path: base + a.name + ".cpio" }));
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) && !(e instanceof SyntaxError)) throw e;
    }
  }
  const out: CorpusArchive[] = [];
  for (const name of ["small", "big"] as const) {
    const params = CORPUS[name];
    const path = base + name + ".cpio";
    const stats: CorpusStats = { entries: 0, files: 0, dirs: 0, dataBytes: 0, archiveBytes: 0 };
    const t0 = performance.now();
    const gen = name === "small" ? smallTree(params, stats) : bigFiles(params, stats);
    await writeChunks(path, gen);
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    log(
      `wrote ${path}: ${stats.archiveBytes} bytes, ${stats.files} files, ${stats.dirs} dirs (${s} s)`,
    );
    out.push({ name, path, stats, params: { ...params } });
  }
  await Deno.writeTextFile(
    stamp,
    JSON.stringify(
      { params: CORPUS, archives: out.map(({ path: _p, ...rest }) => rest) },
      null,
      2,
    ) + "\n",
  );
  return out;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { force: { type: "boolean" } },
  });
  const archives = await makeCorpus(positionals[0] ?? DEFAULT_DIR, values.force ?? false);
  for (const a of archives) {
    console.log(`${a.path}\t${a.stats.archiveBytes} bytes\t${a.stats.entries} headers`);
  }
}
