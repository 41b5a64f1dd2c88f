// bzip2 members as lib/decompress_bunzip2.c reads them from unpack_to_rootfs()
// (fill = NULL, outbuf = NULL, flush given): bunzip2(), start_bunzip(),
// get_next_block(), read_bunzip() and get_bits().
//
// The stream: "BZh1".."BZh9" (anything else is RETVAL_NOT_BZIP_DATA, no
// message), then blocks of at most level * 100000 bytes, each a 48-bit magic,
// the block CRC, a randomised bit (set: RETVAL_OBSOLETE_INPUT), origPtr, the
// symbol map, 2..6 Huffman groups with MTF-coded selectors, the symbols (RUNA,
// RUNB, MTF literals, end of block) and the inverse BWT with the 4-byte run
// rule; the end-of-stream magic carries the combined CRC. Output goes through
// one 4096-byte buffer (BZIP2_IOBUF_SIZE), handed to flush() each time
// read_bunzip() returns a positive count.
//
// What the kernel checks, and therefore what this module checks:
// - each block's CRC, when its last byte has been written: a mismatch ends the
//   member with "Data integrity error when decompressing."; the bytes of that
//   read_bunzip() call (up to 4095 of them, possibly a full buffer) are never
//   flushed;
// - the combined CRC at the end-of-stream magic, but only when the call that
//   met the magic had written bytes: a stream that decodes to nothing is
//   accepted whatever its combined CRC (read_bunzip() then returns 0, which
//   bunzip2() takes for success);
// - a flush() that refuses a buffer: "Compressed file ends unexpectedly";
// - nothing else has a message: a bad block magic, a data error or the
//   randomised bit make bunzip2() fail silently.
// The member ends at the end-of-stream magic; a second stream or trailing
// bytes are left to the unpacker. my_inptr is the bit reader's byte position:
// it fetches a byte only when it needs more bits, so for a well-formed stream
// it is the stream's length, and on errors it counts every byte fetched,
// including the read-ahead of a Huffman code (maxLen bits are fetched before
// the unused ones are put back) and, when the last block is complete, the
// next block's header read before a full output buffer is returned.
//
// Running out of input: the kernel's nofill() returns -1 once, so the read
// that meets the end returns 0 (its missing bits are not consumed), and the
// reader then goes on fetching the bytes that follow the image in memory,
// because inbufCount is left at -1. Those bytes are read here as zeros, so a
// cut member decodes like the kernel's over zeroed memory and my_inptr can
// pass the end of the input. Every loop is bounded: each block stops after
// nSelectors * 50 symbols, and a block header of zeros is not bzip2 data.
// (The 6.12 kernel under the shared oracle, with the initrd at the top of
// RAM, faulted in get_next_block() on a member cut in the middle of a block;
// cut inside the end-of-stream CRC, it wrote all the output and reported
// "Data integrity error when decompressing.", as this module does.)
//
// Kernel quirks kept, because hostile input reaches them: a selector may be
// MTF position groupCount (the bound is checked before the increment), which
// picks up whatever the shared MTF array holds there; groups not rebuilt in
// this block keep their tables from an earlier block (a group never built
// decodes RUNA from no bits); symbol slots past the current alphabet keep
// older permute[] and symToByte[] entries; the per-length code counts are
// bytes and wrap. Where the kernel goes out of its own memory (a selector of
// 6 or more indexes past groups[], a run whose length overflows int writes
// past dbuf) this module stops with a data error instead.
//
// Memory: the 4096-byte output buffer, the tables, the 900000-entry dbuf of
// the largest block size, then the image.

import { ensureMemory } from "./_memory";

// @ts-ignore: decorator
@external("env", "flush")
declare function flushOutput(ptr: usize, len: u32): i32;

// Status codes of the kernel's functions.
const RETVAL_OK: i32 = 0;
const RETVAL_LAST_BLOCK: i32 = -1;
const RETVAL_NOT_BZIP_DATA: i32 = -2;
const RETVAL_UNEXPECTED_OUTPUT_EOF: i32 = -4;
const RETVAL_DATA_ERROR: i32 = -5;
const RETVAL_OBSOLETE_INPUT: i32 = -7;
const OUT_OF_BOUNDS: i32 = -100; // where the kernel leaves its own memory

// Error codes of decode() (the TS side maps them to the kernel's strings).
const OK: i32 = 0;
const E_INTEGRITY: i32 = 1; // "Data integrity error when decompressing."
const E_OUTPUT_EOF: i32 = 2; // "Compressed file ends unexpectedly"
const E_NOT_BZIP: i32 = 3; // no message
const E_DATA: i32 = 4; // no message
const E_OBSOLETE: i32 = 5; // no message
const E_OUT_OF_BOUNDS: i32 = 6; // no message (the kernel's behaviour is undefined)
const E_MEMORY: i32 = 7; // the image does not fit in linear memory

const IOBUF_SIZE: i32 = 4096; // BZIP2_IOBUF_SIZE
const MAX_GROUPS: i32 = 6;
const GROUP_SIZE: i32 = 50;
const MAX_HUFCODE_BITS: i32 = 20;
const MAX_SYMBOLS: u32 = 258;
const MAX_DBUF: u32 = 900000;
const BZH0: u32 = 0x425a6830; // "BZh0"
/** Code bits resolved by one table lookup; longer codes take the kernel's walk. */
const LUT_BITS: i32 = 10;

// ---- memory layout
const OUT: usize = (__heap_base + 63) & ~(<usize>63);
const CRC_TABLES: usize = OUT + <usize>IOBUF_SIZE + 64; // 8 x 256 u32, slicing by 8
// the state below is zeroed for each member, as start_bunzip() memsets bd
const STATE: usize = CRC_TABLES + 8 * 1024;
const SELECTORS: usize = STATE; // u8[32768]
const LIMIT: usize = SELECTORS + 32768; // per group i32[24], indexed by code length
const BASE: usize = LIMIT + MAX_GROUPS * 96; // per group i32[24], indexed by code length
const PERMUTE: usize = BASE + MAX_GROUPS * 96; // per group u16[260]
const MINLEN: usize = PERMUTE + MAX_GROUPS * 520; // i32[8]
const MAXLEN: usize = MINLEN + 32; // i32[8]
const LUT: usize = MAXLEN + 32; // per group u16[1 << LUT_BITS]: (symbol << 5) | length, 0 = walk
const BYTE_COUNT: usize = LUT + MAX_GROUPS * (2 << LUT_BITS); // i32[256]
const SYM_TO_BYTE: usize = BYTE_COUNT + 1024; // u8[256]
const MTF: usize = SYM_TO_BYTE + 256; // u8[256]
const STATE_END: usize = MTF + 256;
// scratch of one block header
const LENGTH: usize = STATE_END; // u8[260]
const TEMP: usize = LENGTH + 260; // u8[24]
const DBUF: usize = (TEMP + 24 + 63) & ~(<usize>63); // u32[MAX_DBUF]
const INPUT: usize = (DBUF + <usize>MAX_DBUF * 4 + 63) & ~(<usize>63);

// ---- bit reader (get_bits): the input, the position, the bit buffer
let inPtr: usize = 0;
let inLen: u32 = 0;
let inPos: u32 = 0;
let inEnded = false; // nofill() has been called: inbufCount is -1 from now on
let bitCount: u32 = 0;
let bitBuf: u32 = 0;

// ---- bunzip_data
let dbufSize: i32 = 0;
let headerCRC: u32 = 0;
let totalCRC: u32 = 0;
let writeCRC: u32 = 0;
let writeCopies: i32 = 0;
let writePos: i32 = 0;
let writeRunCountdown: i32 = 0;
let writeCount: i32 = 0;
let writeCurrent: i32 = 0;

let crcReady = false;
let inptr: u32 = 0;


/** Room for `len` bytes of image; the decoder's buffers sit below it. */
export function inputBuffer(len: u32): usize {
  if (!ensureMemory(INPUT + <usize>len)) return 0;
  return INPUT;
}

/** my_inptr after the last decode(). */
export function consumed(): u32 {
  return inptr;
}

/** bunzip2() over `len` bytes at `ptr`; returns 0 or an error code. */
export function decode(ptr: usize, len: u32): i32 {
  inptr = 0;
  if (ptr == 0 || !ensureMemory(INPUT)) return E_MEMORY;
  if (!crcReady) initCrc();
  memory.fill(STATE, 0, STATE_END - STATE);
  inPtr = ptr;
  inLen = len;
  inPos = 0;
  inEnded = false;
  bitCount = 0;
  bitBuf = 0;
  headerCRC = 0;
  totalCRC = 0;
  writeCRC = 0;
  writeCopies = 0;
  writePos = 0;
  writeRunCountdown = 0;
  writeCount = 0;
  writeCurrent = 0;

  const magic = getBits(32);
  if (magic - BZH0 - 1 >= 9) {
    inptr = inPos;
    return E_NOT_BZIP;
  }
  dbufSize = 100000 * <i32>(magic - BZH0);
  let r: i32;
  for (;;) {
    r = readBunzip();
    if (r <= 0) break;
    if (flushOutput(OUT, <u32>r) == 0) {
      r = RETVAL_UNEXPECTED_OUTPUT_EOF;
      break;
    }
  }
  inptr = inPos;
  if (r == RETVAL_LAST_BLOCK) return headerCRC != totalCRC ? E_INTEGRITY : OK;
  if (r == RETVAL_OK) return OK;
  if (r == RETVAL_UNEXPECTED_OUTPUT_EOF) return E_OUTPUT_EOF;
  if (r == RETVAL_NOT_BZIP_DATA) return E_NOT_BZIP;
  if (r == RETVAL_OBSOLETE_INPUT) return E_OBSOLETE;
  if (r == OUT_OF_BOUNDS) return E_OUT_OF_BOUNDS;
  return E_DATA;
}

// get_bits(): big-endian bits, one byte fetched at a time while fewer than
// `want` bits are buffered. At the end of the input the first call returns 0
// without taking anything; later calls fetch the zeros that stand for the
// memory after the image. Shifts by 32 or more wrap as on x86 (and in wasm).
function getBits(want: u32): u32 {
  let bits: u32 = 0;
  while (bitCount < want) {
    if (!inEnded && inPos == inLen) {
      inEnded = true;
      return 0;
    }
    if (bitCount >= 24) {
      bits = bitBuf & ((1 << bitCount) - 1);
      want -= bitCount;
      bits <<= want;
      bitCount = 0;
    }
    bitBuf = (bitBuf << 8) | (inPos < inLen ? <u32>load<u8>(inPtr + inPos) : 0);
    inPos++;
    bitCount += 8;
  }
  bitCount -= want;
  bits |= (bitBuf >> bitCount) & ((1 << want) - 1);
  return bits;
}

// get_next_block(): reads one block into dbuf and prepares the inverse BWT.
function getNextBlock(): i32 {
  const i0 = getBits(24);
  const j0 = getBits(24);
  headerCRC = getBits(32);
  if (i0 == 0x177245 && j0 == 0x385090) return RETVAL_LAST_BLOCK;
  if (i0 != 0x314159 || j0 != 0x265359) return RETVAL_NOT_BZIP_DATA;
  if (getBits(1) != 0) return RETVAL_OBSOLETE_INPUT;
  const origPtr = getBits(24);
  if (origPtr >= <u32>dbufSize) return RETVAL_DATA_ERROR;

  // the symbol map
  const used = getBits(16);
  let symTotal: i32 = 0;
  for (let i: i32 = 0; i < 16; i++) {
    if ((used & (1 << (15 - i))) != 0) {
      const k = getBits(16);
      for (let j: i32 = 0; j < 16; j++) {
        if ((k & (1 << (15 - j))) != 0) {
          store<u8>(SYM_TO_BYTE + <usize>symTotal, <u8>(16 * i + j));
          symTotal++;
        }
      }
    }
  }

  const groupCount = <i32>getBits(3);
  if (groupCount < 2 || groupCount > MAX_GROUPS) return RETVAL_DATA_ERROR;
  const nSelectors = <i32>getBits(15);
  if (nSelectors == 0) return RETVAL_DATA_ERROR;
  for (let i: i32 = 0; i < groupCount; i++) store<u8>(MTF + <usize>i, <u8>i);
  for (let i: i32 = 0; i < nSelectors; i++) {
    let j: i32 = 0;
    while (getBits(1) != 0) {
      if (j >= groupCount) return RETVAL_DATA_ERROR;
      j++;
    }
    // j may equal groupCount: the MTF array's next byte is taken as it is
    const uc = load<u8>(MTF + <usize>j);
    for (; j > 0; j--) store<u8>(MTF + <usize>j, load<u8>(MTF + <usize>(j - 1)));
    store<u8>(MTF, uc);
    store<u8>(SELECTORS + <usize>i, uc);
  }

  // the code lengths and decoding tables of each group
  const symCount = symTotal + 2;
  for (let g: i32 = 0; g < groupCount; g++) {
    let t = <i32>getBits(5) - 1;
    for (let i: i32 = 0; i < symCount; i++) {
      for (;;) {
        if (<u32>t > <u32>(MAX_HUFCODE_BITS - 1)) return RETVAL_DATA_ERROR;
        const k = getBits(2);
        if (k < 2) {
          bitCount++;
          break;
        }
        t += ((<i32>k + 1) & 2) - 1;
      }
      store<u8>(LENGTH + <usize>i, <u8>(t + 1));
    }
    buildGroup(g, symCount);
  }

  // the symbols: Huffman, RUNA/RUNB runs, MTF literals, into dbuf
  memory.fill(BYTE_COUNT, 0, 1024);
  for (let i: i32 = 0; i < 256; i++) store<u8>(MTF + <usize>i, <u8>i);
  const size = dbufSize;
  let dbufCount: i32 = 0;
  let runPos: i32 = 0;
  let t: i32 = 0;
  let symLeft: i32 = 0;
  let selector: i32 = 0;
  let maxLen: u32 = 0;
  let lutShift: u32 = 0;
  let lut: usize = 0;
  let group: i32 = 0;
  let pos = inPos;
  let count = bitCount;
  let buf = bitBuf;
  const end = inLen;
  const src = inPtr;
  for (;;) {
    if (symLeft == 0) {
      symLeft = GROUP_SIZE;
      if (selector >= nSelectors) {
        inPos = pos;
        bitCount = count;
        bitBuf = buf;
        return RETVAL_DATA_ERROR;
      }
      group = <i32>load<u8>(SELECTORS + <usize>selector);
      selector++;
      if (group >= MAX_GROUPS) {
        inPos = pos;
        bitCount = count;
        bitBuf = buf;
        return OUT_OF_BOUNDS;
      }
      maxLen = load<u32>(MAXLEN + (<usize>group << 2));
      lutShift = maxLen > <u32>LUT_BITS ? maxLen - <u32>LUT_BITS : 0;
      lut = LUT + (<usize>group << (LUT_BITS + 1));
    }
    symLeft--;

    // maxLen bits, fetched a byte at a time as the kernel's inline reader
    // does: the k bytes it would fetch are taken with one load when 4 are there
    let j: u32;
    if (count < maxLen && pos + 4 <= end) {
      const k = (maxLen - count + 7) >> 3;
      const w = bswap<u32>(load<u32>(src + <usize>pos));
      buf = (buf << (k << 3)) | (w >> (32 - (k << 3)));
      pos += k;
      count += k << 3;
    }
    while (count < maxLen && pos < end) {
      buf = (buf << 8) | <u32>load<u8>(src + <usize>pos);
      pos++;
      count += 8;
    }
    if (count >= maxLen) {
      count -= maxLen;
      j = (buf >> count) & ((1 << maxLen) - 1);
    } else {
      inPos = pos;
      bitCount = count;
      bitBuf = buf;
      j = getBits(maxLen);
      pos = inPos;
      count = bitCount;
      buf = bitBuf;
    }

    let nextSym: i32;
    const e = <u32>load<u16>(lut + (<usize>(j >> lutShift) << 1));
    if (e != 0) {
      count += maxLen - (e & 31);
      nextSym = <i32>(e >> 5);
    } else if (maxLen == 0) {
      // a group never built in this member: limit[] and base[] are zero
      nextSym = 0;
    } else {
      // the kernel's walk up the limits
      const limit = LIMIT + <usize>group * 96;
      let i = load<u32>(MINLEN + (<usize>group << 2));
      while (<i32>j > load<i32>(limit + (<usize>i << 2))) i++;
      count += maxLen - i;
      if (i > maxLen) {
        inPos = pos;
        bitCount = count;
        bitBuf = buf;
        return RETVAL_DATA_ERROR;
      }
      const idx = <u32>(<i32>(j >> (maxLen - i)) -
        load<i32>(BASE + <usize>group * 96 + (<usize>i << 2)));
      if (idx >= MAX_SYMBOLS) {
        inPos = pos;
        bitCount = count;
        bitBuf = buf;
        return RETVAL_DATA_ERROR;
      }
      nextSym = <i32>load<u16>(PERMUTE + <usize>group * 520 + (<usize>idx << 1));
    }

    if (<u32>nextSym <= 1) {
      // RUNA or RUNB: one more binary digit (1 or 2) of the run length
      if (runPos == 0) {
        runPos = 1;
        t = 0;
      }
      t += runPos << nextSym;
      runPos <<= 1;
      continue;
    }
    if (runPos != 0) {
      runPos = 0;
      if (dbufCount + t >= size) {
        inPos = pos;
        bitCount = count;
        bitBuf = buf;
        return RETVAL_DATA_ERROR;
      }
      if (t < 0 || dbufCount + t < dbufCount) {
        // the kernel's while (t--) would write far past dbuf
        inPos = pos;
        bitCount = count;
        bitBuf = buf;
        return OUT_OF_BOUNDS;
      }
      const uc = <u32>load<u8>(SYM_TO_BYTE + <usize>load<u8>(MTF));
      const bcp = BYTE_COUNT + (<usize>uc << 2);
      store<i32>(bcp, load<i32>(bcp) + t);
      let p = DBUF + (<usize>dbufCount << 2);
      const stop = p + (<usize>t << 2);
      while (p < stop) {
        store<u32>(p, uc);
        p += 4;
      }
      dbufCount += t;
    }
    if (nextSym > symTotal) break;
    if (dbufCount >= size) {
      inPos = pos;
      bitCount = count;
      bitBuf = buf;
      return RETVAL_DATA_ERROR;
    }
    // a literal: MTF position nextSym - 1 moves to the front; the first 16
    // positions are two 64-bit words
    const i = <u32>(nextSym - 1);
    let uc: u32;
    if (i < 8) {
      const v = load<u64>(MTF);
      const sh = <u64>(i << 3);
      uc = <u32>(v >> sh) & 0xff;
      const low = <u64>-1 >> (56 - sh);
      store<u64>(MTF, (v & ~low) | ((v << 8) & low) | <u64>uc);
    } else if (i < 16) {
      const v0 = load<u64>(MTF);
      const v1 = load<u64>(MTF, 8);
      const sh = <u64>((i - 8) << 3);
      uc = <u32>(v1 >> sh) & 0xff;
      const low = <u64>-1 >> (56 - sh);
      store<u64>(MTF, (v1 & ~low) | ((v1 << 8) & low) | (v0 >> 56), 8);
      store<u64>(MTF, (v0 << 8) | <u64>uc);
    } else {
      uc = <u32>load<u8>(MTF + <usize>i);
      memory.copy(MTF + 1, MTF, <usize>i);
      store<u8>(MTF, <u8>uc);
    }
    const b = <u32>load<u8>(SYM_TO_BYTE + <usize>uc);
    const bcp = BYTE_COUNT + (<usize>b << 2);
    store<i32>(bcp, load<i32>(bcp) + 1);
    store<u32>(DBUF + (<usize>dbufCount << 2), b);
    dbufCount++;
  }
  inPos = pos;
  bitCount = count;
  bitBuf = buf;

  // inverse BWT: where each byte goes in sorted order
  let sum: i32 = 0;
  for (let i: usize = 0; i < 256; i++) {
    const c = load<i32>(BYTE_COUNT + (i << 2));
    store<i32>(BYTE_COUNT + (i << 2), sum);
    sum += c;
  }
  for (let i: i32 = 0; i < dbufCount; i++) {
    const uc = load<u32>(DBUF + (<usize>i << 2)) & 0xff;
    const bcp = BYTE_COUNT + (<usize>uc << 2);
    const k = load<i32>(bcp);
    store<i32>(bcp, k + 1);
    const q = DBUF + (<usize>k << 2);
    store<u32>(q, load<u32>(q) | (<u32>i << 8));
  }
  if (dbufCount != 0) {
    if (origPtr >= <u32>dbufCount) return RETVAL_DATA_ERROR;
    const first = load<u32>(DBUF + (<usize>origPtr << 2));
    writeCurrent = <i32>(first & 0xff);
    writePos = <i32>(first >> 8);
    writeRunCountdown = 5;
  }
  writeCount = dbufCount;
  return RETVAL_OK;
}

// The kernel's permute[], limit[] and base[] of group `g` from LENGTH, and
// the lookup table that gives the same answer as its walk for short codes.
function buildGroup(g: i32, symCount: i32): void {
  let minLen = <i32>load<u8>(LENGTH);
  let maxLen = minLen;
  for (let i: i32 = 1; i < symCount; i++) {
    const l = <i32>load<u8>(LENGTH + <usize>i);
    if (l > maxLen) maxLen = l;
    else if (l < minLen) minLen = l;
  }
  store<i32>(MINLEN + (<usize>g << 2), minLen);
  store<i32>(MAXLEN + (<usize>g << 2), maxLen);
  const limit = LIMIT + <usize>g * 96;
  const base = BASE + <usize>g * 96;
  const permute = PERMUTE + <usize>g * 520;
  let pp: i32 = 0;
  for (let i = minLen; i <= maxLen; i++) {
    store<u8>(TEMP + <usize>i, 0);
    store<i32>(limit + (<usize>i << 2), 0);
    for (let t: i32 = 0; t < symCount; t++) {
      if (<i32>load<u8>(LENGTH + <usize>t) == i) {
        store<u16>(permute + (<usize>pp << 1), <u16>t);
        pp++;
      }
    }
  }
  // counts per length are bytes in the kernel: 256 codes of one length count 0
  for (let i: i32 = 0; i < symCount; i++) {
    const tp = TEMP + <usize>load<u8>(LENGTH + <usize>i);
    store<u8>(tp, load<u8>(tp) + 1);
  }
  pp = 0;
  let t: i32 = 0;
  for (let i = minLen; i < maxLen; i++) {
    const n = <i32>load<u8>(TEMP + <usize>i);
    pp += n;
    store<i32>(limit + (<usize>i << 2), (pp << (maxLen - i)) - 1);
    pp <<= 1;
    t += n;
    store<i32>(base + (<usize>(i + 1) << 2), pp - t);
  }
  store<i32>(limit + (<usize>(maxLen + 1) << 2), 0x7fffffff);
  store<i32>(limit + (<usize>maxLen << 2), pp + <i32>load<u8>(TEMP + <usize>maxLen) - 1);
  store<i32>(base + (<usize>minLen << 2), 0);

  // lookup table on the first L bits of the maxLen-bit window: limit[i] + 1
  // is a multiple of 2^(maxLen - L) for i <= L, so the walk's answer for
  // lengths up to L depends on those bits only
  const L = maxLen < LUT_BITS ? maxLen : LUT_BITS;
  const size: u32 = 1 << L;
  const shift = maxLen - L;
  const lut = LUT + (<usize>g << (LUT_BITS + 1));
  let filled: u32 = 0;
  for (let i = minLen; i <= L && filled < size; i++) {
    let q = <u32>((load<i32>(limit + (<usize>i << 2)) + 1) >> shift);
    if (q > size) q = size;
    const b = load<i32>(base + (<usize>i << 2));
    for (let v = filled; v < q; v++) {
      const idx = <u32>(<i32>(v >> <u32>(L - i)) - b);
      const e: u32 = idx < MAX_SYMBOLS
        ? ((<u32>load<u16>(permute + (<usize>idx << 1)) << 5) | <u32>i)
        : 0;
      store<u16>(lut + (<usize>v << 1), <u16>e);
    }
    if (q > filled) filled = q;
  }
  for (let v = filled; v < size; v++) store<u16>(lut + (<usize>v << 1), 0);
}

// read_bunzip() into OUT: the number of bytes written (IOBUF_SIZE when the
// buffer is full), or a status at the end of the stream or on an error.
function readBunzip(): i32 {
  if (writeCount < 0) return writeCount;
  const len = IOBUF_SIZE;
  let got: i32 = 0;
  let pos = writePos;
  let cur = writeCurrent;
  let countdown = writeRunCountdown;
  let left = writeCount;
  let crc = writeCRC;
  let crcFrom: i32 = 0;
  // copies of `cur` still to write; 0 = decode the next byte
  let pending: i32 = 0;
  // 0: write pending copies; 1: decode the next byte; 2: the block's bytes
  // are all written; 3: read the next block
  let state: i32;
  if (writeCopies != 0) {
    pending = writeCopies;
    state = 0;
  } else {
    state = 3;
  }
  for (;;) {
    if (state == 0) {
      const room = len - got;
      if (room == 0) {
        writePos = pos;
        writeCurrent = cur;
        writeCopies = pending;
        writeRunCountdown = countdown;
        writeCount = left;
        writeCRC = crcUpdate(crc, OUT + <usize>crcFrom, got - crcFrom);
        return len;
      }
      if (pending == 1) {
        store<u8>(OUT + <usize>got, <u8>cur);
        got++;
        pending = 0;
      } else {
        const n = pending < room ? pending : room;
        memory.fill(OUT + <usize>got, <u8>cur, <usize>n);
        got += n;
        pending -= n;
        if (pending != 0) continue;
      }
      state = 1;
    } else if (state == 1) {
      // the hot loop: one dbuf load per byte, single bytes written at once
      for (;;) {
        if (left == 0) {
          left = -1;
          state = 2;
          break;
        }
        left--;
        const prev = cur;
        const e = load<u32>(DBUF + (<usize>pos << 2));
        cur = <i32>(e & 0xff);
        pos = <i32>(e >> 8);
        if (--countdown != 0) {
          if (cur != prev) countdown = 4;
          if (got < len) {
            store<u8>(OUT + <usize>got, <u8>cur);
            got++;
            continue;
          }
          pending = 1;
          state = 0;
          break;
        }
        // the byte after four equal ones is a repeat count
        const copies = cur;
        cur = prev;
        countdown = 5;
        if (copies == 0) continue;
        pending = copies;
        state = 0;
        break;
      }
    } else if (state == 2) {
      writeCRC = ~crcUpdate(crc, OUT + <usize>crcFrom, got - crcFrom);
      totalCRC = ((totalCRC << 1) | (totalCRC >> 31)) ^ writeCRC;
      if (writeCRC != headerCRC) {
        totalCRC = headerCRC + 1;
        writeCount = -1;
        return RETVAL_LAST_BLOCK;
      }
      state = 3;
    } else {
      const r = getNextBlock();
      if (r != 0) {
        writeCount = r;
        return r != RETVAL_LAST_BLOCK ? r : got;
      }
      crc = 0xffffffff;
      crcFrom = got;
      pos = writePos;
      cur = writeCurrent;
      countdown = writeRunCountdown;
      left = writeCount;
      state = 1;
    }
  }
  return 0; // not reached
}

// ---- CRC32, most significant bit first (polynomial 0x04c11db7), by 8 bytes

function initCrc(): void {
  for (let i: u32 = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = (c & 0x80000000) != 0 ? (c << 1) ^ 0x04c11db7 : c << 1;
    store<u32>(CRC_TABLES + (<usize>i << 2), c);
  }
  for (let t: usize = 1; t < 8; t++) {
    for (let i: usize = 0; i < 256; i++) {
      const prev = load<u32>(CRC_TABLES + ((t - 1) << 10) + (i << 2));
      store<u32>(
        CRC_TABLES + (t << 10) + (i << 2),
        (prev << 8) ^ load<u32>(CRC_TABLES + (<usize>(prev >> 24) << 2)),
      );
    }
  }
  crcReady = true;
}

// @ts-ignore: decorator
@inline
function tab(t: usize, i: u32): u32 {
  return load<u32>(CRC_TABLES + (t << 10) + (<usize>i << 2));
}

function crcUpdate(crc: u32, p: usize, n: i32): u32 {
  const end = p + <usize>n;
  while (p + 8 <= end) {
    const w = bswap<u32>(load<u32>(p)) ^ crc;
    const b = load<u32>(p, 4);
    crc = tab(7, w >> 24) ^ tab(6, (w >> 16) & 0xff) ^ tab(5, (w >> 8) & 0xff) ^
      tab(4, w & 0xff) ^ tab(3, b & 0xff) ^ tab(2, (b >> 8) & 0xff) ^
      tab(1, (b >> 16) & 0xff) ^ tab(0, b >> 24);
    p += 8;
  }
  while (p < end) {
    crc = (crc << 8) ^ tab(0, (crc >> 24) ^ <u32>load<u8>(p));
    p++;
  }
  return crc;
}
