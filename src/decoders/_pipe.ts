// A decoder on another thread: the worker (src/decoders/_worker.ts) decodes a
// member of a file image and writes each flush into a shared ring; this side
// reads the flushes in order and hands them to the parser, so decoding and
// parsing run on two cores at once.
//
// Ring: a SharedArrayBuffer with a control block and RING bytes of records,
// each [length u32][flags u32][bytes], never wrapping (a skip record fills
// the end). `used` counts the bytes in the ring; each side waits on it.

import type { KernelProfile } from "../profile.ts";
import type { Compression } from "../profile.ts";
import type { DecodeResult } from "./types.ts";

/** Bytes of records in the ring. */
export const RING = 2 << 20;
/** Largest piece of one flush in one record. */
export const PIECE = 512 << 10;
/** Control words (Int32): */
export const C_USED = 0; // bytes in the ring (records and skips)
export const C_DONE = 1; // 1 = finished, 2 = the worker failed
export const C_STOP = 2; // set by the reader: the next flush returns false
/** Result block after the control words. */
export const R_CONSUMED = 16; // f64
export const R_OK = 24; // i32
export const R_MSGLEN = 28; // i32, -1 = no message
export const R_MSG = 32; // up to 480 bytes of UTF-8
export const HEADER = 512;
/** Flags of a record. */
export const F_LAST = 1; // the last piece of a flush
export const F_SKIP = 2; // no data: go on at the start of the ring

/** What the worker is asked to decode. */
export interface PipeJob {
  sab: SharedArrayBuffer;
  path: string;
  /** Absolute offset of the member in the file, and bytes from there to the end. */
  offset: number;
  length: number;
  kind: Compression;
  profile: KernelProfile;
}

/** One piece of a flush as the reader sees it. */
export type PieceSink = (bytes: Uint8Array, lastOfFlush: boolean) => boolean;

/** The worker, started once per unpack and ended with it. */
export class DecoderPipe {
  #worker: Worker;

  constructor() {
    this.#worker = new Worker(new URL("./_worker.ts", import.meta.url).href, { type: "module" });
  }

  /**
   * Decodes the member in the worker; `sink` gets every piece in order and
   * returns false when the parser has a message (the worker's next flush
   * then returns false, as flush_buffer() does). Blocks this thread between
   * pieces.
   */
  run(job: Omit<PipeJob, "sab">, sink: PieceSink): DecodeResult {
    const sab = new SharedArrayBuffer(HEADER + RING);
    const ctl = new Int32Array(sab, 0, 4);
    const bytes = new Uint8Array(sab, HEADER, RING);
    const dv = new DataView(sab);
    this.#worker.postMessage({ ...job, sab } satisfies PipeJob);
    let pos = 0;
    let accepting = true;
    for (;;) {
      const used = Atomics.load(ctl, C_USED);
      if (used === 0) {
        if (Atomics.load(ctl, C_DONE) !== 0 && Atomics.load(ctl, C_USED) === 0) break;
        Atomics.wait(ctl, C_USED, 0, 100);
        continue;
      }
      const len = dv.getUint32(HEADER + pos, true);
      const flags = dv.getUint32(HEADER + pos + 4, true);
      let size: number;
      if (flags & F_SKIP) {
        size = RING - pos;
        pos = 0;
      } else {
        size = 8 + ((len + 7) & ~7);
        if (accepting) {
          accepting = sink(bytes.subarray(pos + 8, pos + 8 + len), (flags & F_LAST) !== 0);
        }
        if (!accepting) Atomics.store(ctl, C_STOP, 1);
        pos += size;
        if (pos === RING) pos = 0;
      }
      Atomics.sub(ctl, C_USED, size);
      Atomics.notify(ctl, C_USED);
    }
    if (Atomics.load(ctl, C_DONE) === 2) {
      throw new Error(`decoder worker failed: ${readMessage(sab) ?? "unknown error"}`);
    }
    const consumed = dv.getFloat64(R_CONSUMED, true);
    const ok = dv.getInt32(R_OK, true) === 1;
    const message = readMessage(sab);
    return message === undefined ? { consumed, ok } : { consumed, ok, message };
  }

  close(): void {
    this.#worker.terminate();
  }
}

function readMessage(sab: SharedArrayBuffer): string | undefined {
  const dv = new DataView(sab);
  const n = dv.getInt32(R_MSGLEN, true);
  if (n < 0) return undefined;
  return new TextDecoder().decode(new Uint8Array(sab, R_MSG, n).slice());
}
