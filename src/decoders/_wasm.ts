// Instantiation of a decoder module built from wasm/decoders/NAME.ts.
//
// The module's side of the contract (AssemblyScript, runtime "stub"):
//   import  env.flush(ptr: usize, len: u32): i32   1 = accepted, 0 = stop
//   import  env.abort(...)                          (AssemblyScript's own)
//   export  memory
//   export  inputBuffer(len: u32): usize            room for `len` input bytes
//                                                   (may move earlier buffers)
//   export  decode(ptr: usize, len: u32): i32       0 = ok, else an error code
//   export  consumed(): u32                         my_inptr after decode()
// The image is copied once into the module's memory (a later member of the
// same image is decoded in place); output is flushed from the module's memory
// without copies on this side.

import { decodeBase64 } from "../_base64.ts";
import type { DecodeResult, Flush, ImageReader, MemberDecoder } from "./types.ts";

/** The exports every decoder module has. */
export interface DecoderExports {
  memory: WebAssembly.Memory;
  inputBuffer(len: number): number;
  decode(ptr: number, len: number): number;
  consumed(): number;
}

// each module is compiled once; every decoder made from it is an instance
const compiled = new Map<string, WebAssembly.Module>();

/** A decoder module and the flush() its next decode() calls. */
export class WasmDecoder<X extends DecoderExports = DecoderExports> {
  /** The module's exports. */
  readonly x: X;
  #flush: Flush | null = null;
  #stopped = false;
  // the image copied last: its buffer, where it starts, its length, where it is
  #loaded: { buffer: ArrayBufferLike; offset: number; length: number; ptr: number } | null = null;

  constructor(base64: string) {
    let module = compiled.get(base64);
    if (module === undefined) {
      module = new WebAssembly.Module(decodeBase64(base64) as Uint8Array<ArrayBuffer>);
      compiled.set(base64, module);
    }
    const instance = new WebAssembly.Instance(module, {
      env: {
        flush: (ptr: number, len: number): number => {
          if (this.#flush === null || this.#stopped) return 0;
          const ok = this.#flush(new Uint8Array(this.x.memory.buffer, ptr >>> 0, len >>> 0));
          if (!ok) this.#stopped = true;
          return ok ? 1 : 0;
        },
        abort: () => {
          throw new Error("decoder module aborted");
        },
      },
    });
    this.x = instance.exports as unknown as X;
  }

  /** Forgets the copied image (the memory stays with the module for the next). */
  release(): void {
    this.#loaded = null;
  }

  /**
   * Like {@linkcode run}, reading the input from a file straight into the
   * module's memory (no copy of the image on the JavaScript side).
   */
  runReader(input: ImageReader, flush: Flush, messages: Record<number, string>): DecodeResult {
    const ptr = this.x.inputBuffer(input.length) >>> 0;
    const view = new Uint8Array(this.x.memory.buffer, ptr, input.length);
    let n = 0;
    while (n < view.length) {
      const k = input.read(n, view.subarray(n));
      if (k <= 0) break;
      n += k;
    }
    this.#loaded = null;
    return this.#decodeAt(ptr, n, flush, messages);
  }

  /**
   * Runs decode() over `input` with `flush`, and maps the error code to the
   * kernel decoder's message with `messages` (code 0 is success).
   */
  run(input: Uint8Array, flush: Flush, messages: Record<number, string>): DecodeResult {
    const l = this.#loaded;
    let ptr: number;
    if (
      // a later member of the same image: a suffix of the bytes copied last
      l !== null && l.buffer === input.buffer && input.byteOffset >= l.offset &&
      input.byteOffset + input.length === l.offset + l.length
    ) {
      ptr = l.ptr + (input.byteOffset - l.offset);
    } else {
      ptr = this.x.inputBuffer(input.length) >>> 0;
      new Uint8Array(this.x.memory.buffer, ptr, input.length).set(input);
      this.#loaded = {
        buffer: input.buffer,
        offset: input.byteOffset,
        length: input.length,
        ptr,
      };
    }
    return this.#decodeAt(ptr, input.length, flush, messages);
  }

  #decodeAt(
    ptr: number,
    len: number,
    flush: Flush,
    messages: Record<number, string>,
  ): DecodeResult {
    this.#flush = flush;
    this.#stopped = false;
    let code: number;
    try {
      code = this.x.decode(ptr, len);
    } finally {
      this.#flush = null;
    }
    const consumed = this.x.consumed() >>> 0;
    if (code === 0) return { consumed, ok: true };
    const message = messages[code];
    return message === undefined ? { consumed, ok: false } : { consumed, ok: false, message };
  }
}

/**
 * A {@linkcode MemberDecoder} over the module in `base64`: instantiated on
 * first use, `setup` run on its exports before every decode (options such as
 * the modelled machine's RAM), error codes mapped with `messages`.
 */
export function wasmMemberDecoder<X extends DecoderExports = DecoderExports>(
  base64: string,
  messages: Record<number, string>,
  setup?: (x: X) => void,
): MemberDecoder {
  let module: WasmDecoder<X> | null = null;
  const ready = (): WasmDecoder<X> => {
    module ??= new WasmDecoder<X>(base64);
    setup?.(module.x);
    return module;
  };
  return {
    decode: (input, flush) => ready().run(input, flush, messages),
    decodeReader: (input, flush) => ready().runReader(input, flush, messages),
    release: () => module?.release(),
  };
}
