// zstd's entropy coders as lib/zstd decodes them (RFC 8878 §4): FSE table
// descriptions (the kernel's FSE_readNCount(), whose way of reading past the
// end of a short description is kept), FSE decoding tables, Huffman tree
// descriptions (HUF_readStats(): 4-bit or FSE-compressed weights, the last
// weight implied) and Huffman streams, one or four, decoded one symbol per
// table lookup of tableLog bits.
//
// Every bitstream here is read backwards, from its last byte, whose highest
// set bit marks where the data ends. A stream is valid when its last symbol
// uses up exactly the bits it holds (the kernel's BIT_endOfDStream()); bits
// looked at below the first byte read as zeros, as they do in the kernel.
//
// Everything returns false or -1 for "corrupt": in the kernel every failure
// in here ends as ZSTD_error_corruption_detected, whatever its own code.

/** Normalized counts of the last description read (i16 per symbol). */
export const NCOUNT = memory.data(2 * 256);
/** Table log and largest symbol of the last description read. */
export let ncTableLog: u32 = 0;
export let ncMaxSymbol: u32 = 0;

const PAD8 = memory.data(16);
const SYMBOL_NEXT = memory.data(2 * 256);
const SPREAD = memory.data(512 + 16);

// @ts-ignore: decorator
@inline function highbit(v: u32): u32 {
  return 31 - clz<u32>(v);
}

/**
 * Reads an FSE table description (RFC 8878 §4.1.1) of at most `maxSymbol`+1
 * symbols: its size in bytes, or -1.
 */
export function readNCount(src: usize, size: usize, maxSymbol: u32): i32 {
  if (size < 8) {
    // the kernel reads a short description from a zero-padded copy and then
    // refuses it if it claims more bytes than there were
    store<u64>(PAD8, 0);
    memory.copy(PAD8, src, size);
    const n = readNCountPadded(PAD8, 8, maxSymbol);
    if (n < 0 || <usize>n > size) return -1;
    return n;
  }
  return readNCountPadded(src, size, maxSymbol);
}

function readNCountPadded(src: usize, size: usize, maxSymbol: u32): i32 {
  const end = src + size;
  let ip = src;
  const symbols = maxSymbol + 1;
  memory.fill(NCOUNT, 0, symbols << 1);
  let bitStream = load<u32>(ip);
  let nbBits = <i32>(bitStream & 0xf) + 5;
  if (nbBits > 15) return -1;
  bitStream >>>= 4;
  let bitCount: i32 = 4;
  ncTableLog = <u32>nbBits;
  let remaining: i32 = (1 << nbBits) + 1;
  let threshold: i32 = 1 << nbBits;
  nbBits++;
  let symbol: u32 = 0;
  let previous0 = false;
  for (;;) {
    if (previous0) {
      // runs of zero counts: 2-bit repeat codes, 3 meaning "3 more and go on"
      let repeats = ctz<u32>(~bitStream | 0x80000000) >> 1;
      while (repeats >= 12) {
        symbol += 36;
        if (ip <= end - 7) {
          ip += 3;
        } else {
          bitCount -= 8 * (<i32>(end - 7) - <i32>ip);
          bitCount &= 31;
          ip = end - 4;
        }
        bitStream = load<u32>(ip) >>> <u32>bitCount;
        repeats = ctz<u32>(~bitStream | 0x80000000) >> 1;
      }
      symbol += 3 * repeats;
      bitStream >>>= 2 * repeats;
      bitCount += <i32>(2 * repeats);
      symbol += bitStream & 3;
      bitCount += 2;
      if (symbol >= symbols) break;
      if (ip <= end - 7 || ip + <usize>(bitCount >> 3) <= end - 4) {
        ip += <usize>(bitCount >> 3);
        bitCount &= 7;
      } else {
        bitCount -= 8 * (<i32>(end - 4) - <i32>ip);
        bitCount &= 31;
        ip = end - 4;
      }
      bitStream = load<u32>(ip) >>> <u32>bitCount;
    }
    const max = (2 * threshold - 1) - remaining;
    let count: i32;
    if (<i32>(bitStream & <u32>(threshold - 1)) < max) {
      count = <i32>(bitStream & <u32>(threshold - 1));
      bitCount += nbBits - 1;
    } else {
      count = <i32>(bitStream & <u32>(2 * threshold - 1));
      if (count >= threshold) count -= max;
      bitCount += nbBits;
    }
    count--;
    if (count >= 0) remaining -= count;
    else remaining += count;
    store<i16>(NCOUNT + (<usize>symbol << 1), <i16>count);
    symbol++;
    previous0 = count == 0;
    if (remaining < threshold) {
      if (remaining <= 1) break;
      nbBits = <i32>highbit(<u32>remaining) + 1;
      threshold = 1 << (nbBits - 1);
    }
    if (symbol >= symbols) break;
    if (ip <= end - 7 || ip + <usize>(bitCount >> 3) <= end - 4) {
      ip += <usize>(bitCount >> 3);
      bitCount &= 7;
    } else {
      bitCount -= 8 * (<i32>(end - 4) - <i32>ip);
      bitCount &= 31;
      ip = end - 4;
    }
    bitStream = load<u32>(ip) >>> <u32>bitCount;
  }
  if (remaining != 1) return -1;
  if (symbol > symbols) return -1;
  if (bitCount > 32) return -1;
  ncMaxSymbol = symbol - 1;
  ip += <usize>((bitCount + 7) >> 3);
  return <i32>(ip - src);
}

// Lays the symbols of NCOUNT out over a table of 2^tableLog cells (RFC 8878
// §4.1.1: "less than 1" symbols at the top, the others spread by a fixed
// step) into SPREAD, and the per-symbol state counters into SYMBOL_NEXT.
function spread(tableLog: u32, maxSymbol: u32): void {
  const size: u32 = 1 << tableLog;
  let high = size - 1;
  for (let s: u32 = 0; s <= maxSymbol; s++) {
    const c = <i32>load<i16>(NCOUNT + (<usize>s << 1));
    if (c == -1) {
      store<u8>(SPREAD + <usize>high, <u8>s);
      high--;
      store<u16>(SYMBOL_NEXT + (<usize>s << 1), 1);
    } else {
      store<u16>(SYMBOL_NEXT + (<usize>s << 1), <u16>c);
    }
  }
  const mask = size - 1;
  const step = (size >> 1) + (size >> 3) + 3;
  let pos: u32 = 0;
  for (let s: u32 = 0; s <= maxSymbol; s++) {
    const c = <i32>load<i16>(NCOUNT + (<usize>s << 1));
    for (let i = 0; i < c; i++) {
      store<u8>(SPREAD + <usize>pos, <u8>s);
      pos = (pos + step) & mask;
      while (pos > high) pos = (pos + step) & mask;
    }
  }
}

/**
 * Builds a sequence decoding table (8 bytes a cell: u32 base value, u8 extra
 * bits, u8 state bits, u16 next state) from NCOUNT, with the base values and
 * extra bits of each code.
 */
export function buildSeqTable(
  table: usize,
  tableLog: u32,
  maxSymbol: u32,
  base: usize,
  extra: usize,
): void {
  spread(tableLog, maxSymbol);
  const size: u32 = 1 << tableLog;
  for (let u: u32 = 0; u < size; u++) {
    const s = <usize>load<u8>(SPREAD + <usize>u);
    const next = <u32>load<u16>(SYMBOL_NEXT + (s << 1));
    store<u16>(SYMBOL_NEXT + (s << 1), <u16>(next + 1));
    const nb = tableLog - highbit(next);
    const cell = table + (<usize>u << 3);
    store<u32>(cell, load<u32>(base + (s << 2)));
    store<u8>(cell, load<u8>(extra + s), 4);
    store<u8>(cell, <u8>nb, 5);
    store<u16>(cell, <u16>((next << nb) - size), 6);
  }
}

/** A one-cell table for a sequence code repeated throughout (RLE mode). */
export function buildSeqRle(table: usize, code: u32, base: usize, extra: usize): void {
  store<u32>(table, load<u32>(base + (<usize>code << 2)));
  store<u8>(table, load<u8>(extra + <usize>code), 4);
  store<u8>(table, 0, 5);
  store<u16>(table, 0, 6);
}

// ---- the exact backward bit reader (for the Huffman weights)

let bPtr: usize = 0;
let bStart: usize = 0;
let bBits: u64 = 0;
let bUsed: u32 = 0;

const UNFINISHED = 0;
const OVERFLOW = 3;

function bitInit(src: usize, size: usize): bool {
  if (size < 1) return false;
  const last = <u32>load<u8>(src + size - 1);
  if (last == 0) return false;
  if (size >= 8) {
    bStart = src;
    bPtr = src + size - 8;
    bBits = load<u64>(bPtr);
    bUsed = clz<u32>(last) - 23;
  } else {
    store<u64>(PAD8, 0);
    memory.copy(PAD8, src, size);
    bStart = PAD8;
    bPtr = PAD8;
    bBits = load<u64>(PAD8);
    bUsed = clz<u32>(last) - 23 + (8 - <u32>size) * 8;
  }
  return true;
}

// BIT_reloadDStream(): 0 unfinished, 1 end of buffer, 2 completed, 3 overflow
function bitReload(): i32 {
  if (bUsed > 64) return OVERFLOW;
  if (bPtr >= bStart + 8) {
    bPtr -= <usize>(bUsed >> 3);
    bUsed &= 7;
    bBits = load<u64>(bPtr);
    return UNFINISHED;
  }
  if (bPtr == bStart) return bUsed < 64 ? 1 : 2;
  let nb = <usize>(bUsed >> 3);
  let status = UNFINISHED;
  if (bPtr - bStart < nb) {
    nb = bPtr - bStart;
    status = 1;
  }
  bPtr -= nb;
  bUsed -= <u32>nb << 3;
  bBits = load<u64>(bPtr);
  return status;
}

// @ts-ignore: decorator
@inline function bitRead(n: u32): u32 {
  const v = <u32>(((bBits << <u64>(bUsed & 63)) >> 1) >> <u64>((63 - n) & 63));
  bUsed += n;
  return v;
}

// ---- Huffman

/** Huffman decoding table: u16 cells, symbol in the low byte, code length above. */
export const HUF_TABLE = memory.data(2 * 4096 + 16);
/** Bits looked at per symbol (the tree's largest code length). */
export let hufLog: u32 = 0;

const WEIGHTS = memory.data(256 + 16);
const RANKS = memory.data(4 * 16);
const WEIGHT_FSE = memory.data(4 * 64);

// The FSE-compressed weights (FSE_decompress_wksp() with maxLog 6 and room
// for 255 weights): their number, or -1. How many weights there are follows
// from when the bitstream runs out, so the reload rules are the kernel's.
function decodeWeights(src: usize, size: usize): i32 {
  const n = readNCount(src, size, 255);
  if (n < 0) return -1;
  const tableLog = ncTableLog;
  if (tableLog > 6) return -1;
  spread(tableLog, ncMaxSymbol);
  const tsize: u32 = 1 << tableLog;
  for (let u: u32 = 0; u < tsize; u++) {
    const s = <usize>load<u8>(SPREAD + <usize>u);
    const next = <u32>load<u16>(SYMBOL_NEXT + (s << 1));
    store<u16>(SYMBOL_NEXT + (s << 1), <u16>(next + 1));
    const nb = tableLog - highbit(next);
    const cell = WEIGHT_FSE + (<usize>u << 2);
    store<u8>(cell, <u8>s);
    store<u8>(cell, <u8>nb, 1);
    store<u16>(cell, <u16>((next << nb) - tsize), 2);
  }
  if (!bitInit(src + <usize>n, size - <usize>n)) return -1;
  let state1 = bitRead(tableLog);
  bitReload();
  let state2 = bitRead(tableLog);
  bitReload();
  const omax: i32 = 255;
  let op: i32 = 0;
  // four at a time while the stream is far from its start; the reload is
  // made even when the output test fails, as in the kernel
  for (;;) {
    const more = bitReload() == UNFINISHED;
    if (!(more && op < omax - 3)) break;
    let cell = WEIGHT_FSE + (<usize>state1 << 2);
    store<u8>(WEIGHTS + <usize>op, load<u8>(cell));
    state1 = <u32>load<u16>(cell, 2) + bitRead(<u32>load<u8>(cell, 1));
    cell = WEIGHT_FSE + (<usize>state2 << 2);
    store<u8>(WEIGHTS + <usize>op + 1, load<u8>(cell));
    state2 = <u32>load<u16>(cell, 2) + bitRead(<u32>load<u8>(cell, 1));
    cell = WEIGHT_FSE + (<usize>state1 << 2);
    store<u8>(WEIGHTS + <usize>op + 2, load<u8>(cell));
    state1 = <u32>load<u16>(cell, 2) + bitRead(<u32>load<u8>(cell, 1));
    cell = WEIGHT_FSE + (<usize>state2 << 2);
    store<u8>(WEIGHTS + <usize>op + 3, load<u8>(cell));
    state2 = <u32>load<u16>(cell, 2) + bitRead(<u32>load<u8>(cell, 1));
    op += 4;
  }
  for (;;) {
    if (op > omax - 2) return -1;
    let cell = WEIGHT_FSE + (<usize>state1 << 2);
    store<u8>(WEIGHTS + <usize>op, load<u8>(cell));
    op++;
    state1 = <u32>load<u16>(cell, 2) + bitRead(<u32>load<u8>(cell, 1));
    if (bitReload() == OVERFLOW) {
      store<u8>(WEIGHTS + <usize>op, load<u8>(WEIGHT_FSE + (<usize>state2 << 2)));
      op++;
      break;
    }
    if (op > omax - 2) return -1;
    cell = WEIGHT_FSE + (<usize>state2 << 2);
    store<u8>(WEIGHTS + <usize>op, load<u8>(cell));
    op++;
    state2 = <u32>load<u16>(cell, 2) + bitRead(<u32>load<u8>(cell, 1));
    if (bitReload() == OVERFLOW) {
      store<u8>(WEIGHTS + <usize>op, load<u8>(WEIGHT_FSE + (<usize>state1 << 2)));
      op++;
      break;
    }
  }
  return op;
}

/**
 * Reads a Huffman tree description (RFC 8878 §4.2.1) and builds HUF_TABLE:
 * the description's size in bytes, or -1.
 */
export function readHuffman(src: usize, size: usize): i32 {
  if (size == 0) return -1;
  let iSize = <u32>load<u8>(src);
  let count: u32;
  if (iSize >= 128) {
    // 4-bit weights, two to a byte
    count = iSize - 127;
    iSize = (count + 1) >> 1;
    if (<usize>iSize + 1 > size) return -1;
    for (let n: u32 = 0; n < count; n += 2) {
      const b = load<u8>(src + 1 + <usize>(n >> 1));
      store<u8>(WEIGHTS + <usize>n, b >> 4);
      store<u8>(WEIGHTS + <usize>n + 1, b & 15);
    }
  } else {
    if (<usize>iSize + 1 > size) return -1;
    const n = decodeWeights(src + 1, <usize>iSize);
    if (n < 0) return -1;
    count = <u32>n;
  }
  memory.fill(RANKS, 0, 4 * 16);
  let total: u32 = 0;
  for (let n: u32 = 0; n < count; n++) {
    const w = <u32>load<u8>(WEIGHTS + <usize>n);
    if (w > 12) return -1;
    const r = RANKS + (<usize>w << 2);
    store<u32>(r, load<u32>(r) + 1);
    total += (<u32>1 << w) >> 1;
  }
  if (total == 0) return -1;
  const tableLog = highbit(total) + 1;
  if (tableLog > 12) return -1;
  // the last weight completes the total to a power of two
  const rest = (<u32>1 << tableLog) - total;
  const lastWeight = highbit(rest) + 1;
  if ((<u32>1 << highbit(rest)) != rest) return -1;
  store<u8>(WEIGHTS + <usize>count, <u8>lastWeight);
  const lr = RANKS + (<usize>lastWeight << 2);
  store<u32>(lr, load<u32>(lr) + 1);
  const ones = load<u32>(RANKS, 4);
  if (ones < 2 || (ones & 1) != 0) return -1;
  const symbols = count + 1;
  // lowest weights (longest codes) first, symbols in order within a weight
  let pos: usize = 0;
  for (let w: u32 = 1; w <= tableLog; w++) {
    if (load<u32>(RANKS + (<usize>w << 2)) == 0) continue;
    const len = <usize>1 << (w - 1);
    const cellBase = <u16>((tableLog + 1 - w) << 8);
    for (let s: u32 = 0; s < symbols; s++) {
      if (<u32>load<u8>(WEIGHTS + <usize>s) != w) continue;
      const cell = cellBase | <u16>s;
      const p = HUF_TABLE + (pos << 1);
      for (let i: usize = 0; i < len; i++) store<u16>(p + (i << 1), cell);
      pos += len;
    }
  }
  hufLog = tableLog;
  return <i32>iSize + 1;
}

// One Huffman stream's reader, between the 4-stream loop and its tails.
let sPtr: usize = 0;
let sStart: usize = 0;
let sBits: u64 = 0;
let sUsed: u32 = 0;

const STREAM_PAD = memory.data(8 * 4);

// Starts a stream; short ones are read from a zero-padded copy so that the
// reload below never looks past their end.
function streamInit(src: usize, size: usize, slot: usize): bool {
  if (size == 0) return false;
  const last = <u32>load<u8>(src + size - 1);
  if (last == 0) return false;
  if (size >= 8) {
    sStart = src;
    sPtr = src + size - 8;
    sUsed = clz<u32>(last) - 23;
  } else {
    const pad = STREAM_PAD + (slot << 3);
    store<u64>(pad, 0);
    memory.copy(pad, src, size);
    sStart = pad;
    sPtr = pad;
    sUsed = clz<u32>(last) - 23 + (8 - <u32>size) * 8;
  }
  sBits = load<u64>(sPtr);
  return true;
}

// Decodes symbols into [o, end) from the stream in s*.
function streamDecode(o: usize, end: usize): void {
  let ptr = sPtr;
  const start = sStart;
  let bits = sBits;
  let used = sUsed;
  const shift = <u64>(64 - hufLog);
  while (end - o >= 4) {
    const nb = min<usize>(<usize>(used >> 3), ptr - start);
    ptr -= nb;
    used -= <u32>nb << 3;
    bits = load<u64>(ptr);
    for (let k = 0; k < 4; k++) {
      const cell = <u32>load<u16>(HUF_TABLE + (<usize>((bits << <u64>used) >> shift) << 1));
      store<u8>(o, <u8>cell);
      used += cell >> 8;
      o++;
    }
  }
  while (o < end) {
    const nb = min<usize>(<usize>(used >> 3), ptr - start);
    ptr -= nb;
    used -= <u32>nb << 3;
    bits = load<u64>(ptr);
    const cell = <u32>load<u16>(HUF_TABLE + (<usize>((bits << <u64>used) >> shift) << 1));
    store<u8>(o, <u8>cell);
    used += cell >> 8;
    o++;
  }
  sPtr = ptr;
  sBits = bits;
  sUsed = used;
}

// @ts-ignore: decorator
@inline function streamDone(): bool {
  return <i32>((sPtr - sStart) << 3) + 64 - <i32>sUsed == 0;
}

/** Decodes `n` literals from one Huffman stream of `size` bytes. */
export function decodeHuf1(dst: usize, n: usize, src: usize, size: usize): bool {
  if (!streamInit(src, size, 0)) return false;
  streamDecode(dst, dst + n);
  return streamDone();
}

/** Decodes `n` literals from four Huffman streams behind a 6-byte jump table. */
export function decodeHuf4(dst: usize, n: usize, src: usize, size: usize): bool {
  if (size < 10) return false;
  const l1 = <usize>load<u16>(src);
  const l2 = <usize>load<u16>(src, 2);
  const l3 = <usize>load<u16>(src, 4);
  const head = l1 + l2 + l3 + 6;
  if (head >= size) return false;
  const l4 = size - head;
  const seg = (n + 3) >> 2;
  if (<usize>3 * seg > n) return false;
  const s1 = src + 6;
  const s2 = s1 + l1;
  const s3 = s2 + l2;
  const s4 = s3 + l3;
  if (!streamInit(s1, l1, 0)) return false;
  let p1 = sPtr;
  const st1 = sStart;
  let b1 = sBits;
  let u1 = sUsed;
  if (!streamInit(s2, l2, 1)) return false;
  let p2 = sPtr;
  const st2 = sStart;
  let b2 = sBits;
  let u2 = sUsed;
  if (!streamInit(s3, l3, 2)) return false;
  let p3 = sPtr;
  const st3 = sStart;
  let b3 = sBits;
  let u3 = sUsed;
  if (!streamInit(s4, l4, 3)) return false;
  let p4 = sPtr;
  const st4 = sStart;
  let b4 = sBits;
  let u4 = sUsed;
  let o1 = dst;
  let o2 = dst + seg;
  let o3 = o2 + seg;
  let o4 = o3 + seg;
  const e4 = dst + n;
  const shift = <u64>(64 - hufLog);
  const t = HUF_TABLE;
  // the fourth stream is the shortest: while it has 4 symbols to go, all do
  while (e4 - o4 >= 4) {
    let nb = min<usize>(<usize>(u1 >> 3), p1 - st1);
    p1 -= nb;
    u1 -= <u32>nb << 3;
    b1 = load<u64>(p1);
    nb = min<usize>(<usize>(u2 >> 3), p2 - st2);
    p2 -= nb;
    u2 -= <u32>nb << 3;
    b2 = load<u64>(p2);
    nb = min<usize>(<usize>(u3 >> 3), p3 - st3);
    p3 -= nb;
    u3 -= <u32>nb << 3;
    b3 = load<u64>(p3);
    nb = min<usize>(<usize>(u4 >> 3), p4 - st4);
    p4 -= nb;
    u4 -= <u32>nb << 3;
    b4 = load<u64>(p4);
    for (let k = 0; k < 4; k++) {
      const c1 = <u32>load<u16>(t + (<usize>((b1 << <u64>u1) >> shift) << 1));
      const c2 = <u32>load<u16>(t + (<usize>((b2 << <u64>u2) >> shift) << 1));
      const c3 = <u32>load<u16>(t + (<usize>((b3 << <u64>u3) >> shift) << 1));
      const c4 = <u32>load<u16>(t + (<usize>((b4 << <u64>u4) >> shift) << 1));
      store<u8>(o1, <u8>c1);
      store<u8>(o2, <u8>c2);
      store<u8>(o3, <u8>c3);
      store<u8>(o4, <u8>c4);
      u1 += c1 >> 8;
      u2 += c2 >> 8;
      u3 += c3 >> 8;
      u4 += c4 >> 8;
      o1++;
      o2++;
      o3++;
      o4++;
    }
  }
  sPtr = p1;
  sStart = st1;
  sBits = b1;
  sUsed = u1;
  streamDecode(o1, dst + seg);
  if (!streamDone()) return false;
  sPtr = p2;
  sStart = st2;
  sBits = b2;
  sUsed = u2;
  streamDecode(o2, dst + 2 * seg);
  if (!streamDone()) return false;
  sPtr = p3;
  sStart = st3;
  sBits = b3;
  sUsed = u3;
  streamDecode(o3, dst + 3 * seg);
  if (!streamDone()) return false;
  sPtr = p4;
  sStart = st4;
  sBits = b4;
  sUsed = u4;
  streamDecode(o4, e4);
  return streamDone();
}
