// Compressed blocks (RFC 8878 §3.1.1.3) as lib/zstd/decompress/
// zstd_decompress_block.c decodes them: the literals section (raw, RLE,
// Huffman with one or four streams, or with the previous block's tree), the
// sequences section (literal length, offset and match length codes through
// predefined, RLE, FSE-described or repeated tables) and the execution of the
// sequences with three repeat offsets.
//
// The rules are those of the zstd 1.5.2 the kernel carried from 6.2 to 6.14
// (the 6.12 kernel says so itself), down to what it accepts from damaged
// input: which checks run and in which order decides the message and, since
// a failing block loses the output gathered with it, how much output the
// kernel flushed first. Errors come back as negative codes: -CORRUPT for the
// kernel's corruption_detected and dstSize_tooSmall ("ZSTD-compressed data is
// corrupt"), -PROBABLY for what decompress_unzstd.c reports as "... is
// probably corrupt" (srcSize_wrong for a block of 128 KiB or for a truncated
// sequences header, dictionary_corrupted for a repeated Huffman tree before
// any tree).

import {
  buildSeqRle,
  buildSeqTable,
  decodeHuf1,
  decodeHuf4,
  ncMaxSymbol,
  NCOUNT,
  ncTableLog,
  readHuffman,
  readNCount,
} from "./_zstd_entropy";

/** corruption_detected, dstSize_tooSmall, checksum_wrong. */
export const CORRUPT: i32 = 6;
/** Every other zstd error code. */
export const PROBABLY: i32 = 7;

/** ZSTD_BLOCKSIZE_MAX. */
export const BLOCK_MAX: u32 = 131072;
/** WILDCOPY_OVERLENGTH: raw literals are read in place when this much follows. */
const OVERLENGTH: u32 = 32;
/** MIN_CBLOCK_SIZE: a literals header, a literal and a sequence count. */
const MIN_BLOCK: usize = 3;

// Baselines and extra bits of the sequence codes (RFC 8878 §3.1.1.3.2.1).
const LL_BASE = memory.data<u32>([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096,
  8192, 16384, 32768, 65536,
]);
const LL_BITS = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12,
  13, 14, 15, 16,
]);
const ML_BASE = memory.data<u32>([
  3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
  19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
  35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051,
  4099, 8195, 16387, 32771, 65539,
]);
const ML_BITS = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11,
  12, 13, 14, 15, 16,
]);
// offset code n: offset value 2^n + n bits; codes 0 and 1 are repeat codes
const OF_BASE = memory.data<u32>([
  0, 1, 1, 5, 13, 29, 61, 125, 253, 509, 1021, 2045, 4093, 8189, 16381, 32765,
  65533, 131069, 262141, 524285, 1048573, 2097149, 4194301, 8388605,
  16777213, 33554429, 67108861, 134217725, 268435453, 536870909, 1073741821, 2147483645,
]);
const OF_BITS = memory.data<u8>([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
]);
// the predefined distributions (RFC 8878 §3.1.1.3.2.2)
const LL_NORM = memory.data<i16>([
  4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
  -1, -1, -1, -1,
]);
const ML_NORM = memory.data<i16>([
  1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1,
  -1, -1, -1, -1, -1,
]);
const OF_NORM = memory.data<i16>([
  1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
]);

const LL_TABLE = memory.data(8 << 9);
const OF_TABLE = memory.data(8 << 8);
const ML_TABLE = memory.data(8 << 9);
const LL_DEFAULT = memory.data(8 << 6);
const OF_DEFAULT = memory.data(8 << 5);
const ML_DEFAULT = memory.data(8 << 6);
let defaultsBuilt = false;

let llTable: usize = 0;
let ofTable: usize = 0;
let mlTable: usize = 0;
let llLog: u32 = 0;
let ofLog: u32 = 0;
let mlLog: u32 = 0;

/** A Huffman tree exists (set_repeat literals are allowed). */
let litEntropy = false;
/** A block had sequences (repeat mode is allowed for the three tables). */
let fseEntropy = false;
let rep0: u32 = 1;
let rep1: u32 = 4;
let rep2: u32 = 8;
/** The frame's window is above 16 MiB: blocks may take the prefetching decoder. */
let longWindow = false;

/** The literals: decoded here, or read in place from a raw literals section. */
export const LIT_BUF = memory.data(<i32>(BLOCK_MAX + 64));
let litPtr: usize = 0;
let litEnd: usize = 0;
const SEQ_PAD = memory.data(16);

function buildDefault(table: usize, norm: usize, count: u32, log: u32, base: usize, bits: usize): void {
  memory.copy(NCOUNT, norm, count << 1);
  buildSeqTable(table, log, count - 1, base, bits);
}

/**
 * Forgets the entropy state of the previous frame (ZSTD_decompressBegin());
 * `windowSize` is the frame's, which picks the sequence decoder.
 */
export function frameBegin(windowSize: u64): void {
  if (!defaultsBuilt) {
    buildDefault(LL_DEFAULT, LL_NORM, 36, 6, LL_BASE, LL_BITS);
    buildDefault(OF_DEFAULT, OF_NORM, 29, 5, OF_BASE, OF_BITS);
    buildDefault(ML_DEFAULT, ML_NORM, 53, 6, ML_BASE, ML_BITS);
    defaultsBuilt = true;
  }
  litEntropy = false;
  fseEntropy = false;
  rep0 = 1;
  rep1 = 4;
  rep2 = 8;
  llTable = LL_DEFAULT;
  ofTable = OF_DEFAULT;
  mlTable = ML_DEFAULT;
  llLog = 6;
  ofLog = 5;
  mlLog = 6;
  longWindow = windowSize > 1 << 24;
}

// The literals section: its size in bytes, or a negative error. `room` is
// the output room of the block (dstCapacity).
function decodeLiterals(src: usize, size: usize, room: usize): i32 {
  if (size < MIN_BLOCK) return -CORRUPT;
  const b0 = <u32>load<u8>(src);
  const type = b0 & 3;
  const format = (b0 >> 2) & 3;
  // expectedWriteSize: literals beyond the block's output room are refused
  const fit = min<usize>(<usize>BLOCK_MAX, room);
  if (type >= 2) {
    if (type == 3 && !litEntropy) return -PROBABLY;
    if (size < 5) return -CORRUPT;
    const lhc = load<u32>(src);
    let head: u32;
    let litSize: u32;
    let litCSize: u32;
    let single = false;
    if (format < 2) {
      single = format == 0;
      head = 3;
      litSize = (lhc >> 4) & 0x3ff;
      litCSize = (lhc >> 14) & 0x3ff;
    } else if (format == 2) {
      head = 4;
      litSize = (lhc >> 4) & 0x3fff;
      litCSize = lhc >> 18;
    } else {
      head = 5;
      litSize = (lhc >> 4) & 0x3ffff;
      litCSize = (lhc >> 22) + (<u32>load<u8>(src, 4) << 10);
    }
    if (litSize > BLOCK_MAX) return -CORRUPT;
    if (<usize>(litCSize + head) > size) return -CORRUPT;
    if (fit < <usize>litSize) return -CORRUPT;
    let hs = src + <usize>head;
    let hl = <usize>litCSize;
    if (type == 2) {
      // a new tree (HUF_decompress4X_hufOnly() refuses to decode nothing)
      if (!single && litSize == 0) return -CORRUPT;
      const t = readHuffman(hs, hl);
      if (t < 0 || <usize>t >= hl) return -CORRUPT;
      hs += <usize>t;
      hl -= <usize>t;
    }
    const ok = single
      ? decodeHuf1(LIT_BUF, <usize>litSize, hs, hl)
      : decodeHuf4(LIT_BUF, <usize>litSize, hs, hl);
    if (!ok) return -CORRUPT;
    litEntropy = true;
    litPtr = LIT_BUF;
    litEnd = LIT_BUF + <usize>litSize;
    return <i32>(head + litCSize);
  }
  let head: u32;
  let litSize: u32;
  if ((format & 1) == 0) {
    head = 1;
    litSize = b0 >> 3;
  } else if (format == 1) {
    head = 2;
    litSize = <u32>load<u16>(src) >> 4;
  } else {
    head = 3;
    litSize = (load<u32>(src) & 0xffffff) >> 4;
  }
  if (type == 1) {
    if (format == 3 && size < 4) return -CORRUPT;
    if (litSize > BLOCK_MAX) return -CORRUPT;
    if (fit < <usize>litSize) return -CORRUPT;
    memory.fill(LIT_BUF, load<u8>(src + <usize>head), <usize>litSize);
    litPtr = LIT_BUF;
    litEnd = LIT_BUF + <usize>litSize;
    return <i32>head + 1;
  }
  if (fit < <usize>litSize) return -CORRUPT;
  if (<usize>(head + litSize + OVERLENGTH) > size) {
    if (<usize>(head + litSize) > size) return -CORRUPT;
    memory.copy(LIT_BUF, src + <usize>head, <usize>litSize);
    litPtr = LIT_BUF;
  } else {
    // read in place: 32 bytes of the block follow them, room for 16-byte copies
    litPtr = src + <usize>head;
  }
  litEnd = litPtr + <usize>litSize;
  return <i32>(head + litSize);
}

// One of the three code tables of a sequences section header: bytes used, or -1.
function readTable(kind: i32, mode: u32, src: usize, end: usize): i32 {
  const storage = kind == 0 ? LL_TABLE : kind == 1 ? OF_TABLE : ML_TABLE;
  const max: u32 = kind == 0 ? 35 : kind == 1 ? 31 : 52;
  const maxLog: u32 = kind == 0 ? 9 : kind == 1 ? 8 : 9;
  const base = kind == 0 ? LL_BASE : kind == 1 ? OF_BASE : ML_BASE;
  const bits = kind == 0 ? LL_BITS : kind == 1 ? OF_BITS : ML_BITS;
  let table: usize;
  let log: u32;
  let used: i32;
  if (mode == 0) {
    table = kind == 0 ? LL_DEFAULT : kind == 1 ? OF_DEFAULT : ML_DEFAULT;
    log = kind == 1 ? 5 : 6;
    used = 0;
  } else if (mode == 1) {
    if (src >= end) return -1;
    const code = <u32>load<u8>(src);
    if (code > max) return -1;
    buildSeqRle(storage, code, base, bits);
    table = storage;
    log = 0;
    used = 1;
  } else if (mode == 2) {
    used = readNCount(src, end - src, max);
    if (used < 0) return -1;
    if (ncTableLog > maxLog) return -1;
    buildSeqTable(storage, ncTableLog, ncMaxSymbol, base, bits);
    table = storage;
    log = ncTableLog;
  } else {
    if (!fseEntropy) return -1;
    return 0;
  }
  if (kind == 0) {
    llTable = table;
    llLog = log;
  } else if (kind == 1) {
    ofTable = table;
    ofLog = log;
  } else {
    mlTable = table;
    mlLog = log;
  }
  return used;
}

// ZSTD_getLongOffsetsShare(): how many offset codes of the table carry more
// than 22 extra bits, out of 256.
function longOffsetShare(): u32 {
  const cells: u32 = 1 << ofLog;
  let n: u32 = 0;
  for (let u: u32 = 0; u < cells; u++) {
    if (load<u8>(ofTable + (<usize>u << 3), 4) > 22) n++;
  }
  return n << (8 - ofLog);
}

/**
 * Decodes the compressed block at `src` (`size` bytes) to `dst`, which has
 * `cap` bytes of room. `prefix` is where the output's current segment starts
 * and `extLen` how much history lies in the previous one, which ends at
 * prefix + extLen (the kernel's extDict). Returns the block's size or a
 * negative error code.
 */
export function decodeBlock(
  src: usize,
  size: usize,
  dst: usize,
  cap: usize,
  prefix: usize,
  extLen: usize,
): i32 {
  if (size >= <usize>BLOCK_MAX) return -PROBABLY;
  const lit = decodeLiterals(src, size, cap);
  if (lit < 0) return lit;
  let ip = src + <usize>lit;
  const end = src + size;
  if (ip >= end) return -PROBABLY;
  let nbSeq = <i32>load<u8>(ip);
  ip++;
  if (nbSeq == 0) {
    if (ip != end) return -PROBABLY;
    return lastLiterals(dst, dst + cap);
  }
  if (nbSeq > 0x7f) {
    if (nbSeq == 0xff) {
      if (end - ip < 2) return -PROBABLY;
      nbSeq = <i32>load<u16>(ip) + 0x7f00;
      ip += 2;
    } else {
      if (ip >= end) return -PROBABLY;
      nbSeq = ((nbSeq - 0x80) << 8) + <i32>load<u8>(ip);
      ip++;
    }
  }
  if (ip >= end) return -PROBABLY;
  const modes = <u32>load<u8>(ip);
  ip++;
  let used = readTable(0, modes >> 6, ip, end);
  if (used < 0) return -CORRUPT;
  ip += <usize>used;
  used = readTable(1, (modes >> 4) & 3, ip, end);
  if (used < 0) return -CORRUPT;
  ip += <usize>used;
  used = readTable(2, (modes >> 2) & 3, ip, end);
  if (used < 0) return -CORRUPT;
  ip += <usize>used;
  // a count of 0 written in two bytes: the tables are read, nothing decoded
  if (nbSeq == 0) return lastLiterals(dst, dst + cap);
  fseEntropy = true;
  const prefetch = longWindow && nbSeq > 8 && longOffsetShare() >= 7;
  return execute(nbSeq, ip, end, dst, dst + cap, prefix, extLen, prefetch);
}

function lastLiterals(dst: usize, oend: usize): i32 {
  const n = litEnd - litPtr;
  if (n > oend - dst) return -CORRUPT;
  memory.copy(dst, litPtr, n);
  return <i32>n;
}

// Decodes and runs `count` sequences from the bitstream [src, end), writing
// at dst up to oend. The kernel's two decoders differ in what they make of a
// damaged stream: the plain one refuses a stream with bits left over at the
// end (and does not mind reading past its start: it also moves the states on
// after the last sequence), the prefetching one, used for windows above
// 16 MiB with many long offsets, refuses a stream read past its start before
// the last sequence and does not look at what is left.
function execute(
  count: i32,
  src: usize,
  end: usize,
  dst: usize,
  oend: usize,
  prefix: usize,
  extLen: usize,
  prefetch: bool,
): i32 {
  const size = end - src;
  if (size == 0) return -CORRUPT;
  const last = <u32>load<u8>(end - 1);
  if (last == 0) return -CORRUPT;
  let start = src;
  let ptr: usize;
  let used: u32;
  if (size >= 8) {
    ptr = end - 8;
    used = clz<u32>(last) - 23;
  } else {
    // a short stream is read from a zero-padded copy, as the kernel reads it
    store<u64>(SEQ_PAD, 0);
    memory.copy(SEQ_PAD, src, size);
    start = SEQ_PAD;
    ptr = SEQ_PAD;
    used = clz<u32>(last) - 23 + (8 - <u32>size) * 8;
  }
  let bits = load<u64>(ptr);
  const llT = llTable;
  const ofT = ofTable;
  const mlT = mlTable;

  // the first states, each followed by a reload (as ZSTD_initFseState())
  let llState = <u32>(((bits << <u64>used) >> 1) >> <u64>(63 - llLog));
  used += llLog;
  let nb = min<usize>(<usize>(used >> 3), ptr - start);
  ptr -= nb;
  used -= <u32>nb << 3;
  bits = load<u64>(ptr);
  let ofState = <u32>(((bits << <u64>used) >> 1) >> <u64>(63 - ofLog));
  used += ofLog;
  nb = min<usize>(<usize>(used >> 3), ptr - start);
  ptr -= nb;
  used -= <u32>nb << 3;
  bits = load<u64>(ptr);
  let mlState = <u32>(((bits << <u64>used) >> 1) >> <u64>(63 - mlLog));
  used += mlLog;
  nb = min<usize>(<usize>(used >> 3), ptr - start);
  ptr -= nb;
  used -= <u32>nb << 3;
  bits = load<u64>(ptr);

  let r0 = rep0;
  let r1 = rep1;
  let r2 = rep2;
  let op = dst;
  let lp = litPtr;
  const le = litEnd;
  const dictEnd = prefix + extLen;

  for (let left = count; left > 0; left--) {
    // the prefetching decoder stops at a stream already read past its start
    if (prefetch && <i32>((ptr - start) << 3) + 64 - <i32>used < 0) return -CORRUPT;
    // a cell: base value, extra bits, state bits, next state, in one load
    const llCell = load<u64>(llT + (<usize>llState << 3));
    const mlCell = load<u64>(mlT + (<usize>mlState << 3));
    const ofCell = load<u64>(ofT + (<usize>ofState << 3));
    const llBase = <u32>llCell;
    const llBits = <u32>(llCell >> 32) & 0xff;
    const mlBits = <u32>(mlCell >> 32) & 0xff;
    const ofBits = <u32>(ofCell >> 32) & 0xff;
    let offset: u32;
    if (ofBits > 1) {
      offset = <u32>ofCell + <u32>(((bits << <u64>used) >> 1) >> <u64>(63 - ofBits));
      used += ofBits;
      r2 = r1;
      r1 = r0;
      r0 = offset;
    } else if (ofBits == 0) {
      // repeat offset 1 (2 after a sequence without literals)
      if (llBase == 0) {
        offset = r1;
        r1 = r0;
        r0 = offset;
      } else {
        offset = r0;
      }
    } else {
      const which = 1 + <u32>(llBase == 0) + <u32>((bits << <u64>used) >> 63);
      used += 1;
      let o = which == 3 ? r0 - 1 : which == 1 ? r1 : r2;
      if (o == 0) o = 1; // zstd 1.5.2: "force offset to 1"
      if (which != 1) r2 = r1;
      r1 = r0;
      r0 = o;
      offset = o;
    }
    let ml = <u32>mlCell + <u32>(((bits << <u64>used) >> 1) >> <u64>(63 - mlBits));
    used += mlBits;
    if (ofBits + llBits + mlBits >= 31) {
      nb = min<usize>(<usize>(used >> 3), ptr - start);
      ptr -= nb;
      used -= <u32>nb << 3;
      bits = load<u64>(ptr);
    }
    const ll = llBase + <u32>(((bits << <u64>used) >> 1) >> <u64>(63 - llBits));
    used += llBits;
    let n = <u32>(llCell >> 40) & 0xff;
    llState = <u32>(llCell >> 48) + <u32>(((bits << <u64>used) >> 1) >> <u64>(63 - n));
    used += n;
    n = <u32>(mlCell >> 40) & 0xff;
    mlState = <u32>(mlCell >> 48) + <u32>(((bits << <u64>used) >> 1) >> <u64>(63 - n));
    used += n;
    n = <u32>(ofCell >> 40) & 0xff;
    ofState = <u32>(ofCell >> 48) + <u32>(((bits << <u64>used) >> 1) >> <u64>(63 - n));
    used += n;
    nb = min<usize>(<usize>(used >> 3), ptr - start);
    ptr -= nb;
    used -= <u32>nb << 3;
    bits = load<u64>(ptr);

    // execute
    if (<usize>ll + <usize>ml > oend - op) return -CORRUPT;
    if (<usize>ll > le - lp) return -CORRUPT;
    // 16 bytes at a time: the literals and the window have room past their ends
    store<u64>(op, load<u64>(lp));
    store<u64>(op, load<u64>(lp, 8), 8);
    if (ll > 16) {
      let d = op + 16;
      let s = lp + 16;
      const e = op + <usize>ll;
      do {
        store<u64>(d, load<u64>(s));
        store<u64>(d, load<u64>(s, 8), 8);
        d += 16;
        s += 16;
      } while (d < e);
    }
    op += <usize>ll;
    lp += <usize>ll;
    const back = op - prefix;
    let m: usize;
    if (<usize>offset > back) {
      // from the previous segment of the window (the kernel's extDict)
      const over = <usize>offset - back;
      if (over > extLen) return -CORRUPT;
      m = dictEnd - over;
      if (over >= <usize>ml) {
        memory.copy(op, m, <usize>ml);
        op += <usize>ml;
        continue;
      }
      memory.copy(op, m, over);
      op += over;
      ml -= <u32>over;
      m = prefix;
    } else {
      m = op - <usize>offset;
    }
    const mEnd = op + <usize>ml;
    if (offset >= 16) {
      if (ml >= 256 && offset >= ml) {
        memory.copy(op, m, <usize>ml);
      } else {
        do {
          store<u64>(op, load<u64>(m));
          store<u64>(op, load<u64>(m, 8), 8);
          op += 16;
          m += 16;
        } while (op < mEnd);
      }
    } else if (offset >= 8) {
      do {
        store<u64>(op, load<u64>(m));
        op += 8;
        m += 8;
      } while (op < mEnd);
    } else {
      // a short period: byte by byte until a multiple of it spans 8 bytes
      const head = min<u32>(ml, 8);
      for (let i: u32 = 0; i < head; i++) store<u8>(op + <usize>i, load<u8>(m + <usize>i));
      if (ml > 8) {
        const step = <usize>(offset * ((8 + offset - 1) / offset));
        let d = op + 8;
        do {
          store<u64>(d, load<u64>(d - step));
          d += 8;
        } while (d < mEnd);
      }
    }
    op = mEnd;
  }
  // the plain decoder: every bit of the stream used (reading past it is fine)
  if (!prefetch && <i32>((ptr - start) << 3) + 64 - <i32>used > 0) return -CORRUPT;
  rep0 = r0;
  rep1 = r1;
  rep2 = r2;
  const rest = le - lp;
  if (rest > oend - op) return -CORRUPT;
  memory.copy(op, lp, rest);
  op += rest;
  return <i32>(op - dst);
}
