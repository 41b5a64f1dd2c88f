// gzip members as lib/decompress_inflate.c reads them: 1f 8b 08 and at least
// 10 bytes ("Not a gzip file"), an FNAME field skipped ("header error" when it
// runs off the end), no other header field understood, one raw deflate stream
// inflated into a 32 KiB output buffer that is flushed after every inflate
// call, CRC32 and ISIZE never checked, and my_inptr = the end of the deflate
// stream + 8. Input that runs out is "read error" (the kernel's nofill()
// returns -1), corrupt deflate data "uncompression error".
//
// Inflation is node:zlib's engine (native code in Deno), driven one output
// buffer at a time through its handle, so memory stays at 32 KiB of output
// whatever the member holds.

import zlib from "node:zlib";
import type { DecodeResult, Flush, ImageReader, MemberDecoder } from "./types.ts";

/** The kernel's output buffer for gunzip() without an outbuf. */
export const GZIP_FLUSH_SIZE = 0x8000;

const Z_NO_FLUSH = 0;
const Z_FINISH = 4;

interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): unknown;
  onerror: (message: string, errno: number) => void;
  close(): void;
}

/** The gzip decoder. */
export const gzip: MemberDecoder = {
  decode: (buf, flush) => gunzip(buf, flush),
  decodeReader: gunzip,
};

// Input read in windows of this size.
const WINDOW = 1 << 20;

// The input as consecutive windows; a window is `bytes` from `start`. Bytes
// in memory are one window, used in place.
class Windows {
  bytes: Uint8Array = new Uint8Array(0);
  start = 0;
  #input: ImageReader | Uint8Array;
  #buf: Uint8Array | null = null;

  constructor(input: ImageReader | Uint8Array) {
    this.#input = input;
  }

  /** Makes the window start at `pos`; false at the end of the input. */
  load(pos: number): boolean {
    const input = this.#input;
    this.start = pos;
    if (input instanceof Uint8Array) {
      this.bytes = input.subarray(Math.min(pos, input.length));
      return this.bytes.length > 0;
    }
    this.#buf ??= new Uint8Array(Math.min(WINDOW, Math.max(input.length, 16)));
    let n = 0;
    while (n < this.#buf.length) {
      const k = input.read(pos + n, this.#buf.subarray(n));
      if (k <= 0) break;
      n += k;
    }
    this.bytes = this.#buf.subarray(0, n);
    return n > 0;
  }
}

function gunzip(input: ImageReader | Uint8Array, flush: Flush): DecodeResult {
  const win = new Windows(input);
  win.load(0);
  const buf = win.bytes;
  if (buf.length < 10 || buf[0] !== 0x1f || buf[1] !== 0x8b || buf[2] !== 0x08) {
    return { consumed: 0, ok: false, message: "Not a gzip file" };
  }
  let p = 10;
  if ((buf[3]! & 0x08) !== 0) {
    // the name must end inside the image
    for (;;) {
      if (p >= win.start + win.bytes.length) {
        if (!win.load(p)) return { consumed: 0, ok: false, message: "header error" };
      }
      if (win.bytes[p - win.start] === 0) break;
      p++;
    }
    p++;
  }
  const stream = zlib.createInflateRaw() as unknown as {
    _handle?: ZlibHandle;
    _writeState?: Uint32Array;
  };
  const handle = stream._handle;
  const state = stream._writeState;
  if (handle === undefined || typeof handle.writeSync !== "function" || state === undefined) {
    if (input instanceof Uint8Array) return gunzipWhole(input, p, flush);
    const all = new Uint8Array(input.length);
    input.read(0, all);
    return gunzipWhole(all, p, flush);
  }
  let error: string | null = null;
  handle.onerror = (message) => {
    error ??= message;
  };
  const out = new Uint8Array(GZIP_FLUSH_SIZE);
  if (p >= win.start + win.bytes.length || p < win.start) win.load(p);
  let inOff = p - win.start; // in the window
  let outLen = 0; // the kernel flushes only full buffers, but at the end
  const flushOut = (): boolean => outLen === 0 || flush(out.subarray(0, outLen));
  try {
    for (;;) {
      const w = win.bytes;
      const room = out.length - outLen;
      handle.writeSync(Z_NO_FLUSH, w, inOff, w.length - inOff, out, outLen, room);
      outLen += room - state[0]!;
      inOff = w.length - state[1]!;
      const at = win.start + inOff;
      if (error !== null) {
        flushOut();
        return { consumed: at + 8, ok: false, message: "uncompression error" };
      }
      if (outLen === out.length) {
        if (!flushOut()) return { consumed: at + 8, ok: false, message: "write error" };
        outLen = 0;
        continue;
      }
      // room left: the stream ended, or this window is used up
      if (inOff < w.length) {
        if (!flushOut()) return { consumed: at + 8, ok: false, message: "write error" };
        return { consumed: at + 8, ok: true };
      }
      if (win.load(at)) {
        inOff = 0;
        continue;
      }
      // the image ends: a stream that ended exactly here, or a cut one
      handle.writeSync(Z_FINISH, w, inOff, 0, out, outLen, out.length - outLen);
      const ok = flushOut();
      if (error !== null) return { consumed: at + 8, ok: false, message: "read error" };
      if (!ok) return { consumed: at + 8, ok: false, message: "write error" };
      return { consumed: at + 8, ok: true };
    }
  } finally {
    handle.close();
  }
}

// Fallback for a runtime whose node:zlib has no handle to drive: the whole
// member at once (unbounded memory), flushed in the same 32 KiB pieces.
function gunzipWhole(buf: Uint8Array, p: number, flush: Flush): DecodeResult {
  const body = buf.subarray(p);
  let output: Uint8Array;
  let consumed: number;
  let failure: string | null = null;
  try {
    const r = zlib.inflateRawSync(body, { info: true }) as unknown as {
      buffer: Uint8Array;
      engine: { bytesWritten: number };
    };
    output = r.buffer;
    consumed = p + r.engine.bytesWritten + 8;
  } catch (e) {
    consumed = buf.length + 8;
    failure = (e as { code?: string }).code === "Z_BUF_ERROR"
      ? "read error"
      : "uncompression error";
    try {
      output = zlib.inflateRawSync(body, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      output = new Uint8Array(0);
    }
  }
  for (let o = 0; o < output.length; o += GZIP_FLUSH_SIZE) {
    if (!flush(output.subarray(o, o + GZIP_FLUSH_SIZE))) {
      return { consumed, ok: false, message: "write error" };
    }
  }
  return failure === null ? { consumed, ok: true } : { consumed, ok: false, message: failure };
}
