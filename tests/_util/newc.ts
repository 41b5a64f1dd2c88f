// A raw newc/crc archive builder for tests, shaped like the kernel's KUnit
// `fill_cpio` (init/initramfs_test.c): every header field can be set, and any
// field can be replaced by raw text, so malformed archives are one-line edits.

/** The 13 header fields in on-disk order. */
export const FIELDS = [
  "ino",
  "mode",
  "uid",
  "gid",
  "nlink",
  "mtime",
  "filesize",
  "devmajor",
  "devminor",
  "rdevmajor",
  "rdevminor",
  "namesize",
  "chksum",
] as const;

/** One header field name. */
export type Field = typeof FIELDS[number];

/** One archive entry; numbers default to 0, sizes to the real lengths. */
export interface RawEntry {
  /** Header magic; default "070701". */
  magic?: string;
  ino?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  nlink?: number;
  mtime?: number;
  /** Default: the data length. */
  filesize?: number;
  devmajor?: number;
  devminor?: number;
  rdevmajor?: number;
  rdevminor?: number;
  /** Default: name bytes + 1. When larger, the gap is zero-filled. */
  namesize?: number;
  chksum?: number;
  name: string | Uint8Array;
  data?: string | Uint8Array;
  /** Raw 8-character replacements for fields, e.g. `{ uid: "0x123456" }`. */
  raw?: Partial<Record<Field, string>>;
  /** Do not NUL-terminate the name (the name bytes are written as given). */
  noNul?: boolean;
}

const enc = new TextEncoder();

/** Bytes of a string (UTF-8) or the array itself. */
export function bytes(v: string | Uint8Array): Uint8Array {
  return typeof v === "string" ? enc.encode(v) : v;
}

/** Sum of bytes modulo 2^32, as the crc format defines it. */
export function byteSum(data: Uint8Array): number {
  let s = 0;
  for (const b of data) s = (s + b) >>> 0;
  return s;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

/** The trailer entry. */
export const TRAILER: RawEntry = { name: "TRAILER!!!", nlink: 1 };

/**
 * Packs entries back to back (each header 4-aligned relative to `base`), as
 * `fill_cpio` does: header, name, NUL padding to 4, data, NUL padding to 4.
 */
export function newc(entries: RawEntry[], base = 0): Uint8Array {
  const parts: Uint8Array[] = [];
  let off = base;
  const push = (b: Uint8Array) => {
    parts.push(b);
    off += b.length;
  };
  const pad = () => {
    const n = (4 - (off & 3)) & 3;
    if (n) push(new Uint8Array(n));
  };
  for (const e of entries) {
    const name = bytes(e.name);
    const data = e.data === undefined ? new Uint8Array(0) : bytes(e.data);
    const nameField = e.noNul ? name.length : name.length + 1;
    const namesize = e.namesize ?? nameField;
    const values: Record<Field, number> = {
      ino: e.ino ?? 0,
      mode: e.mode ?? 0,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      nlink: e.nlink ?? 0,
      mtime: e.mtime ?? 0,
      filesize: e.filesize ?? data.length,
      devmajor: e.devmajor ?? 0,
      devminor: e.devminor ?? 0,
      rdevmajor: e.rdevmajor ?? 0,
      rdevminor: e.rdevminor ?? 0,
      namesize,
      chksum: e.chksum ?? 0,
    };
    let header = e.magic ?? "070701";
    for (const f of FIELDS) {
      const raw = e.raw?.[f];
      header += raw ?? hex8(values[f]);
    }
    push(enc.encode(header));
    const field = new Uint8Array(Math.max(namesize, nameField));
    field.set(name);
    push(field.subarray(0, Math.max(namesize, e.noNul ? name.length : 0)));
    pad();
    push(data);
    pad();
  }
  return concat(parts);
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Mode bits (octal type constants of stat(2)). */
export const S = {
  IFMT: 0o170000,
  IFSOCK: 0o140000,
  IFLNK: 0o120000,
  IFREG: 0o100000,
  IFBLK: 0o060000,
  IFDIR: 0o040000,
  IFCHR: 0o020000,
  IFIFO: 0o010000,
} as const;

/** A header decoded field by field (`raw` is its 110 characters). */
export type DecodedHeader = Record<Field, number> & { magic: string; raw: string };

/** Decodes the header at `at`; throws unless each field is exactly 8 hex digits. */
export function decodeHeader(archive: Uint8Array, at: number): DecodedHeader {
  const raw = new TextDecoder().decode(archive.subarray(at, at + 110));
  if (!/^07070[12]([0-9A-Fa-f]{8}){13}$/.test(raw)) {
    throw new SyntaxError(`Not a newc/crc header at ${at}: ${JSON.stringify(raw)}`);
  }
  const h = { magic: raw.slice(0, 6), raw } as DecodedHeader;
  FIELDS.forEach((f, i) => h[f] = parseInt(raw.slice(6 + 8 * i, 14 + 8 * i), 16));
  return h;
}
