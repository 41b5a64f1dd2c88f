// unpack_to_rootfs() (init/initramfs.c) over a streaming source: the plain
// member walk, hand-off of compressed members to a decompressor, and the
// conversion of the core's message codes into the kernel's words.

import { CPIO_CODES, CpioError, type CpioErrorCode, type Errno, errnoName } from "./errors.ts";
import {
  type Compression,
  getProfile,
  type KernelProfile,
  profileFlags,
  type ProfileName,
} from "./profile.ts";
import { coreOf, PATH_AREA, type Superblock } from "./superblock.ts";
import type { Core } from "./wasm_core.ts";
import { detectCompression } from "./decompress.ts";
import { decoderFor, type MemberDecoder } from "./decoders/mod.ts";
import type { DecodeResult, ImageReader } from "./decoders/types.ts";
import { DecoderPipe, type PipeJob } from "./decoders/_pipe.ts";
import { fromFileUrl } from "./_path.ts";
import { concat } from "./_bytes.ts";

/** What can be unpacked: bytes, a stream or iterable of chunks, or a file path. */
export type UnpackSource =
  | Uint8Array
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | string
  | URL;

/** Options of {@linkcode unpack}. */
export interface UnpackOptions {
  /** Kernel profile. @default {"linux-6.1"} */
  profile?: ProfileName | KernelProfile;
  /** "Now" in seconds for everything the kernel stamps with the current time. @default {Date.now()/1000} */
  now?: number;
  /** Read size for file paths, in bytes. @default {1048576} */
  readSize?: number;
  /**
   * Decode large compressed members of a file image on a second thread, while
   * this one parses (the result is the same). @default {true}
   */
  threads?: boolean;
}

/** A line the kernel logs. */
export interface KernelMessage {
  /** printk level (0 emerg ... 7 debug). */
  level: number;
  /** The text, without the trailing newline. */
  text: string;
}

/** Codes of silent skips, each a kernel leniency ramroot reports. */
export const WARNING_CODES = {
  1: "NAME_SIZE",
  2: "SYMLINK_TOO_LONG",
  3: "DATA_ON_NON_FILE",
  4: "CREATE_FAILED",
  5: "UNKNOWN_TYPE",
  6: "LINK_FAILED",
  7: "NAME_UNTERMINATED",
} as const;

/** A warning code. */
export type WarningCode = typeof WARNING_CODES[keyof typeof WARNING_CODES];

/** An entry the kernel skipped or could not create, silently. */
export interface Warning {
  /** What happened. */
  code: WarningCode;
  /** Offset of the entry's header (in the image, or in the member when `member` is set). */
  offset: number;
  /** 1-based index of the entry in this unpack call. */
  entry: number;
  /** The errno the filesystem gave, for CREATE_FAILED and LINK_FAILED. */
  errno?: Errno;
}

/** Counts of what an unpack created. */
export interface UnpackCounts {
  /** Regular files created (not counting hard links). */
  files: number;
  /** Directory entries. */
  dirs: number;
  /** Symlinks created. */
  symlinks: number;
  /** Character and block devices. */
  devices: number;
  /** FIFOs. */
  fifos: number;
  /** Sockets. */
  sockets: number;
  /** Names made as hard links. */
  hardlinks: number;
  /** `TRAILER!!!` entries. */
  trailers: number;
  /** Entries skipped silently (see warnings). */
  skipped: number;
}

/** The outcome of {@linkcode unpack}. */
export interface UnpackResult {
  /** Headers processed. */
  entries: number;
  /** What was created. */
  counts: UnpackCounts;
  /** File data bytes written into the filesystem. */
  dataBytes: number;
  /** Bytes of input read. */
  inputBytes: number;
  /** Silent skips (the last 256 are kept; `warningCount` has them all). */
  warnings: Warning[];
  /** Total number of warnings. */
  warningCount: number;
  /** What the kernel would log while unpacking (pr_err lines, decompressor messages). */
  messages: KernelMessage[];
  /** The parts of the image as the kernel's member walk met them, in order. */
  segments: Segment[];
}

/**
 * A part of an image: a compressed member, or a run of plain archives and
 * NUL padding between members (the kernel walks both in the same loop).
 */
export interface Segment {
  /** Offset in the image. */
  offset: number;
  /** Bytes of the image it covers (for a member: the decoder's my_inptr). */
  length: number;
  /** The compression, or `"none"` for plain archives and padding. */
  compression: Compression | "none";
  /** Bytes the cpio parser saw: the decompressed size, or `length`. */
  output: number;
  /** `TRAILER!!!` entries inside: the archives that ended. */
  archives: number;
  /** Entries inside (trailers not counted). */
  entries: number;
  /** NUL bytes between this segment and the next one (or the end). */
  padding: number;
}

/** @internal The outcome with the error returned, not thrown. */
export interface UnpackOutcome {
  result: UnpackResult;
  error: CpioError | null;
}

const MESSAGE_CODES: CpioErrorCode[] = [
  "BAD_MAGIC",
  "BAD_MAGIC",
  "ODC_FORMAT",
  "BAD_HEX",
  "MALFORMED",
  "BAD_CHECKSUM",
  "WRITE_ERROR",
  "BAD_PADDING",
  "JUNK_WITHIN",
  "BAD_COMPRESSION_MAGIC",
  "JUNK_AFTER_MEMBER",
];

/** Chunks of a source, in any sizes. */
export async function* chunksOf(
  source: UnpackSource,
  readSize = 1 << 20,
): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  if (typeof source === "string" || source instanceof URL) {
    using file = await Deno.open(source, { read: true });
    // Two buffers, reused: the next read runs (on another thread) while the
    // caller consumes this chunk. A yielded chunk is valid until the next one.
    const bufs = [new Uint8Array(readSize), new Uint8Array(readSize)];
    let i = 0;
    let pending: Promise<number | null> = file.read(bufs[0]!);
    try {
      while (true) {
        const n = await pending;
        if (n === null) break;
        const cur = bufs[i]!;
        i ^= 1;
        pending = file.read(bufs[i]!);
        yield cur.subarray(0, n);
      }
    } finally {
      await pending.catch(() => null);
    }
    return;
  }
  if (source instanceof ReadableStream) {
    const reader = source.getReader();
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
    return;
  }
  if (Symbol.asyncIterator in source) {
    for await (const c of source as AsyncIterable<Uint8Array>) yield c;
    return;
  }
  if (Symbol.iterator in source) {
    for (const c of source as Iterable<Uint8Array>) yield c;
    return;
  }
  throw new TypeError("Cannot unpack: expected bytes, a stream, an iterable of chunks or a path");
}

/** Every byte of a source, in one array (a file is read whole; bytes are returned as they are). */
export async function bytesOf(source: UnpackSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  const parts: Uint8Array[] = [];
  // a file's chunks live in reused buffers: keep copies
  for await (const c of chunksOf(source)) parts.push(c.slice());
  return concat(parts);
}

/**
 * Unpacks an initramfs image into `fs` as the kernel's unpack_to_rootfs()
 * would: entries are created relative to the root, later entries overwrite
 * earlier ones by the kernel's rules, directory mtimes are applied at the end.
 *
 * @param fs the filesystem to unpack into
 * @param source the image (several concatenated archives and members are one image)
 * @param options profile and clock
 * @returns counts, warnings and the kernel's log lines
 * @throws {CpioError} with the kernel's message when the kernel would stop;
 *   what was unpacked before stays in `fs`, as in the kernel
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Tmpfs, unpack, writeCpio } from "@ramroot/ramroot";
 * const fs = new Tmpfs();
 * const image = writeCpio([{ name: "hello", mode: 0o100644, data: new TextEncoder().encode("hi\n") }]);
 * const result = await unpack(fs, image);
 * assert.equal(result.counts.files, 1);
 * assert.equal(new TextDecoder().decode(fs.readFile("/hello")), "hi\n");
 * ```
 */
export async function unpack(
  fs: Superblock,
  source: UnpackSource,
  options: UnpackOptions = {},
): Promise<UnpackResult> {
  const { result, error } = await unpackOutcome(fs, source, options);
  if (error) throw error;
  return result;
}

/** @internal unpack() that returns the error with the result. */
export async function unpackOutcome(
  fs: Superblock,
  source: UnpackSource,
  options: UnpackOptions = {},
): Promise<UnpackOutcome> {
  const profile = getProfile(options.profile);
  const core = coreOf(fs);
  const x = core.x;
  const now = options.now ?? Date.now() / 1000;
  const cap = core.inputSize - PATH_AREA;
  const messages: KernelMessage[] = [];
  const segments: Segment[] = [];
  // the run being walked: where it starts, its first non-NUL byte, and the
  // entries and trailers before it
  let segStart = 0;
  let segFirst = -1;
  let segEntries = 0;
  let segTrailers = 0;
  const seek = (bytes: Uint8Array, from: number, abs: number): void => {
    if (segFirst >= 0) return;
    for (let i = from; i < bytes.length; i++) {
      if (bytes[i] !== 0) {
        segFirst = abs + i;
        return;
      }
    }
  };
  const endSegment = (
    end: number,
    compression: Compression | "none",
    output: number | null,
  ): void => {
    const entries = x.entryIndex();
    const trailers = x.count(7);
    if (compression !== "none") {
      segments.push({
        offset: segStart,
        length: end - segStart,
        compression,
        output: output!,
        archives: trailers - segTrailers,
        entries: entries - segEntries - (trailers - segTrailers),
        padding: 0,
      });
    } else if (segFirst >= 0 && segFirst < end) {
      // NULs before a plain archive follow the previous segment
      const last = segments[segments.length - 1];
      if (last) last.padding += segFirst - segStart;
      segments.push({
        offset: segFirst,
        length: end - segFirst,
        compression,
        output: end - segFirst,
        archives: trailers - segTrailers,
        entries: entries - segEntries - (trailers - segTrailers),
        padding: 0,
      });
    } else {
      const last = segments[segments.length - 1];
      if (last) last.padding += end - segStart;
    }
    segStart = end;
    segFirst = -1;
    segEntries = entries;
    segTrailers = trailers;
  };
  let inputBytes = 0;
  let errorMember: number | undefined;
  let extraError: CpioError | null = null;
  const warnBase = x.warnCount();
  const counts0 = countsOf(core);
  const bytes0 = Number(x.bytesWritten());

  x.unpackBegin(BigInt(Math.floor(now)), profileFlags(profile));
  segEntries = x.entryIndex();
  segTrailers = x.count(7);

  // The plain walk runs in the core; at a compressed member the rest of the
  // image is gathered and members are decompressed one by one.
  let rest: Rest | null = null;
  const size = typeof source === "string" || source instanceof URL
    ? (await Deno.stat(source)).size
    : null;
  const it = chunksOf(source, options.readSize);
  outer: for await (const chunk of it) {
    inputBytes += chunk.length;
    seek(chunk, 0, inputBytes - chunk.length);
    let off = 0;
    while (off < chunk.length) {
      const n = core.load(chunk.subarray(off, off + cap));
      const st = x.feedPlain(n);
      if (st === 1) break outer;
      if (st === 2) {
        const first = chunk.subarray(off + x.stopPos());
        const at = inputBytes - first.length;
        if (size !== null && size > at) {
          // a file stays a file: members read it as they go
          rest = Rest.ofFile(source as string | URL, at, size - at);
          inputBytes = size;
        } else {
          rest = Rest.ofBytes(await gatherRest(first, it), at);
          inputBytes = at + rest.length;
        }
        break outer;
      }
      off += n;
    }
  }

  // Members (and whatever follows them) of the rest of the image.
  let pos = 0;
  const used = new Set<MemberDecoder>();
  let pipe: DecoderPipe | null = null;
  try {
    while (rest !== null && pos < rest.length && x.message() === 0 && extraError === null) {
      const start = Number(x.offset());
      endSegment(start, "none", null);
      const kind = detectCompression(rest.at(pos, 2));
      if (kind === null) {
        x.setMessage(9, BigInt(start));
        break;
      }
      if (!profile.compressions.includes(kind)) {
        extraError = unconfigured(profile, kind, start);
        break;
      }
      const decoder = decoderFor(profile, kind);
      if (decoder === undefined) {
        extraError = new CpioError(
          "UNSUPPORTED_COMPRESSION",
          `ramroot cannot decompress ${kind} members`,
          { offset: start },
        );
        break;
      }
      used.add(decoder);
      x.memberBegin();
      // flush_buffer(): each output buffer of the decoder is one kernel buffer
      let output = 0;
      const flush = (chunk: Uint8Array): boolean => {
        if (x.message() !== 0) return false;
        // an empty buffer (unlzma's last flush) leaves the kernel's state as it is
        if (chunk.length === 0) return true;
        output += chunk.length;
        feedMemberBytes(core, cap, chunk, true);
        // offsets of messages raised inside the member are member-relative
        if (x.message() !== 0) errorMember ??= start;
        return true;
      };
      let out: DecodeResult | null = null;
      if (
        options.threads !== false && rest.path !== null && decoder.decodeReader &&
        rest.length - pos >= PIPE_MIN
      ) {
        pipe ??= openPipe();
        if (pipe !== null) {
          out = piped(
            pipe,
            {
              path: rest.path,
              offset: rest.base + pos,
              length: rest.length - pos,
              kind,
              profile,
            },
            decoder,
            rest.reader(pos)!,
            core,
            cap,
            (n) => {
              output += n;
            },
          );
          if (x.message() !== 0) errorMember ??= start;
        }
      }
      if (out === null) {
        const reader = decoder.decodeReader ? rest.reader(pos) : null;
        out = reader
          ? decoder.decodeReader!(reader, flush)
          : decoder.decode(rest.bytes().subarray(pos), flush);
      }
      if (!out.ok && x.message() === 0) {
        extraError = new CpioError("DECOMPRESSOR", out.message ?? "decompressor failed", {
          offset: start,
        });
      }
      // a my_inptr past the end (a gzip member without its 8-byte trailer)
      // would send the kernel past its buffer: the image ends there
      const consumed = Math.min(out.consumed, rest.length - pos);
      x.memberEnd(BigInt(consumed), extraError ? 0 : 1);
      endSegment(start + consumed, kind, output);
      pos += consumed;
      // after a member the plain walk resumes: NUL padding, plain archives, members
      while (pos < rest.length && x.message() === 0) {
        const w = rest.at(pos, cap);
        seek(w, 0, rest.base + pos);
        const n = core.load(w);
        const st = x.feedPlain(n);
        if (st === 2) {
          pos += x.stopPos();
          break;
        }
        pos += n;
      }
    }
  } finally {
    rest?.close();
    pipe?.close();
  }

  for (const d of used) d.release?.();
  // the plain run the walk was in when it stopped (at an error: up to there)
  if (x.message() === 0 && extraError === null) endSegment(inputBytes, "none", null);
  else if (segStart < Number(x.offset())) endSegment(Number(x.offset()), "none", null);
  const code = x.unpackEnd();
  const result = buildResult(core, warnBase, counts0, bytes0, inputBytes, messages, segments);
  let error: CpioError | null = extraError;
  if (code !== 0 && error === null) {
    const errCode = MESSAGE_CODES[code] ?? "BAD_MAGIC";
    const kernelMessage = CPIO_CODES[errCode];
    const nameLen = x.errNameLen();
    let name: string | undefined;
    if (nameLen !== 0) {
      const bytes = core.view(x.errName(), nameLen).slice();
      name = latin(bytes);
      if (errCode === "MALFORMED") {
        const what = x.errNameKind() === 1 ? "symlink" : "name";
        messages.push({ level: 3, text: `initramfs ${what} without nulterm: ${name}` });
      }
    }
    const member = errorMember;
    error = new CpioError(errCode, kernelMessage, {
      offset: Number(x.errOffset()),
      ...(member !== undefined ? { member } : {}),
      entry: { index: x.errEntry(), ...(name !== undefined ? { name } : {}) },
    });
  }
  return { result, error };
}

// The rest of a source from `first` on, in one buffer.
async function gatherRest(
  first: Uint8Array,
  it: AsyncIterator<Uint8Array>,
): Promise<Uint8Array> {
  // a yielded chunk is only valid until the next one
  const parts: Uint8Array[] = [first.slice()];
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    parts.push(r.value.slice());
  }
  return concat(parts);
}

/** The image from its first compressed member on: in memory, or in its file. */
class Rest {
  /** Absolute offset of the first byte. */
  readonly base: number;
  readonly length: number;
  #bytes: Uint8Array | null;
  #file: Deno.FsFile | null;
  #win = new Uint8Array(0);
  #winPos = 0;

  private constructor(
    base: number,
    length: number,
    bytes: Uint8Array | null,
    file: Deno.FsFile | null,
  ) {
    this.base = base;
    this.length = length;
    this.#bytes = bytes;
    this.#file = file;
  }

  static ofBytes(bytes: Uint8Array, base = 0): Rest {
    return new Rest(base, bytes.length, bytes, null);
  }

  static ofFile(path: string | URL, base: number, length: number): Rest {
    const rest = new Rest(base, length, null, Deno.openSync(path, { read: true }));
    rest.path = path instanceof URL ? fromFileUrl(path) : path;
    return rest;
  }

  /** The file, while the bytes stay in it. */
  path: string | null = null;

  #read(pos: number, into: Uint8Array): number {
    const f = this.#file!;
    f.seekSync(this.base + pos, Deno.SeekMode.Start);
    let n = 0;
    while (n < into.length) {
      const k = f.readSync(into.subarray(n));
      if (k === null || k === 0) break;
      n += k;
    }
    return n;
  }

  /** Up to `n` bytes at `pos` (fewer at the end); valid until the next call. */
  at(pos: number, n: number): Uint8Array {
    const end = Math.min(pos + n, this.length);
    if (this.#bytes) return this.#bytes.subarray(pos, end);
    if (pos < this.#winPos || end > this.#winPos + this.#win.length) {
      const size = Math.min(Math.max(n, 1 << 20), this.length - pos);
      const buf = this.#win.buffer.byteLength >= size
        ? new Uint8Array(this.#win.buffer, 0, size)
        : new Uint8Array(size);
      this.#win = buf.subarray(0, this.#read(pos, buf));
      this.#winPos = pos;
    }
    return this.#win.subarray(pos - this.#winPos, end - this.#winPos);
  }

  /** A reader from `pos`, or null when the bytes are in memory anyway. */
  reader(pos: number): ImageReader | null {
    if (this.#bytes) return null;
    return {
      length: this.length - pos,
      read: (p, into) =>
        this.#read(
          pos + p,
          into.subarray(0, Math.max(0, Math.min(into.length, this.length - pos - p))),
        ),
    };
  }

  /** All of it in memory (read once, on demand). */
  bytes(): Uint8Array {
    if (this.#bytes === null) {
      const all = new Uint8Array(this.length);
      const n = this.#read(0, all);
      this.#bytes = all.subarray(0, n);
      this.close();
      this.path = null;
    }
    return this.#bytes;
  }

  close(): void {
    this.#file?.close();
    this.#file = null;
  }
}

// Members from this size on are decoded on a second thread (below it, starting
// the worker costs more than it saves).
const PIPE_MIN = 4 << 20;

function openPipe(): DecoderPipe | null {
  try {
    return new DecoderPipe();
  } catch {
    return null; // no workers here: decode on this thread
  }
}

// A member decoded by the pipe's worker while this thread parses, with the
// same outcome as decoding here: when the parser stops the member, the
// worker may have decoded further than the kernel's decoder would, so the
// decoder runs again here up to the flush that stopped it, for my_inptr.
// flush_buffer()'s write_buffer() over `bytes` of decoded output, through the
// core's input buffer (`cap` bytes at a time); `endOfKernelBuffer` when they
// end one of the decoder's output buffers.
function feedMemberBytes(
  core: Core,
  cap: number,
  bytes: Uint8Array,
  endOfKernelBuffer: boolean,
): void {
  const x = core.x;
  let p = 0;
  while (p < bytes.length && x.message() === 0) {
    const n = core.load(bytes.subarray(p, p + cap));
    p += n;
    x.feedMember(n, endOfKernelBuffer && p === bytes.length ? 1 : 0);
  }
}

function piped(
  pipe: DecoderPipe,
  job: Omit<PipeJob, "sab">,
  decoder: MemberDecoder,
  reader: ImageReader,
  core: Core,
  cap: number,
  counted: (n: number) => void,
): DecodeResult {
  const x = core.x;
  let flushes = 0; // flushes begun
  let stoppedIn = -1; // the flush in which the parser got its message
  let midFlush = false;
  const out = pipe.run(job, (bytes, last) => {
    if (!midFlush) flushes++;
    midFlush = !last;
    if (x.message() !== 0) {
      // the rest of the flush that stopped the parser still counts as output
      if (flushes - 1 === stoppedIn) counted(bytes.length);
      return false;
    }
    counted(bytes.length);
    feedMemberBytes(core, cap, bytes, last);
    if (x.message() !== 0) {
      stoppedIn = flushes - 1;
      return false;
    }
    return true;
  });
  if (stoppedIn < 0) return out;
  let calls = 0;
  return decoder.decodeReader!(reader, () => calls++ <= stoppedIn);
}

function unconfigured(profile: KernelProfile, kind: Compression, offset: number): CpioError {
  const text = profile.unconfiguredMessage === "decompressor failed"
    ? "decompressor failed"
    : `compression method ${kind} not configured`;
  return new CpioError("UNSUPPORTED_COMPRESSION", text, { offset });
}

function latin(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

function countsOf(core: Core): number[] {
  const out: number[] = [];
  for (let k = 0; k < 9; k++) out.push(core.x.count(k));
  return out;
}

function buildResult(
  core: Core,
  warnBase: number,
  counts0: number[],
  bytes0: number,
  inputBytes: number,
  messages: KernelMessage[],
  segments: Segment[],
): UnpackResult {
  const x = core.x;
  const c = countsOf(core).map((v, k) => v - counts0[k]!);
  const total = x.warnCount();
  const warnings: Warning[] = [];
  const buf = x.warnBuffer();
  for (let k = Math.max(warnBase, total - 256); k < total; k++) {
    const r = buf + (k % 256) * 24;
    const codeNum = core.u32(r) as keyof typeof WARNING_CODES;
    const errno = core.dv.getInt32(r + 4, true);
    const w: Warning = {
      code: WARNING_CODES[codeNum],
      offset: core.u64(r + 8),
      entry: core.u32(r + 16),
    };
    if (errno !== 0) w.errno = errnoName(errno);
    warnings.push(w);
  }
  return {
    entries: x.entryIndex(),
    counts: {
      files: c[0]!,
      dirs: c[1]!,
      symlinks: c[2]!,
      devices: c[3]!,
      fifos: c[4]!,
      sockets: c[5]!,
      hardlinks: c[6]!,
      trailers: c[7]!,
      skipped: c[8]!,
    },
    dataBytes: Number(x.bytesWritten()) - bytes0,
    inputBytes,
    warnings,
    warningCount: total - warnBase,
    messages,
    segments,
  };
}
