// Writes SVR4 "new ASCII" cpio archives: newc (magic 070701) and crc
// (070702), the formats the kernel's initramfs unpacker reads
// (init/initramfs.c, Documentation/driver-api/early-userspace/buffer-format.rst).
// Layout choices follow usr/gen_init_cpio.c: uppercase hex, 4-byte padding
// counted from the start of the archive, trailer with nlink 1, end padded to
// 512 bytes.

import { concat } from "./_bytes.ts";

/** One archive member, as the caller describes it. */
export interface CpioEntry {
  /** Path inside the archive; a string is encoded as UTF-8. Must not contain NUL. */
  name: string | Uint8Array;
  /** Full `st_mode`: file type bits (e.g. `0o100000`) and permission bits. */
  mode: number;
  /**
   * Owner user id.
   * @default {0}
   */
  uid?: number;
  /**
   * Owner group id.
   * @default {0}
   */
  gid?: number;
  /**
   * Link count; the kernel treats non-directories with nlink >= 2 as hard-link candidates.
   * @default {1}
   */
  nlink?: number;
  /**
   * Modification time, seconds since the Epoch.
   * @default {0}
   */
  mtime?: number;
  /**
   * Inode number (`c_ino`).
   * @default {0}
   */
  ino?: number;
  /**
   * Major number of the device holding the file (`c_maj`).
   * @default {0}
   */
  devMajor?: number;
  /**
   * Minor number of the device holding the file (`c_min`).
   * @default {0}
   */
  devMinor?: number;
  /**
   * Major number of a block or character device (`c_rmaj`).
   * @default {0}
   */
  rdevMajor?: number;
  /**
   * Minor number of a block or character device (`c_rmin`).
   * @default {0}
   */
  rdevMinor?: number;
  /**
   * Entry body: regular file content or symlink target bytes. It is written
   * for any type; the kernel only reads it for regular files and symlinks.
   * @default {new Uint8Array(0)}
   */
  data?: Uint8Array;
  /**
   * Extra NUL bytes after the name's terminating NUL, counted in `namesize`
   * (the name padding `gen_init_cpio -a` uses to align file data).
   * @default {0}
   */
  namePad?: number;
}

/** Options for {@linkcode writeCpio} and {@linkcode CpioWriter}. */
export interface WriteOptions {
  /**
   * `"newc"` writes magic 070701 and a zero check field; `"crc"` writes
   * 070702 and, for regular files, the sum of the data bytes modulo 2^32.
   * @default {"newc"}
   */
  format?: "newc" | "crc";
  /**
   * Write the `TRAILER!!!` entry that ends the archive.
   * @default {true}
   */
  trailer?: boolean;
  /**
   * Pad the end of the archive with zero bytes to a multiple of this many
   * bytes, as gen_init_cpio does; 0 or 1 means no padding.
   * @default {512}
   */
  padTo?: number;
  /**
   * Write hex digits in uppercase (gen_init_cpio, GNU cpio); the kernel
   * accepts either case.
   * @default {true}
   */
  upperHex?: boolean;
}

const HEADER_SIZE = 110;
const U32_MAX = 0xffffffff;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const TRAILER_NAME = new TextEncoder().encode("TRAILER!!!");
const HEX_UPPER = new TextEncoder().encode("0123456789ABCDEF");
const HEX_LOWER = new TextEncoder().encode("0123456789abcdef");
const MAGIC_NEWC = new TextEncoder().encode("070701");
const MAGIC_CRC = new TextEncoder().encode("070702");

/**
 * Encodes cpio entries one at a time, keeping only the running offset, so an
 * archive can be streamed: each {@linkcode CpioWriter.add} returns the bytes
 * of one entry, {@linkcode CpioWriter.finish} the bytes that close the
 * archive. Padding is computed from the writer's own offset, i.e. relative to
 * the start of this archive, as gen_init_cpio does.
 *
 * @example Stream two entries and the trailer
 * ```ts
 * import { CpioWriter } from "@ramroot/ramroot";
 * import assert from "node:assert/strict";
 *
 * const writer = new CpioWriter();
 * const chunks = [
 *   writer.add({ name: "dev", mode: 0o40755, nlink: 2 }),
 *   writer.add({ name: "init", mode: 0o100755, data: new TextEncoder().encode("#!/bin/sh\n") }),
 *   writer.finish(),
 * ];
 * assert.equal(chunks[0]!.length, 116); // 110-byte header, "dev\0", 2 padding bytes
 * assert.equal(writer.offset, 512);
 * ```
 */
export class CpioWriter {
  #magic: Uint8Array;
  #crc: boolean;
  #trailer: boolean;
  #padTo: number;
  #hex: Uint8Array;
  #offset = 0;
  #finished = false;

  /**
   * Creates a writer.
   *
   * @param options Format, trailer, end padding and hex case.
   * @throws {TypeError} If `options` or one of its fields has the wrong type.
   * @throws {RangeError} If `format` is unknown or `padTo` is not an integer in [0, 2^32).
   */
  constructor(options: WriteOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError("Cannot create a cpio writer: options must be an object");
    }
    const { format = "newc", trailer = true, padTo = 512, upperHex = true } = options;
    if (typeof format !== "string") {
      throw new TypeError("Cannot create a cpio writer: format must be a string");
    }
    if (format !== "newc" && format !== "crc") {
      throw new RangeError(
        `Cannot create a cpio writer: format must be "newc" or "crc", got "${format}"`,
      );
    }
    if (typeof trailer !== "boolean") {
      throw new TypeError("Cannot create a cpio writer: trailer must be a boolean");
    }
    if (typeof upperHex !== "boolean") {
      throw new TypeError("Cannot create a cpio writer: upperHex must be a boolean");
    }
    checkU32(padTo, "padTo", "Cannot create a cpio writer");
    this.#crc = format === "crc";
    this.#magic = this.#crc ? MAGIC_CRC : MAGIC_NEWC;
    this.#trailer = trailer;
    this.#padTo = padTo;
    this.#hex = upperHex ? HEX_UPPER : HEX_LOWER;
  }

  /** Number of bytes returned so far by {@linkcode add} and {@linkcode finish}. */
  get offset(): number {
    return this.#offset;
  }

  /**
   * Encodes one entry: header, name, NUL, `namePad` zeros, zero padding to a
   * multiple of 4, data, zero padding to a multiple of 4.
   *
   * @param entry The entry to encode.
   * @returns The bytes of this entry, to be appended to the earlier ones.
   * @throws {TypeError} If the entry or a field has the wrong type, or the writer is finished.
   * @throws {RangeError} If a number is not an integer in [0, 2^32), the name
   * contains a NUL byte, or `namesize` or the data size exceed 2^32 - 1.
   *
   * @example Checksums in crc format
   * ```ts
   * import { CpioWriter } from "@ramroot/ramroot";
   * import assert from "node:assert/strict";
   *
   * const writer = new CpioWriter({ format: "crc" });
   * const bytes = writer.add({ name: "a", mode: 0o100644, data: new TextEncoder().encode("ASDF") });
   * const header = new TextDecoder().decode(bytes.subarray(0, 110));
   * assert.equal(header.slice(0, 6), "070702");
   * assert.equal(header.slice(102), "0000011E"); // 65 + 83 + 68 + 70
   * ```
   */
  add(entry: CpioEntry): Uint8Array<ArrayBuffer> {
    if (this.#finished) {
      throw new TypeError("Cannot add a cpio entry: the writer is finished");
    }
    const where = "Cannot add a cpio entry";
    if (typeof entry !== "object" || entry === null) {
      throw new TypeError(`${where}: entry must be an object`);
    }
    const name = nameBytes(entry.name, where);
    const data = entry.data ?? new Uint8Array(0);
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(`${where} "${label(entry.name)}": data must be a Uint8Array`);
    }
    const at = `${where} "${label(entry.name)}"`;
    const mode = checkU32(entry.mode, "mode", at);
    const namePad = checkU32(entry.namePad ?? 0, "namePad", at);
    const nameSize = name.length + 1 + namePad;
    if (nameSize > U32_MAX) {
      throw new RangeError(`${at}: namesize ${nameSize} does not fit in 32 bits`);
    }
    if (data.length > U32_MAX) {
      throw new RangeError(`${at}: data size ${data.length} does not fit in 32 bits`);
    }
    let check = 0;
    if (this.#crc && (mode & S_IFMT) === S_IFREG) {
      for (let i = 0; i < data.length; i++) check = (check + data[i]!) >>> 0;
    }
    const fields = [
      checkU32(entry.ino ?? 0, "ino", at),
      mode,
      checkU32(entry.uid ?? 0, "uid", at),
      checkU32(entry.gid ?? 0, "gid", at),
      checkU32(entry.nlink ?? 1, "nlink", at),
      checkU32(entry.mtime ?? 0, "mtime", at),
      data.length,
      checkU32(entry.devMajor ?? 0, "devMajor", at),
      checkU32(entry.devMinor ?? 0, "devMinor", at),
      checkU32(entry.rdevMajor ?? 0, "rdevMajor", at),
      checkU32(entry.rdevMinor ?? 0, "rdevMinor", at),
      nameSize,
      check,
    ];
    return this.#entry(fields, name, namePad, data);
  }

  /**
   * Ends the archive: the `TRAILER!!!` entry (unless `trailer` is false),
   * then zero bytes up to a multiple of `padTo`. Later calls to
   * {@linkcode add} throw.
   *
   * @returns The closing bytes (empty when there is nothing to add).
   * @throws {TypeError} If the writer is already finished.
   *
   * @example An empty archive
   * ```ts
   * import { CpioWriter } from "@ramroot/ramroot";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new CpioWriter().finish().length, 512);
   * assert.equal(new CpioWriter({ padTo: 0 }).finish().length, 124);
   * ```
   */
  finish(): Uint8Array<ArrayBuffer> {
    if (this.#finished) {
      throw new TypeError("Cannot finish the cpio archive: the writer is already finished");
    }
    this.#finished = true;
    const parts: Uint8Array<ArrayBuffer>[] = [];
    if (this.#trailer) {
      const fields = [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, TRAILER_NAME.length + 1, 0];
      parts.push(this.#entry(fields, TRAILER_NAME, 0, new Uint8Array(0)));
    }
    if (this.#padTo > 1 && this.#offset % this.#padTo !== 0) {
      const pad = this.#padTo - (this.#offset % this.#padTo);
      parts.push(new Uint8Array(pad));
      this.#offset += pad;
    }
    return concat(parts);
  }

  #entry(
    fields: number[],
    name: Uint8Array,
    namePad: number,
    data: Uint8Array,
  ): Uint8Array<ArrayBuffer> {
    const start = this.#offset;
    const nameEnd = align4(start + HEADER_SIZE + name.length + 1 + namePad) - start;
    const total = align4(start + nameEnd + data.length) - start;
    const out = new Uint8Array(total);
    out.set(this.#magic, 0);
    const hex = this.#hex;
    for (let f = 0; f < fields.length; f++) {
      const v = fields[f]!;
      const p = 6 + f * 8;
      for (let i = 0; i < 8; i++) out[p + i] = hex[(v >>> (28 - 4 * i)) & 15]!;
    }
    out.set(name, HEADER_SIZE);
    out.set(data, nameEnd);
    this.#offset += total;
    return out;
  }
}

/**
 * Writes a complete cpio archive in one call; see {@linkcode CpioWriter}.
 *
 * @param entries The entries, in archive order.
 * @param options Format, trailer, end padding and hex case.
 * @returns The archive bytes.
 * @throws {TypeError} If `entries` is not iterable, or an entry or option has the wrong type.
 * @throws {RangeError} If a value does not fit its 32-bit header field, or an option is out of range.
 *
 * @example The kernel's default initramfs list, as `gen_init_cpio -t 0` writes it
 * ```ts
 * import { writeCpio } from "@ramroot/ramroot";
 * import assert from "node:assert/strict";
 *
 * const common = { devMajor: 3, devMinor: 1 };
 * const archive = writeCpio([
 *   { ...common, name: "dev", mode: 0o40755, nlink: 2, ino: 721 },
 *   { ...common, name: "dev/console", mode: 0o20600, ino: 722, rdevMajor: 5, rdevMinor: 1 },
 *   { ...common, name: "root", mode: 0o40700, nlink: 2, ino: 723 },
 * ]);
 * assert.equal(archive.length, 512);
 * assert.equal(new TextDecoder().decode(archive.subarray(0, 14)), "070701000002D1");
 * ```
 */
export function writeCpio(
  entries: Iterable<CpioEntry>,
  options?: WriteOptions,
): Uint8Array<ArrayBuffer> {
  if (
    entries === null || typeof entries !== "object" ||
    typeof (entries as Partial<Iterable<CpioEntry>>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError("Cannot write a cpio archive: entries must be iterable");
  }
  const writer = new CpioWriter(options);
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (const entry of entries) parts.push(writer.add(entry));
  parts.push(writer.finish());
  return concat(parts);
}

function align4(n: number): number {
  return n + ((4 - (n % 4)) % 4);
}

function checkU32(v: unknown, field: string, where: string): number {
  if (typeof v !== "number") {
    throw new TypeError(`${where}: ${field} must be a number, got ${typeof v}`);
  }
  if (!Number.isInteger(v) || v < 0 || v > U32_MAX) {
    throw new RangeError(`${where}: ${field} must be an integer in [0, 0xffffffff], got ${v}`);
  }
  return v;
}

function nameBytes(name: unknown, where: string): Uint8Array {
  let bytes: Uint8Array;
  if (typeof name === "string") bytes = new TextEncoder().encode(name);
  else if (name instanceof Uint8Array) bytes = name;
  else throw new TypeError(`${where}: name must be a string or a Uint8Array`);
  if (bytes.includes(0)) {
    throw new RangeError(`${where} "${label(name)}": name contains a NUL byte`);
  }
  return bytes;
}

function label(name: string | Uint8Array): string {
  return typeof name === "string" ? name : new TextDecoder().decode(name);
}
