// Deterministic benchmark archives, shared by make_corpus.ts and
// unpack_bench.ts: a root-filesystem-like tree of many small files, and a few
// big files. Archives are produced as a sequence of chunks so that a 1 GiB
// archive can be streamed to disk without being held in memory.
//
// Headers are written by a small local newc encoder (the layout of
// usr/gen_init_cpio.c: uppercase hex, 4-byte padding, trailer, end padded to
// 512) so that file bodies can be streamed without a copy.

/** A 32-bit PRNG (mulberry32): same seed, same sequence, on every machine. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** `n` pseudo-random bytes from `seed` (xorshift32, four bytes per step). */
export function randomBytes(n: number, seed: number): Uint8Array<ArrayBuffer> {
  const words = new Uint32Array(Math.ceil(n / 4));
  let x = (seed >>> 0) || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return new Uint8Array(words.buffer, 0, n);
}

const enc = new TextEncoder();
const HEX = enc.encode("0123456789ABCDEF");
const HEADER_SIZE = 110;
const POOL_SIZE = 1 << 20;

/** The numeric fields of a newc header that the corpus sets. */
interface Header {
  ino: number;
  mode: number;
  nlink: number;
  mtime: number;
  size: number;
}

/**
 * Encodes one newc header and its name, padded so that the body starts on a
 * 4-byte boundary (the archive is assumed to start at a multiple of 4).
 */
function newcHeader(h: Header, name: Uint8Array): Uint8Array<ArrayBuffer> {
  const nameSize = name.length + 1;
  const out = new Uint8Array((HEADER_SIZE + nameSize + 3) & ~3);
  out.set(enc.encode("070701"), 0);
  const fields = [h.ino, h.mode, 0, 0, h.nlink, h.mtime, h.size, 0, 0, 0, 0, nameSize, 0];
  for (let f = 0; f < fields.length; f++) {
    const v = fields[f]!;
    for (let i = 0; i < 8; i++) out[6 + f * 8 + i] = HEX[(v >>> (28 - 4 * i)) & 15]!;
  }
  out.set(name, HEADER_SIZE);
  return out;
}

const PADS = [new Uint8Array(0), new Uint8Array(3), new Uint8Array(2), new Uint8Array(1)];

/** The trailer and the zero padding to a multiple of 512 after `offset` bytes. */
function trailer(offset: number): Uint8Array<ArrayBuffer> {
  const t = newcHeader(
    { ino: 0, mode: 0, nlink: 1, mtime: 0, size: 0 },
    enc.encode("TRAILER!!!"),
  );
  const end = offset + t.length;
  const out = new Uint8Array(t.length + ((512 - (end % 512)) % 512));
  out.set(t);
  return out;
}

/** What an archive generator produced, filled in as it runs. */
export interface CorpusStats {
  /** Headers written, trailer excluded. */
  entries: number;
  /** Regular files. */
  files: number;
  /** Directories. */
  dirs: number;
  /** Bytes of file data. */
  dataBytes: number;
  /** Archive size in bytes. */
  archiveBytes: number;
}

function newStats(): CorpusStats {
  return { entries: 0, files: 0, dirs: 0, dataBytes: 0, archiveBytes: 0 };
}

/** Options of {@linkcode smallTree}. */
export interface SmallTreeOptions {
  /** Number of regular files. */
  files: number;
  /** Total bytes of file data (exact). */
  bytes: number;
  /** Number of directories. @default {3% of files, at least 8} */
  dirs?: number;
  /** PRNG seed. @default {1} */
  seed?: number;
}

const TOP = ["bin", "etc", "lib", "sbin", "usr", "var", "opt", "srv"];
const DIR_WORDS = [
  "lib",
  "share",
  "include",
  "python3",
  "site-packages",
  "kernel",
  "drivers",
  "net",
  "fs",
  "modules",
  "firmware",
  "locale",
  "man",
  "doc",
  "systemd",
  "udev",
  "x86_64-linux-gnu",
  "perl5",
  "gconv",
  "terminfo",
  "zoneinfo",
  "ethernet",
  "gpu",
  "sound",
  "crypto",
  "block",
  "scsi",
  "usb",
  "input",
  "media",
];
const FILE_WORDS = [
  "libc",
  "config",
  "module",
  "util",
  "readme",
  "init",
  "core",
  "main",
  "table",
  "plugin",
  "locale",
  "driver",
  "rules",
  "policy",
  "service",
  "index",
  "common",
  "base",
];
const EXTS = ["so", "py", "h", "ko", "conf", "txt", "mo", "pm", "rules", "service", "gz", "json"];

/**
 * A tree shaped like a distribution's root filesystem: directories of random
 * depth holding files with log-uniform sizes (many tiny, a few tens of KiB),
 * in `find` order (a directory, its files, then its subdirectories). Yields
 * archive chunks, trailer and end padding included; a chunk may be a view of
 * a shared buffer, so consume it before pulling the next one.
 */
export function* smallTree(
  options: SmallTreeOptions,
  stats: CorpusStats = newStats(),
): Generator<Uint8Array> {
  const { files, bytes, seed = 1 } = options;
  const dirCount = options.dirs ?? Math.max(8, Math.round(files * 0.03));
  const rand = prng(seed);
  const unit = () => rand() / 2 ** 32;
  const pick = <T>(a: readonly T[]): T => a[rand() % a.length]!;

  // directories: the top level, then each new one under a random earlier one
  const names: string[] = [];
  const children: number[][] = [];
  for (let d = 0; d < dirCount; d++) {
    children.push([]);
    if (d < TOP.length) {
      names.push(TOP[d]!);
      continue;
    }
    const parent = rand() % d;
    const k = children[parent]!.length;
    children[parent]!.push(d);
    names.push(k === 0 ? pick(DIR_WORDS) : `${pick(DIR_WORDS)}-${k}`);
  }

  // file sizes: log-uniform in [16, 32 KiB], scaled so they sum to `bytes`
  const sizes = new Float64Array(files);
  let sum = 0;
  for (let i = 0; i < files; i++) {
    sizes[i] = 16 * Math.exp(unit() * Math.log(2048));
    sum += sizes[i]!;
  }
  const scale = bytes / sum;
  let assigned = 0;
  for (let i = 0; i < files; i++) {
    sizes[i] = Math.floor(sizes[i]! * scale);
    assigned += sizes[i]!;
  }
  if (files > 0) sizes[files - 1] = sizes[files - 1]! + bytes - assigned;

  // files go to random directories
  const filesOf: number[][] = Array.from({ length: dirCount }, () => []);
  for (let i = 0; i < files; i++) filesOf[rand() % dirCount]!.push(i);

  const pool = randomBytes(POOL_SIZE + 64 * 1024, seed ^ 0x9e3779b9);
  let offset = 0;
  let ino = 1000;
  const mtime0 = 1_700_000_000;

  function* emit(h: Header, path: string, body?: Uint8Array): Generator<Uint8Array> {
    const head = newcHeader(h, enc.encode(path));
    yield head;
    offset += head.length;
    stats.entries++;
    if (body && body.length > 0) {
      yield body;
      const pad = PADS[body.length & 3]!;
      if (pad.length) yield pad;
      offset += body.length + pad.length;
      stats.dataBytes += body.length;
    }
  }

  const stack: [number, string][] = [];
  for (let d = TOP.length - 1; d >= 0; d--) stack.push([d, TOP[d]!]);
  while (stack.length > 0) {
    const [d, path] = stack.pop()!;
    stats.dirs++;
    yield* emit(
      { ino: ino++, mode: 0o40755, nlink: 2, mtime: mtime0 + rand() % 1e7, size: 0 },
      path,
    );
    for (const [k, i] of filesOf[d]!.entries()) {
      const size = sizes[i]!;
      const at = rand() % (pool.length - Math.min(size, POOL_SIZE));
      // bodies above the pool size (never with the default scale) repeat the pool
      const body = size <= POOL_SIZE ? pool.subarray(at, at + size) : repeat(pool, size);
      const mode = rand() % 10 === 0 ? 0o100755 : 0o100644;
      stats.files++;
      yield* emit(
        { ino: ino++, mode, nlink: 1, mtime: mtime0 + rand() % 1e7, size },
        `${path}/${pick(FILE_WORDS)}${k}.${pick(EXTS)}`,
        body,
      );
    }
    const kids = children[d]!;
    for (let c = kids.length - 1; c >= 0; c--) {
      stack.push([kids[c]!, `${path}/${names[kids[c]!]}`]);
    }
  }
  const end = trailer(offset);
  offset += end.length;
  stats.archiveBytes = offset;
  yield end;
}

function repeat(pool: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let o = 0; o < size; o += pool.length) out.set(pool.subarray(0, size - o), o);
  return out;
}

/** Options of {@linkcode bigFiles}. */
export interface BigFilesOptions {
  /** Number of files. */
  files: number;
  /** Total bytes of file data (exact). */
  bytes: number;
  /** PRNG seed. @default {2} */
  seed?: number;
}

/**
 * A directory `data/` with `files` big files of (nearly) equal size. The
 * bodies are a 1 MiB random block, rotated by a random amount for each MiB:
 * cheap to make, and no two MiB alike. Yields archive chunks as
 * {@linkcode smallTree} does; chunks are views of shared buffers.
 */
export function* bigFiles(
  options: BigFilesOptions,
  stats: CorpusStats = newStats(),
): Generator<Uint8Array> {
  const { files, bytes, seed = 2 } = options;
  const rand = prng(seed);
  const pool = randomBytes(POOL_SIZE, seed ^ 0x9e3779b9);
  let offset = 0;
  let ino = 1000;
  const mtime = 1_700_000_000;
  const head = newcHeader(
    { ino: ino++, mode: 0o40755, nlink: 2, mtime, size: 0 },
    enc.encode("data"),
  );
  yield head;
  offset += head.length;
  stats.entries++;
  stats.dirs++;
  const each = Math.floor(bytes / files);
  for (let f = 0; f < files; f++) {
    const size = f === files - 1 ? bytes - each * (files - 1) : each;
    const name = enc.encode(`data/blob-${String(f).padStart(2, "0")}.bin`);
    const h = newcHeader({ ino: ino++, mode: 0o100644, nlink: 1, mtime, size }, name);
    yield h;
    let left = size;
    while (left > 0) {
      const rot = rand() % POOL_SIZE;
      const a = pool.subarray(rot, rot + Math.min(left, POOL_SIZE - rot));
      yield a;
      left -= a.length;
      if (left > 0) {
        const b = pool.subarray(0, Math.min(left, rot));
        yield b;
        left -= b.length;
      }
    }
    const pad = PADS[size & 3]!;
    if (pad.length) yield pad;
    offset += h.length + size + pad.length;
    stats.entries++;
    stats.files++;
    stats.dataBytes += size;
  }
  const end = trailer(offset);
  offset += end.length;
  stats.archiveBytes = offset;
  yield end;
}

/** Gathers a generator's chunks into one buffer (for archives that fit in memory). */
export function collect(chunks: Iterable<Uint8Array>): Uint8Array<ArrayBuffer> {
  let out = new Uint8Array(1 << 20);
  let n = 0;
  for (const c of chunks) {
    if (n + c.length > out.length) {
      const grown = new Uint8Array(Math.max(out.length * 2, n + c.length));
      grown.set(out.subarray(0, n));
      out = grown;
    }
    out.set(c, n);
    n += c.length;
  }
  return out.slice(0, n);
}
