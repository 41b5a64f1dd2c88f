// The worker side of src/decoders/_pipe.ts: decodes one member of a file
// image per message, writing each flush into the shared ring.

import {
  C_DONE,
  C_STOP,
  C_USED,
  F_LAST,
  F_SKIP,
  HEADER,
  PIECE,
  type PipeJob,
  R_CONSUMED,
  R_MSG,
  R_MSGLEN,
  R_OK,
  RING,
} from "./_pipe.ts";
import type { Compression, KernelProfile } from "../profile.ts";
import type { DecodeResult, ImageReader, MemberDecoder } from "./types.ts";
import { lzmaOptions, xzOptions } from "./_options.ts";

// Only the module of the format at hand is loaded (node:zlib for gzip alone),
// not the registry of src/decoders/mod.ts: the main thread waits for this
// thread's first flush, and loading every decoder here cost 85 ms on the
// mkinitramfs zstd image (0.423 s against 0.338 s, hyperfine, 10 runs).
const loaded = new Map<string, MemberDecoder>();

async function decoderOf(kind: Compression, profile: KernelProfile): Promise<MemberDecoder> {
  const key = `${kind} ${JSON.stringify(profile)}`;
  let d = loaded.get(key);
  if (d !== undefined) return d;
  switch (kind) {
    case "gzip":
      d = (await import("./gzip.ts")).gzip;
      break;
    case "bzip2":
      d = (await import("./bzip2.ts")).bzip2;
      break;
    case "lzma":
      d = (await import("./lzma.ts")).createLzmaDecoder(lzmaOptions(profile));
      break;
    case "xz":
      d = (await import("./xz.ts")).createXzDecoder(xzOptions(profile));
      break;
    case "lzo":
      d = (await import("./lzo.ts")).lzo;
      break;
    case "lz4":
      d = (await import("./lz4.ts")).lz4;
      break;
    case "zstd":
      d = (await import("./zstd.ts")).zstd;
      break;
  }
  loaded.set(key, d);
  return d;
}

function fileReader(path: string, offset: number, length: number): ImageReader & { close(): void } {
  const file = Deno.openSync(path, { read: true });
  return {
    length,
    read(pos, into) {
      const want = Math.max(0, Math.min(into.length, length - pos));
      file.seekSync(offset + pos, Deno.SeekMode.Start);
      let n = 0;
      while (n < want) {
        const k = file.readSync(into.subarray(n, want));
        if (k === null || k === 0) break;
        n += k;
      }
      return n;
    },
    close: () => file.close(),
  };
}

function run(job: PipeJob, decoder: MemberDecoder | null): void {
  const ctl = new Int32Array(job.sab, 0, 4);
  const bytes = new Uint8Array(job.sab, HEADER, RING);
  const dv = new DataView(job.sab);
  let pos = 0;
  // waits until `need` bytes fit in the ring
  const room = (need: number): void => {
    for (;;) {
      const used = Atomics.load(ctl, C_USED);
      if (used + need <= RING) return;
      Atomics.wait(ctl, C_USED, used, 100);
    }
  };
  const put = (data: Uint8Array, flags: number): void => {
    const size = 8 + ((data.length + 7) & ~7);
    if (pos + size > RING) {
      // a skip record fills the end; the reader goes on at 0
      room(RING - pos);
      dv.setUint32(HEADER + pos, 0, true);
      dv.setUint32(HEADER + pos + 4, F_SKIP, true);
      Atomics.add(ctl, C_USED, RING - pos);
      Atomics.notify(ctl, C_USED);
      pos = 0;
    }
    room(size);
    dv.setUint32(HEADER + pos, data.length, true);
    dv.setUint32(HEADER + pos + 4, flags, true);
    bytes.set(data, pos + 8);
    pos += size;
    if (pos === RING) pos = 0;
    Atomics.add(ctl, C_USED, size);
    Atomics.notify(ctl, C_USED);
  };
  const finish = (r: DecodeResult, done: number): void => {
    dv.setFloat64(R_CONSUMED, r.consumed, true);
    dv.setInt32(R_OK, r.ok ? 1 : 0, true);
    if (r.message === undefined) dv.setInt32(R_MSGLEN, -1, true);
    else {
      const m = new TextEncoder().encode(r.message).subarray(0, 480);
      new Uint8Array(job.sab, R_MSG, m.length).set(m);
      dv.setInt32(R_MSGLEN, m.length, true);
    }
    Atomics.store(ctl, C_DONE, done);
    Atomics.notify(ctl, C_USED);
  };
  let reader: (ImageReader & { close(): void }) | null = null;
  try {
    if (decoder?.decodeReader === undefined) throw new Error(`no ${job.kind} decoder`);
    reader = fileReader(job.path, job.offset, job.length);
    const r = decoder.decodeReader(reader, (chunk) => {
      if (Atomics.load(ctl, C_STOP) !== 0) return false;
      if (chunk.length === 0) {
        put(chunk, F_LAST);
        return true;
      }
      for (let p = 0; p < chunk.length; p += PIECE) {
        const end = Math.min(chunk.length, p + PIECE);
        put(chunk.subarray(p, end), end === chunk.length ? F_LAST : 0);
      }
      return true;
    });
    decoder.release?.();
    finish(r, 1);
  } catch (e) {
    finish({ consumed: 0, ok: false, message: String(e) }, 2);
  } finally {
    reader?.close();
  }
}

globalThis.addEventListener("message", async (e) => {
  const job = (e as MessageEvent<PipeJob>).data;
  let decoder: MemberDecoder | null = null;
  try {
    decoder = await decoderOf(job.kind, job.profile);
  } catch {
    // reported by run()
  }
  run(job, decoder);
});
