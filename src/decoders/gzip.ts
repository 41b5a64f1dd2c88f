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
import type { DecodeResult, Flush, MemberDecoder } from "./types.ts";

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
export const gzip: MemberDecoder = { decode: gunzip };

function gunzip(buf: Uint8Array, flush: Flush): DecodeResult {
  if (buf.length < 10 || buf[0] !== 0x1f || buf[1] !== 0x8b || buf[2] !== 0x08) {
    return { consumed: 0, ok: false, message: "Not a gzip file" };
  }
  let p = 10;
  if ((buf[3]! & 0x08) !== 0) {
    // the name must end inside the buffer
    for (;;) {
      if (p >= buf.length) return { consumed: 0, ok: false, message: "header error" };
      if (buf[p++] === 0) break;
    }
  }
  const stream = zlib.createInflateRaw() as unknown as {
    _handle?: ZlibHandle;
    _writeState?: Uint32Array;
  };
  const handle = stream._handle;
  const state = stream._writeState;
  if (handle === undefined || typeof handle.writeSync !== "function" || state === undefined) {
    return gunzipWhole(buf, p, flush);
  }
  let error: string | null = null;
  handle.onerror = (message) => {
    error ??= message;
  };
  const out = new Uint8Array(GZIP_FLUSH_SIZE);
  let inOff = p;
  try {
    for (;;) {
      handle.writeSync(Z_NO_FLUSH, buf, inOff, buf.length - inOff, out, 0, out.length);
      const produced = out.length - state[0]!;
      inOff = buf.length - state[1]!;
      if (produced > 0 && !flush(out.subarray(0, produced))) {
        return { consumed: inOff + 8, ok: false, message: "write error" };
      }
      if (error !== null) return { consumed: inOff + 8, ok: false, message: "uncompression error" };
      if (produced === 0) break;
    }
    // no progress: the stream ended, or the input ran out in the middle of it
    if (inOff === buf.length) {
      handle.writeSync(Z_FINISH, buf, inOff, 0, out, 0, out.length);
      if (error !== null) return { consumed: inOff + 8, ok: false, message: "read error" };
    }
    return { consumed: inOff + 8, ok: true };
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
