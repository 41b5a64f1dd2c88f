// Models usr/gen_init_cpio.c (Linux v6.18+): the list-file reader with its
// line-splitting quirks, the six line handlers with their sscanf field rules
// and messages, and the archive stream they write (inode numbers from 721,
// device 3:1, data on the last hard-link name, `-c` checksums, `-a` name
// padding, trailer and 512-byte end padding). The output is byte-identical
// to the tool's for the same list, flags and file contents.

import { concat } from "./_bytes.ts";

/** File metadata the packer needs when no fixed `mtime` is given. */
export interface FileStat {
  /** Modification time in seconds since the Epoch (`st_mtime`). */
  mtime: number;
}

/** Options for {@linkcode packList}, named after the gen_init_cpio flags they model. */
export interface PackListOptions {
  /**
   * The `-t` value: mtime of every entry, in seconds since the Epoch. When
   * absent, directories, nodes and symlinks get the current time and regular
   * files keep their own mtime (via `stat`), as the tool does without `-t`.
   * @default {the current time}
   */
  mtime?: number;
  /**
   * `"crc"` models `-c`: magic 070702 and data checksums.
   * @default {"newc"}
   */
  format?: "newc" | "crc";
  /**
   * The `-a` value: align file data by zero-padding names; 0 = off. Must be a
   * multiple of 4.
   * @default {0}
   */
  dataAlign?: number;
  /**
   * Directory that relative locations are resolved against by the default
   * `readFile` and `stat` (the tool's working directory).
   * @default {the current directory}
   */
  baseDir?: string;
  /**
   * Variables for `${NAME}` expansion in `file` locations; unset names
   * expand to the empty string.
   * @default {the process environment, read only when a location uses `${`}
   */
  env?: Record<string, string | undefined>;
  /**
   * Reads the file at a location (after `${}` expansion, not joined with
   * `baseDir`). A throw models a failed `open()`.
   * @default {Deno.open and read, relative to baseDir}
   */
  readFile?: (path: string) => Uint8Array | Promise<Uint8Array>;
  /**
   * Returns a file's mtime; called only when `mtime` is absent. A throw
   * models a failed `fstat()`.
   * @default {Deno.stat, relative to baseDir}
   */
  stat?: (path: string) => FileStat | Promise<FileStat>;
}

/** What gen_init_cpio would have produced. */
export interface PackListResult {
  /**
   * The bytes the tool writes. When `ok` is false there is no trailer and no
   * end padding, and the archive holds whatever earlier lines (and a handler
   * that failed part-way) had written.
   */
  archive: Uint8Array<ArrayBuffer>;
  /** The tool's stderr (decoded as UTF-8), one string per line, without newlines. */
  diagnostics: string[];
  /** False when the tool would exit with status 255 (some line failed). */
  ok: boolean;
}

const PATH_MAX = 4096;
const LINE_SIZE = 2 * PATH_MAX + 50;
const HEADER_SIZE = 110;
const U32_MAX = 0xffffffff;
const S_IFSOCK = 0o140000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFBLK = 0o060000;
const S_IFDIR = 0o040000;
const S_IFCHR = 0o020000;
const S_IFIFO = 0o010000;
const GENERIC_TYPES = { dir: S_IFDIR, pipe: S_IFIFO, sock: S_IFSOCK } as const;
const HEX = new TextEncoder().encode("0123456789ABCDEF");
const NUL = new Uint8Array(1);
const MAX_EXPANSIONS = 100_000;

/**
 * Builds an initramfs cpio archive from a gen_init_cpio list, reproducing
 * `gen_init_cpio [-t mtime] [-c] [-a dataAlign] <list>` byte for byte,
 * including its line-reading quirks, error messages and partial output.
 *
 * Line errors do not throw: like the tool, packing continues with the next
 * line, the message goes to `diagnostics`, and the result has `ok: false`
 * and no trailer. Only problems the tool rejects before reading the list
 * (bad options) or that it never finishes (endless `${}` expansion) throw.
 *
 * One deliberate difference: a keyword followed by a single blank and the
 * newline (`"dir \n"`) makes the tool print "newline required" and then
 * crash in the handler; here that line fails and packing goes on.
 *
 * @param text The list, as text or raw bytes (names are bytes to the tool).
 * @param options Flags and file access; see {@linkcode PackListOptions}.
 * @returns The archive, the tool's stderr lines, and whether it would succeed.
 * @throws {TypeError} If `text` or an option has the wrong type, or `readFile`
 * or `stat` return the wrong type.
 * @throws {RangeError} If `mtime` is outside [0, 2^32) ("Timestamp out of
 * range for cpio format"), `dataAlign` is not a multiple of 4 in [0, 2^32),
 * `format` is unknown, or a `${}` expansion would never terminate.
 *
 * @example The kernel's default list
 * ```ts
 * import { packList } from "@ramroot/ramroot";
 * import assert from "node:assert/strict";
 *
 * const list = "dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\ndir /root 0700 0 0\n";
 * const { archive, diagnostics, ok } = await packList(list, { mtime: 0 });
 * assert.equal(archive.length, 512);
 * assert.deepEqual(diagnostics, []);
 * assert.equal(ok, true);
 * ```
 *
 * @example Errors are reported like the tool reports them
 * ```ts
 * import { packList } from "@ramroot/ramroot";
 * import assert from "node:assert/strict";
 *
 * const files: Record<string, Uint8Array> = { "hello.txt": new TextEncoder().encode("hi\n") };
 * const result = await packList("file /hello hello.txt 0644 0 0\ndir /x 0755\n", {
 *   mtime: 0,
 *   readFile: (path) => files[path] ?? Promise.reject(new Error("ENOENT")),
 * });
 * assert.deepEqual(result.diagnostics, ["Unrecognized /x 0755 format 'dir' line 2"]);
 * assert.equal(result.ok, false);
 * assert.equal(result.archive.length, 120); // header, "hello\0", "hi\n" + pad; no trailer
 * ```
 */
export async function packList(
  text: string | Uint8Array,
  options: PackListOptions = {},
): Promise<PackListResult> {
  let list: Uint8Array;
  if (typeof text === "string") list = new TextEncoder().encode(text);
  else if (text instanceof Uint8Array) list = text;
  else throw new TypeError("Cannot pack cpio list: text must be a string or a Uint8Array");
  const packer = new ListPacker(options);
  return await packer.run(list);
}

interface Scanned {
  /** sscanf's return value: conversions assigned, or -1 (EOF) on early input failure. */
  count: number;
  values: (Uint8Array | number)[];
}

/** An opened source file: what `open` + `fstat` tell the tool. */
interface Source {
  size: number;
  /** `st_mtime` in seconds, or undefined when fstat() fails. */
  mtime: () => Promise<number | undefined>;
  /** Up to `size` bytes; fewer when reading fails part-way. */
  read: () => Promise<Uint8Array>;
  close: () => void;
}

class ListPacker {
  #out: Uint8Array[] = [];
  #offset = 0;
  #ino = 721;
  #stderr: Uint8Array[] = [];
  #defaultMtime: number;
  #fileMtime: boolean;
  #crc: boolean;
  #dataAlign: number;
  #baseDir: string | undefined;
  #env: Record<string, string | undefined> | undefined;
  #readFile: PackListOptions["readFile"];
  #stat: PackListOptions["stat"];
  #lineNr = 0;

  constructor(options: PackListOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError("Cannot pack cpio list: options must be an object");
    }
    const { mtime, format = "newc", dataAlign = 0, baseDir, env, readFile, stat } = options;
    if (mtime !== undefined && typeof mtime !== "number") {
      throw new TypeError("Cannot pack cpio list: mtime must be a number");
    }
    // The tool checks the -t value, or the current time without -t.
    const defaultMtime = mtime ?? Math.floor(Date.now() / 1000);
    if (!Number.isInteger(defaultMtime) || defaultMtime < 0 || defaultMtime > U32_MAX) {
      throw new RangeError(`Timestamp out of range for cpio format: ${defaultMtime}`);
    }
    if (format !== "newc" && format !== "crc") {
      throw new RangeError(
        `Cannot pack cpio list: format must be "newc" or "crc", got "${format}"`,
      );
    }
    if (typeof dataAlign !== "number") {
      throw new TypeError("Cannot pack cpio list: dataAlign must be a number");
    }
    if (!Number.isInteger(dataAlign) || dataAlign < 0 || dataAlign > U32_MAX || dataAlign % 4) {
      throw new RangeError(`Invalid data_align: ${dataAlign}`);
    }
    if (baseDir !== undefined && typeof baseDir !== "string") {
      throw new TypeError("Cannot pack cpio list: baseDir must be a string");
    }
    if (env !== undefined && (typeof env !== "object" || env === null)) {
      throw new TypeError("Cannot pack cpio list: env must be an object");
    }
    if (readFile !== undefined && typeof readFile !== "function") {
      throw new TypeError("Cannot pack cpio list: readFile must be a function");
    }
    if (stat !== undefined && typeof stat !== "function") {
      throw new TypeError("Cannot pack cpio list: stat must be a function");
    }
    this.#defaultMtime = defaultMtime;
    this.#fileMtime = mtime !== undefined;
    this.#crc = format === "crc";
    this.#dataAlign = dataAlign;
    this.#baseDir = baseDir;
    this.#env = env;
    this.#readFile = readFile;
    this.#stat = stat;
  }

  async run(list: Uint8Array): Promise<PackListResult> {
    let failed = false;
    let start = 0;
    while (start < list.length) {
      // fgets() with a LINE_SIZE buffer: at most LINE_SIZE - 1 bytes, newline included.
      const limit = Math.min(list.length, start + LINE_SIZE - 1);
      const newline = list.subarray(start, limit).indexOf(0x0a);
      const end = newline === -1 ? limit : start + newline + 1;
      const chunk = list.subarray(start, end);
      start = end;
      const lineNr = ++this.#lineNr;
      const nul = chunk.indexOf(0);
      const line = nul === -1 ? chunk : chunk.subarray(0, nul);

      if (line[0] === 0x23) continue; // '#' in column 0 only

      // strtok(line, " \t") for the type...
      let t = 0;
      while (line[t] === 0x20 || line[t] === 0x09) t++;
      if (t === line.length) {
        this.#error(
          "ERROR: incorrect format, could not locate file type line ",
          lineNr,
          ": '",
          line,
          "'\n",
        );
        failed = true;
        break;
      }
      if (line[t] === 0x0a) continue;
      let typeEnd = t;
      while (typeEnd < line.length && line[typeEnd] !== 0x20 && line[typeEnd] !== 0x09) typeEnd++;
      if (t === 0 && typeEnd === line.length) continue;
      // ...which cut the buffer after the token; the buffer start is what is
      // compared and printed, so leading blanks never match a keyword.
      const printed = line.subarray(0, typeEnd);

      // strtok(NULL, "\n") for the arguments.
      let a = typeEnd < line.length ? typeEnd + 1 : typeEnd;
      while (line[a] === 0x0a) a++;
      let args: Uint8Array | undefined;
      if (a < line.length) {
        const argsEnd = line.indexOf(0x0a, a);
        args = line.subarray(a, argsEnd === -1 ? line.length : argsEnd);
      } else {
        this.#error(
          "ERROR: incorrect format, newline required line ",
          lineNr,
          ": '",
          printed,
          "'\n",
        );
        failed = true;
      }

      const keyword = latin1(printed);
      if (
        keyword === "file" || keyword === "nod" || keyword === "slink" ||
        Object.hasOwn(GENERIC_TYPES, keyword)
      ) {
        // Without arguments the tool calls the handler with NULL and crashes;
        // we stop at the message above and treat the line as failed.
        if (args === undefined) continue;
        if (!await this.#handle(keyword, args)) {
          this.#error(" line ", lineNr, "\n");
          failed = true;
        }
      } else {
        this.#error("unknown file type line ", lineNr, ": '", printed, "'\n");
      }
    }
    if (!failed) this.#trailer();
    const stderr = new TextDecoder().decode(concat(this.#stderr));
    const diagnostics = stderr === "" ? [] : stderr.replace(/\n$/, "").split("\n");
    return { archive: concat(this.#out), diagnostics, ok: !failed };
  }

  #handle(keyword: string, args: Uint8Array): boolean | Promise<boolean> {
    switch (keyword) {
      case "file":
        return this.#fileLine(args);
      case "nod":
        return this.#nodLine(args);
      case "slink":
        return this.#slinkLine(args);
      default:
        return this.#genericLine(args, keyword as keyof typeof GENERIC_TYPES);
    }
  }

  #genericLine(args: Uint8Array, type: keyof typeof GENERIC_TYPES): boolean {
    const { count, values } = scan(args, "s o d d");
    if (count !== 4) {
      // Upstream passes the two arguments in the wrong order.
      this.#error("Unrecognized ", args, " format '", type, "'");
      return false;
    }
    const [name, mode, uid, gid] = values as [Uint8Array, number, number, number];
    // pipe and sock share the directory path, nlink 2 included.
    this.#node(name, (mode | GENERIC_TYPES[type]) >>> 0, uid, gid, 2, 0, 0);
    return true;
  }

  #nodLine(args: Uint8Array): boolean {
    const { count, values } = scan(args, "s o d d c u u");
    if (count !== 7) {
      this.#error("Unrecognized nod format '", args, "'");
      return false;
    }
    const [name, mode, uid, gid, devType, major, minor] = values as [
      Uint8Array,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const type = devType === 0x62 ? S_IFBLK : S_IFCHR; // 'b', anything else is a char device
    this.#node(name, (mode | type) >>> 0, uid, gid, 1, major, minor);
    return true;
  }

  #node(
    rawName: Uint8Array,
    mode: number,
    uid: number,
    gid: number,
    nlink: number,
    rdevMajor: number,
    rdevMinor: number,
  ): void {
    const name = stripSlash(rawName);
    const nameSize = name.length + 1;
    this.#header([
      this.#nextIno(),
      mode,
      uid,
      gid,
      nlink,
      this.#defaultMtime,
      0,
      3,
      1,
      rdevMajor,
      rdevMinor,
      nameSize,
      0,
    ]);
    this.#push(name, NUL);
    // Padding counted from the header start, not from the stream offset.
    this.#pad(padLength(nameSize + HEADER_SIZE, 4));
  }

  #slinkLine(args: Uint8Array): boolean {
    const { count, values } = scan(args, "s s o d d");
    if (count !== 5) {
      // Upstream's slink parser reports itself as "dir".
      this.#error("Unrecognized dir format '", args, "'");
      return false;
    }
    const [rawName, target, mode, uid, gid] = values as [
      Uint8Array,
      Uint8Array,
      number,
      number,
      number,
    ];
    const name = stripSlash(rawName);
    this.#header([
      this.#nextIno(),
      (S_IFLNK | mode) >>> 0,
      uid,
      gid,
      1,
      this.#defaultMtime,
      target.length + 1, // the target is stored with its NUL
      3,
      1,
      0,
      0,
      name.length + 1,
      0,
    ]);
    this.#push(name, NUL);
    this.#pad(padLength(this.#offset, 4));
    this.#push(target, NUL);
    this.#pad(padLength(this.#offset, 4));
    return true;
  }

  async #fileLine(args: Uint8Array): Promise<boolean> {
    const { count, values } = scan(args, "s s o d d n");
    if (count < 5) {
      this.#error("Unrecognized file format '", args, "'");
      return false;
    }
    const [name, location, mode, uid, gid] = values as [
      Uint8Array,
      Uint8Array,
      number,
      number,
      number,
    ];
    const names = [name];
    let end = values[5] as number;
    if (end && isGraph(args[end])) {
      // Hard-link names follow gid, as long as each starts with a printable character.
      do {
        const link = scan(args.subarray(end), "s n");
        if (link.count < 1) break;
        names.push(link.values[0] as Uint8Array);
        end += link.values[1] as number;
      } while (isGraph(args[end]));
    }
    return await this.#file(names, this.#expand(location), (mode | S_IFREG) >>> 0, uid, gid);
  }

  async #file(
    names: Uint8Array[],
    location: Uint8Array,
    mode: number,
    uid: number,
    gid: number,
  ): Promise<boolean> {
    const source = await this.#open(new TextDecoder().decode(location));
    if (source === "open") {
      this.#error("File ", location, " could not be opened for reading\n");
      return false;
    }
    if (source === "stat") {
      this.#error("File ", location, " could not be stat()'ed\n");
      return false;
    }
    try {
      let mtime = this.#defaultMtime;
      if (!this.#fileMtime) {
        const stat = await source.mtime();
        if (stat === undefined) {
          this.#error("File ", location, " could not be stat()'ed\n");
          return false;
        }
        mtime = stat;
        if (mtime > U32_MAX) {
          this.#error(location, ": Timestamp exceeds maximum cpio timestamp, clipping.\n");
          mtime = U32_MAX;
        }
        if (mtime < 0) {
          this.#error(location, ": Timestamp negative, clipping.\n");
          mtime = 0;
        }
      }
      if (source.size > U32_MAX) {
        this.#error(location, ": Size exceeds maximum cpio file size\n");
        return false;
      }
      const data = await source.read();
      let check = 0;
      if (this.#crc) {
        if (data.length < source.size) {
          this.#error("Failed to checksum file ", location, "\n");
          return false;
        }
        for (let i = 0; i < data.length; i++) check = (check + data[i]!) >>> 0;
      }

      const ino = this.#ino;
      const align = this.#dataAlign;
      for (let i = 0; i < names.length; i++) {
        const name = stripSlash(names[i]!);
        const nameSize = name.length + 1;
        // Data (and so the checksum) goes on the last name only.
        const size = i === names.length - 1 ? source.size : 0;
        let namePad = 0;
        if (align && size > align) {
          namePad = padLength(this.#offset + HEADER_SIZE + nameSize, align);
          if (nameSize + namePad > PATH_MAX) {
            this.#error(name, ": best-effort alignment ", align, " missed\n");
            namePad = 0;
          }
        }
        this.#header([
          ino,
          mode,
          uid,
          gid,
          names.length,
          mtime,
          size,
          3,
          1,
          0,
          0,
          nameSize + namePad,
          size ? check : 0,
        ]);
        this.#push(name, NUL);
        this.#pad(namePad ? namePad : padLength(this.#offset, 4));
        if (size) {
          this.#push(data.subarray(0, size));
          if (data.length < size) {
            // Whatever could be read stays in the stream, unpadded.
            this.#error("Can not read ", location, " file\n");
            return false;
          }
        }
        this.#pad(padLength(this.#offset, 4));
      }
      this.#nextIno();
      return true;
    } finally {
      source.close();
    }
  }

  /** Models open() + fstat() of a location, naming the call that failed. */
  async #open(path: string): Promise<Source | "open" | "stat"> {
    const userStat = this.#stat;
    const mtimeOf = async (): Promise<number | undefined> => {
      let info: FileStat;
      try {
        info = userStat ? await userStat(path) : await defaultStat(this.#resolve(path));
      } catch (e) {
        if (e instanceof Deno.errors.NotCapable) throw e;
        return undefined;
      }
      if (typeof info !== "object" || info === null || !Number.isFinite(info.mtime)) {
        throw new TypeError(`Cannot pack cpio list: stat("${path}") must return { mtime: number }`);
      }
      return Math.floor(info.mtime);
    };

    const readFile = this.#readFile;
    if (readFile !== undefined) {
      let data: Uint8Array;
      try {
        data = await readFile(path);
      } catch {
        return "open";
      }
      if (!(data instanceof Uint8Array)) {
        throw new TypeError(`Cannot pack cpio list: readFile("${path}") must return a Uint8Array`);
      }
      return { size: data.length, mtime: mtimeOf, read: () => Promise.resolve(data), close() {} };
    }

    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.#resolve(path), { read: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable) throw e;
      return "open";
    }
    let info: Deno.FileInfo | undefined;
    try {
      info = await file.stat();
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable) throw e;
    }
    if (info === undefined) {
      file.close();
      return "stat";
    }
    const size = info.size;
    return {
      size,
      mtime: userStat ? mtimeOf : () => Promise.resolve(secondsOf(info.mtime)),
      read: () => readUpTo(file, size),
      close: () => file.close(),
    };
  }

  #resolve(path: string): string {
    const base = this.#baseDir;
    if (!base || path.startsWith("/")) return path;
    return `${base.replace(/\/+$/, "")}/${path}`;
  }

  #expand(location: Uint8Array): Uint8Array {
    // Repeatedly replace the first "${" that has a later "}", rescanning from
    // the start; the result is cut to PATH_MAX bytes each time.
    let current = location;
    const seen = new Set<string>();
    for (let round = 0;; round++) {
      const open = indexOfDollarBrace(current);
      if (open === -1) return current;
      const close = current.indexOf(0x7d, open + 2);
      if (close === -1) return current;
      const state = latin1(current);
      if (seen.has(state) || round >= MAX_EXPANSIONS) {
        throw new RangeError(
          `Cannot expand location "${
            new TextDecoder().decode(location)
          }" on line ${this.#lineNr}: ` +
            "the ${} expansion never terminates",
        );
      }
      seen.add(state);
      const value = this.#getenv(new TextDecoder().decode(current.subarray(open + 2, close)));
      const next = concat([current.subarray(0, open), value, current.subarray(close + 1)]);
      current = next.length > PATH_MAX ? next.subarray(0, PATH_MAX) : next;
    }
  }

  #getenv(name: string): Uint8Array {
    let value: string | undefined;
    if (name === "" || name.includes("=") || name.includes("\0")) value = undefined;
    else if (this.#env) value = Object.hasOwn(this.#env, name) ? this.#env[name] : undefined;
    else value = Deno.env.get(name);
    if (typeof value !== "string") return new Uint8Array(0);
    const bytes = new TextEncoder().encode(value);
    const nul = bytes.indexOf(0);
    return nul === -1 ? bytes : bytes.subarray(0, nul);
  }

  #nextIno(): number {
    const ino = this.#ino;
    this.#ino = (ino + 1) >>> 0;
    return ino;
  }

  #header(fields: number[]): void {
    const out = new Uint8Array(HEADER_SIZE);
    out.set(this.#crc ? MAGIC_CRC : MAGIC_NEWC);
    for (let f = 0; f < fields.length; f++) {
      const v = fields[f]!;
      for (let i = 0; i < 8; i++) out[6 + f * 8 + i] = HEX[(v >>> (28 - 4 * i)) & 15]!;
    }
    this.#push(out);
  }

  #push(...parts: Uint8Array[]): void {
    for (const part of parts) {
      this.#out.push(part);
      this.#offset += part.length;
    }
  }

  #pad(length: number): void {
    if (length) this.#push(new Uint8Array(length));
  }

  #trailer(): void {
    const name = new TextEncoder().encode("TRAILER!!!");
    this.#header([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, name.length + 1, 0]);
    this.#push(name, NUL);
    this.#pad(padLength(name.length + 1 + HEADER_SIZE, 4));
    this.#pad(padLength(this.#offset, 512));
  }

  #error(...parts: (string | number | Uint8Array)[]): void {
    for (const part of parts) {
      this.#stderr.push(
        part instanceof Uint8Array ? part : new TextEncoder().encode(String(part)),
      );
    }
  }
}

const MAGIC_NEWC = new TextEncoder().encode("070701");
const MAGIC_CRC = new TextEncoder().encode("070702");

/**
 * A small model of glibc `sscanf` for the directives the tool uses: `s`
 * (`%4096s`), `o`, `d`, `u`, `c`, `n`, and a space for a whitespace
 * directive. Whitespace is C-locale `isspace`.
 */
function scan(input: Uint8Array, format: string): Scanned {
  const values: (Uint8Array | number)[] = [];
  let pos = 0;
  let count = 0;
  for (const directive of format) {
    if (directive === " ") {
      while (isSpace(input[pos])) pos++;
      continue;
    }
    if (directive === "n") {
      values.push(pos);
      continue;
    }
    if (directive !== "c") { while (isSpace(input[pos])) pos++; }
    if (pos >= input.length) return { count: count === 0 ? -1 : count, values };
    if (directive === "c") {
      values.push(input[pos++]!);
    } else if (directive === "s") {
      const start = pos;
      while (pos < input.length && pos - start < PATH_MAX && !isSpace(input[pos])) pos++;
      values.push(input.slice(start, pos));
    } else {
      const parsed = scanInteger(input, pos, directive);
      if (parsed === undefined) return { count, values };
      values.push(parsed.value);
      pos = parsed.end;
    }
    count++;
  }
  return { count, values };
}

const LONG_MIN = -(1n << 63n);
const LONG_MAX = (1n << 63n) - 1n;
const ULONG_MAX = (1n << 64n) - 1n;

/**
 * `%d` stores `(int) strtol(...)`, `%u`/`%o` store `(unsigned) strtoul(...)`:
 * out-of-range values clamp at 64 bits, then keep their low 32 bits (which is
 * also what the tool's casts to uid_t/gid_t do).
 */
function scanInteger(
  input: Uint8Array,
  start: number,
  kind: string,
): { value: number; end: number } | undefined {
  const base = kind === "o" ? 8 : 10;
  let pos = start;
  let negative = false;
  if (input[pos] === 0x2b || input[pos] === 0x2d) negative = input[pos++] === 0x2d;
  const digitsStart = pos;
  let magnitude = 0n;
  while (pos < input.length) {
    const digit = input[pos]! - 0x30;
    if (digit < 0 || digit >= base) break;
    magnitude = magnitude * BigInt(base) + BigInt(digit);
    pos++;
  }
  if (pos === digitsStart) return undefined;
  let value: bigint;
  if (kind === "d") {
    value = negative ? -magnitude : magnitude;
    if (value < LONG_MIN) value = LONG_MIN;
    if (value > LONG_MAX) value = LONG_MAX;
  } else if (magnitude > ULONG_MAX) {
    value = ULONG_MAX;
  } else {
    value = negative ? (ULONG_MAX + 1n - magnitude) & ULONG_MAX : magnitude;
  }
  return { value: Number(BigInt.asUintN(32, value)), end: pos };
}

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d);
}

function isGraph(c: number | undefined): boolean {
  return c !== undefined && c > 0x20 && c < 0x7f;
}

/** The tool's `padlen()`: a bit mask, so only right for powers of two (§7 of the spec). */
function padLength(offset: number, align: number): number {
  const masked = ((offset >>> 0) & (align - 1)) >>> 0;
  return (align - masked) % align;
}

function stripSlash(name: Uint8Array): Uint8Array {
  return name[0] === 0x2f ? name.subarray(1) : name;
}

function indexOfDollarBrace(bytes: Uint8Array): number {
  for (
    let i = bytes.indexOf(0x24);
    i !== -1 && i + 1 < bytes.length;
    i = bytes.indexOf(0x24, i + 1)
  ) {
    if (bytes[i + 1] === 0x7b) return i;
  }
  return -1;
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function secondsOf(date: Date | null): number {
  return date === null ? 0 : Math.floor(date.getTime() / 1000);
}

async function defaultStat(path: string): Promise<FileStat> {
  return { mtime: secondsOf((await Deno.stat(path)).mtime) };
}

async function readUpTo(file: Deno.FsFile, size: number): Promise<Uint8Array> {
  // A file that grew after fstat() contributes only its old size; one that
  // shrank, or cannot be read (a directory), yields what was read.
  const buffer = new Uint8Array(size);
  let got = 0;
  try {
    while (got < size) {
      const n = await file.read(buffer.subarray(got));
      if (n === null || n === 0) break;
      got += n;
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
  }
  return buffer.subarray(0, got);
}
