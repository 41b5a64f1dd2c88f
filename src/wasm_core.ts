// The only module that instantiates the WebAssembly core or touches its
// memory. One instance is one superblock (wasm/assembly/index.ts).

import { decodeBase64 } from "./_base64.ts";
import { WASM_BASE64 } from "./_wasm_bytes.ts";

/** The exports of one core instance. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  init(
    kind: number,
    maxBlocks: bigint,
    maxInodes: bigint,
    rootMode: number,
    uid: number,
    gid: number,
    now: bigint,
    flags: number,
  ): number;
  inputBuffer(): number;
  inputSize(): number;
  rootDentry(): number;
  setNow(t: bigint): void;
  walk(path: number, len: number, follow: number): number;
  walkChild(): number;
  mkdir(path: number, len: number, mode: number): number;
  mknod(path: number, len: number, mode: number, major: number, minor: number): number;
  symlink(target: number, tlen: number, path: number, len: number): number;
  link(old: number, olen: number, path: number, len: number): number;
  unlink(path: number, len: number): number;
  rmdir(path: number, len: number): number;
  chown(path: number, len: number, uid: number, gid: number, follow: number): number;
  chmod(path: number, len: number, mode: number): number;
  utime(path: number, len: number, t: bigint): number;
  openCreate(path: number, len: number, mode: number, trunc: number): number;
  openedInode(): number;
  closeInode(i: number): void;
  write(i: number, pos: bigint, src: number, len: number): number;
  writeErr(): number;
  truncate(i: number, size: bigint): number;
  setMounted(d: number, on: number): void;
  setBase(d: number, raw: number): void;
  lookup(parent: number, name: number, len: number): number;
  dget(d: number): void;
  dput(d: number): number;
  dDead(d: number): number;
  dName(d: number): number;
  rename(oldPath: number, olen: number, newPath: number, nlen: number): number;
  renameAt(
    ob: number,
    oldPath: number,
    olen: number,
    nb: number,
    newPath: number,
    nlen: number,
  ): number;
  linkDentry(d: number, path: number, len: number): number;
  openInode(i: number): void;
  setLimits(maxBlocks: bigint, maxInodes: bigint): void;
  usedBlocks(): bigint;
  usedInodes(): bigint;
  unpackBegin(now: bigint, flags: number): void;
  feedPlain(len: number): number;
  stopPos(): number;
  offset(): bigint;
  memberBegin(): void;
  feedMember(len: number, endOfKernelBuffer: number): number;
  memberEnd(consumed: bigint, checkState: number): number;
  setMessage(code: number, at: bigint): void;
  unpackEnd(): number;
  message(): number;
  errOffset(): bigint;
  errEntry(): number;
  errName(): number;
  errNameLen(): number;
  errNameKind(): number;
  entryIndex(): number;
  warnBuffer(): number;
  warnCount(): number;
  count(k: number): number;
  bytesWritten(): bigint;
}

let compiled: WebAssembly.Module | undefined;

function module(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(decodeBase64(WASM_BASE64) as Uint8Array<ArrayBuffer>);
  return compiled;
}

/** One instance of the core with views that follow memory growth. */
export class Core {
  /** The raw exports. */
  readonly x: CoreExports;
  #buffer: ArrayBufferLike | undefined;
  #u8: Uint8Array = new Uint8Array(0);
  #dv: DataView = new DataView(new ArrayBuffer(0));
  /** Address of the input buffer. */
  readonly input: number;
  /** Size of the input buffer. */
  readonly inputSize: number;

  constructor() {
    const instance = new WebAssembly.Instance(module(), {});
    const raw = instance.exports as unknown as CoreExports;
    // addresses come back as i32: above 2 GiB they would read as negative
    const unsigned = <K extends keyof CoreExports>(k: K) => {
      const f = raw[k] as unknown as (...a: unknown[]) => number;
      return ((...a: unknown[]) => f(...a) >>> 0) as unknown as CoreExports[K];
    };
    this.x = {
      ...raw,
      memory: raw.memory,
      inputBuffer: unsigned("inputBuffer"),
      rootDentry: unsigned("rootDentry"),
      walkChild: unsigned("walkChild"),
      openedInode: unsigned("openedInode"),
      lookup: unsigned("lookup"),
      dName: unsigned("dName"),
      errName: unsigned("errName"),
      warnBuffer: unsigned("warnBuffer"),
      count: unsigned("count"),
      entryIndex: unsigned("entryIndex"),
      errEntry: unsigned("errEntry"),
      warnCount: unsigned("warnCount"),
      errNameLen: unsigned("errNameLen"),
      stopPos: unsigned("stopPos"),
    };
    this.input = 0;
    this.inputSize = 0;
  }

  /** Finishes set-up after `init`. */
  attach(): void {
    (this as { input: number }).input = this.x.inputBuffer();
    (this as { inputSize: number }).inputSize = this.x.inputSize();
  }

  /** The memory as bytes (rebuilt after growth). */
  get u8(): Uint8Array {
    this.#refresh();
    return this.#u8;
  }

  /** The memory as a DataView (rebuilt after growth). */
  get dv(): DataView {
    this.#refresh();
    return this.#dv;
  }

  #refresh(): void {
    const buf = this.x.memory.buffer;
    if (buf !== this.#buffer) {
      this.#buffer = buf;
      this.#u8 = new Uint8Array(buf);
      this.#dv = new DataView(buf);
    }
  }

  /** Copies bytes into the input buffer (at most inputSize) and returns the count. */
  load(bytes: Uint8Array, at = 0): number {
    const n = Math.min(bytes.length, this.inputSize - at);
    this.u8.set(n === bytes.length ? bytes : bytes.subarray(0, n), this.input + at);
    return n;
  }

  /** Bytes of memory [p, p+len) (a view; copy before the memory can grow). */
  view(p: number, len: number): Uint8Array {
    return this.u8.subarray(p, p + len);
  }

  u32(p: number): number {
    return this.dv.getUint32(p, true);
  }

  u16(p: number): number {
    return this.dv.getUint16(p, true);
  }

  u64(p: number): number {
    return Number(this.dv.getBigUint64(p, true));
  }

  i64(p: number): number {
    return Number(this.dv.getBigInt64(p, true));
  }
}
