// Listing: the headers of every archive in an image, as the kernel's member
// walk meets them (NUL padding, several archives, compressed members), without
// building a tree. Used by `ramroot list`.

import { CpioError } from "./errors.ts";
import { detectCompression } from "./decompress.ts";
import { DECODERS } from "./decoders/mod.ts";
import { chunksOf, type UnpackSource } from "./unpack.ts";
import { type FileType, typeOf } from "./superblock.ts";

/** One header as stored. */
export interface ListEntry {
  /** Offset of the header (in the image, or in the member's output when `member` is set). */
  offset: number;
  /** Offset of the compressed member holding it, if any. */
  member?: number;
  /** `"newc"` (070701) or `"crc"` (070702). */
  format: "newc" | "crc";
  /** Name (bytes up to the first NUL). */
  nameBytes: Uint8Array;
  /** Name, lossy UTF-8. */
  name: string;
  /** Inode number as stored (`c_ino`). */
  ino: number;
  /** Full mode (`c_mode`, low 16 bits). */
  mode: number;
  /** Type letter. */
  type: FileType;
  /** Owner. */
  uid: number;
  /** Group. */
  gid: number;
  /** Link count as stored. */
  nlink: number;
  /** Modification time (seconds). */
  mtime: number;
  /** Data size (`c_filesize`). */
  size: number;
  /** Major of the containing device (`c_maj`). */
  devMajor: number;
  /** Minor of the containing device (`c_min`). */
  devMinor: number;
  /** Device major (`c_rmaj`). */
  rdevMajor: number;
  /** Device minor (`c_rmin`). */
  rdevMinor: number;
  /** `c_chksum` (crc: sum of the data bytes). */
  checksum: number;
  /** Symlink target, for symlinks. */
  target?: string;
}

const dec = new TextDecoder();
const latin = new TextDecoder("latin1");

function hexField(b: Uint8Array, p: number): number {
  let v = 0;
  for (let k = 0; k < 8; k++) {
    const c = b[p + k]!;
    let d = c - 0x30;
    if (d > 9) {
      d = (c | 0x20) - 0x57;
      if (d < 10 || d > 15) return -1;
    } else if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// Offset of the header after the one at p (plain arithmetic: sizes may pass 2^31).
function nextHeader(image: Uint8Array, p: number): number {
  const namesize = Math.max(hexField(image, p + 94), 0);
  const size = Math.max(hexField(image, p + 54), 0);
  return Math.ceil((p + 110 + Math.floor((namesize + 1) / 4) * 4 + 2 + size) / 4) * 4;
}

// The entry of the header at p, or null for a trailer.
function parseHeader(
  image: Uint8Array,
  p: number,
  base: number,
  member: number | undefined,
): ListEntry | null {
  // "070701" / "070702"
  const crc = image[p + 5] === 0x32;
  if (
    image[p + 1] !== 0x37 || image[p + 2] !== 0x30 || image[p + 3] !== 0x37 ||
    image[p + 4] !== 0x30 || (image[p + 5] !== 0x31 && !crc)
  ) {
    const odc = image[p + 1] === 0x37 && image[p + 2] === 0x30 && image[p + 3] === 0x37 &&
      image[p + 4] === 0x30 && image[p + 5] === 0x37;
    throw new CpioError(
      odc ? "ODC_FORMAT" : "BAD_MAGIC",
      odc ? "incorrect cpio method used: use -H newc option" : "no cpio magic",
      { offset: base + p, ...(member !== undefined ? { member } : {}) },
    );
  }
  const field = (k: number) => Math.max(hexField(image, p + 6 + 8 * k), 0);
  const mode = field(1);
  const size = field(6);
  const namesize = field(11);
  const nameStart = p + 110;
  const dataStart = nameStart + Math.floor((namesize + 1) / 4) * 4 + 2;
  let nameEnd = nameStart;
  const nameLimit = Math.min(nameStart + namesize, image.length);
  while (nameEnd < nameLimit && image[nameEnd] !== 0) nameEnd++;
  const nameBytes = image.slice(nameStart, nameEnd);
  if (
    nameBytes.length === 10 && nameBytes[0] === 0x54 && nameBytes[9] === 0x21 &&
    latin.decode(nameBytes) === "TRAILER!!!"
  ) return null;
  const e: ListEntry = {
    offset: base + p,
    format: crc ? "crc" : "newc",
    nameBytes,
    name: dec.decode(nameBytes),
    ino: field(0),
    mode: mode & 0xffff,
    type: typeOf(mode),
    uid: field(2),
    gid: field(3),
    nlink: field(4),
    mtime: field(5),
    size,
    devMajor: field(7),
    devMinor: field(8),
    rdevMajor: field(9),
    rdevMinor: field(10),
    checksum: field(12),
  };
  if (member !== undefined) e.member = member;
  if ((mode & 0o170000) === 0o120000) {
    const t = image.subarray(dataStart, Math.min(dataStart + size, image.length));
    const z = t.indexOf(0);
    e.target = dec.decode(z < 0 ? t : t.subarray(0, z));
  }
  return e;
}

/**
 * Lists every header of an in-memory image. Stops with {@linkcode CpioError}
 * where the kernel would stop.
 */
export function* listImage(
  image: Uint8Array,
  member?: number,
  base = 0,
  one = false,
): Generator<ListEntry> {
  let p = 0;
  while (p < image.length) {
    const c = image[p]!;
    if (c === 0) {
      p++;
      continue;
    }
    if (c === 0x30 && ((p + base) & 3) === 0) {
      if (p + 110 > image.length) return; // cut inside a header: the kernel stops silently
      const e = parseHeader(image, p, base, member);
      if (e !== null) yield e;
      if (one) return;
      p = nextHeader(image, p);
      continue;
    }
    if (member !== undefined) {
      throw new CpioError("JUNK_WITHIN", "junk within compressed archive", {
        offset: base + p,
        member,
      });
    }
    const kind = detectCompression(image.subarray(p));
    if (kind === null) {
      throw new CpioError(
        "BAD_COMPRESSION_MAGIC",
        "invalid magic at start of compressed archive",
        { offset: base + p },
      );
    }
    const decoder = DECODERS[kind];
    if (decoder === undefined) {
      throw new CpioError(
        "UNSUPPORTED_COMPRESSION",
        `ramroot cannot decompress ${kind} members`,
        { offset: base + p },
      );
    }
    // the decoder flushes into a walker; its entries are yielded member by member
    const walker = new MemberWalker(base + p);
    const out = decoder.decode(image.subarray(p), (chunk) => walker.push(chunk));
    decoder.release?.();
    yield* walker.entries;
    if (walker.error) throw walker.error;
    if (!out.ok) {
      throw new CpioError("DECOMPRESSOR", out.message ?? "decompressor failed", {
        offset: base + p,
      });
    }
    if (!walker.atBoundary()) {
      throw new CpioError("JUNK_AFTER_MEMBER", "junk at the end of compressed archive", {
        offset: base + p,
      });
    }
    p += Math.min(out.consumed, image.length - p);
  }
}

/**
 * Lists every header of an image read as a stream (a path, bytes, a stream
 * or chunks): file data is skipped without being copied, so listing needs
 * memory for one chunk, not for the image. At a compressed member the rest
 * of the image is read into memory and listed with {@linkcode listImage}.
 */
export async function* listSource(source: UnpackSource): AsyncGenerator<ListEntry> {
  let pos = 0; // absolute offset of window[0]
  let window = new Uint8Array(0);
  let skip = 0; // bytes still to skip (file data and padding)
  const it = chunksOf(source, 4 << 20);
  const more = async (): Promise<boolean> => {
    const r = await it.next();
    if (r.done) return false;
    const chunk = r.value;
    if (window.length === 0) {
      window = chunk.slice();
    } else {
      const w = new Uint8Array(window.length + chunk.length);
      w.set(window);
      w.set(chunk, window.length);
      window = w;
    }
    return true;
  };
  let at = 0; // position in window
  while (true) {
    if (skip > 0) {
      const n = Math.min(skip, window.length - at);
      at += n;
      skip -= n;
      if (skip > 0) {
        pos += window.length;
        window = new Uint8Array(0);
        at = 0;
        if (!(await more())) return;
        continue;
      }
    }
    if (at >= window.length) {
      pos += window.length;
      window = new Uint8Array(0);
      at = 0;
      if (!(await more())) return;
      continue;
    }
    const c = window[at]!;
    if (c === 0) {
      at++;
      continue;
    }
    const off = pos + at;
    if (c !== 0x30 || (off & 3) !== 0) {
      // a compressed member: the rest of the image, in memory
      const rest: Uint8Array[] = [window.slice(at)];
      for await (const chunk of it) rest.push(chunk.slice());
      let n = 0;
      for (const r of rest) n += r.length;
      const tail = new Uint8Array(n);
      n = 0;
      for (const r of rest) {
        tail.set(r, n);
        n += r.length;
      }
      for (const e of listImage(tail, undefined, off)) yield e;
      return;
    }
    // a header: make sure header, name and (symlink) target are in the window
    if (window.length - at < 110) {
      window = window.slice(at);
      pos += at;
      at = 0;
      if (!(await more())) return; // cut inside a header: the kernel stops silently
      continue;
    }
    const namesize = hexField(window, at + 94);
    const filesize = hexField(window, at + 54);
    const mode = hexField(window, at + 14);
    const isLink = (mode & 0o170000) === 0o120000;
    const dataStart = 110 + Math.floor((Math.max(namesize, 0) + 1) / 4) * 4 + 2;
    const need = Math.min(dataStart + (isLink ? Math.max(filesize, 0) : 0), 1 << 20);
    if (window.length - at < need) {
      window = window.slice(at);
      pos += at;
      at = 0;
      if (await more()) continue;
    }
    const e = parseHeader(window.subarray(at), 0, off, undefined);
    if (e !== null) yield e;
    skip = Math.ceil((dataStart + Math.max(filesize, 0)) / 4) * 4;
  }
}

const HEADER = 110;
// longest name or symlink target read for a listing (the kernel skips longer ones)
const COLLECT_MAX = 1 << 20;

/**
 * The headers of a compressed member's output, pushed as the decoder flushes
 * it: headers, names and symlink targets are collected across chunks, file
 * data is skipped without copying. Offsets are member-relative.
 */
class MemberWalker {
  readonly entries: ListEntry[] = [];
  error: CpioError | null = null;
  #member: number;
  #pos = 0; // member-relative offset of the next byte
  #skip = 0;
  #buf: Uint8Array | null = null; // header being collected
  #have = 0;
  #need = 0;
  #start = 0; // offset of the header being collected
  #afterNul = false;

  constructor(member: number) {
    this.#member = member;
  }

  /** True when the member's output ended between entries. */
  atBoundary(): boolean {
    return this.#skip === 0 && this.#buf === null;
  }

  push(chunk: Uint8Array): boolean {
    if (this.error) return false;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#skip > 0) {
        const k = Math.min(this.#skip, n - i);
        i += k;
        this.#pos += k;
        this.#skip -= k;
        continue;
      }
      if (this.#buf !== null) {
        const k = Math.min(this.#need - this.#have, n - i);
        this.#buf.set(chunk.subarray(i, i + k), this.#have);
        this.#have += k;
        i += k;
        this.#pos += k;
        if (this.#have === this.#need) this.#collected();
        continue;
      }
      const c = chunk[i]!;
      if (c === 0) {
        i++;
        this.#pos++;
        this.#afterNul = true;
        continue;
      }
      if ((this.#pos & 3) !== 0 && this.#afterNul) {
        this.error = new CpioError("BAD_PADDING", "broken padding", {
          offset: this.#pos,
          member: this.#member,
        });
        return false;
      }
      if (c !== 0x30) {
        this.error = new CpioError("JUNK_WITHIN", "junk within compressed archive", {
          offset: this.#pos,
          member: this.#member,
        });
        return false;
      }
      this.#afterNul = false;
      this.#start = this.#pos;
      this.#buf = new Uint8Array(HEADER);
      this.#have = 0;
      this.#need = HEADER;
    }
    return this.error === null;
  }

  #collected(): void {
    const b = this.#buf!;
    const namesize = Math.max(hexField(b, 94), 0);
    const filesize = Math.max(hexField(b, 54), 0);
    const mode = hexField(b, 14);
    const isLink = mode >= 0 && (mode & 0o170000) === 0o120000;
    const dataStart = HEADER + Math.floor((namesize + 1) / 4) * 4 + 2;
    const want = Math.min(dataStart + (isLink ? filesize : 0), COLLECT_MAX);
    if (this.#need === HEADER && want > HEADER) {
      const grown = new Uint8Array(want);
      grown.set(b);
      this.#buf = grown;
      this.#need = want;
      return;
    }
    this.#buf = null;
    try {
      const e = parseHeader(b, 0, this.#start, this.#member);
      if (e !== null) this.entries.push(e);
    } catch (err) {
      this.error = err as CpioError;
      return;
    }
    const total = Math.ceil((dataStart + filesize) / 4) * 4;
    this.#skip = total - this.#need;
  }
}
