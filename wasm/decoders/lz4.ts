// lz4 members as lib/decompress_unlz4.c reads them from unpack_to_rootfs()
// (fill = NULL, outbuf = NULL), with lib/lz4/lz4_decompress.c's
// LZ4_decompress_safe() for each chunk.
//
// A member is the legacy frame: the magic 02 21 4c 18, then chunks of a
// 4-byte little-endian compressed size and an LZ4 block that decodes to at
// most 8 MiB. The stream has no end marker. The kernel stops, successfully,
// when fewer than 4 bytes remain, when a chunk size is 0 (zero padding after
// the member, since the 2020 "correctly handle zero-padding around initrds"
// fix), or when the input ends exactly after a chunk. A size equal to the
// magic is skipped wherever it appears, so concatenated legacy members are one
// member. Any other size is decoded as a block: garbage after a member, a
// modern lz4 frame (its magic read as a size of 0x184d2204) or a block cut
// short are "Decoding failed".
//
// A chunk whose size runs past the end of the image makes the kernel decode
// whatever memory follows the initrd: the block fails ("Decoding failed", as
// the real kernels reported for a modern frame after a legacy one), or it
// decodes, is flushed, and then the negative size left is "data corrupted"
// (as Debian's 6.1 reported for a member cut in its last literals). This
// module reads zeros past the image.
//
// Memory: one 8 MiB output buffer (the kernel's large_malloc), then the image.

import { ensureMemory } from "./_memory";
import { copyFar, copyNear } from "./_match_copy";

// @ts-ignore: decorator
@external("env", "flush")
declare function flushOutput(ptr: usize, len: u32): i32;

/** The legacy frame magic as a little-endian word. */
const MAGIC: u32 = 0x184c2102;
/** LZ4_DEFAULT_UNCOMPRESSED_CHUNK_SIZE: the output buffer and block limit. */
const CHUNK_SIZE: u32 = 8 << 20;
/** Room past every buffer for the 8- and 16-byte copies of the hot loop. */
const SLACK: usize = 64;

// Error codes (the TS side maps them to the kernel's strings).
const OK: i32 = 0;
const E_HEADER: i32 = 1; // "invalid header"
const E_DECODE: i32 = 2; // "Decoding failed"
const E_FLUSH: i32 = 3; // flush() refused the chunk; no message of its own
const E_MEMORY: i32 = 4; // the image does not fit in linear memory
const E_CORRUPTED: i32 = 5; // "data corrupted": the last chunk ran past the image

const OUT: usize = (__heap_base + 15) & ~(<usize>15);
const INPUT: usize = (OUT + CHUNK_SIZE + SLACK + 15) & ~(<usize>15);

let inptr: u32 = 0;
/** The end of the image area inputBuffer() made. */
let inputEnd: usize = 0;


/** Room for `len` bytes of image (plus slack); the output buffer sits below it. */
export function inputBuffer(len: u32): usize {
  // more than 4 GiB of memory in all: out of reach of a 32-bit module
  if (<usize>len > <usize>0xffffffff - INPUT - SLACK) return 0;
  if (!ensureMemory(INPUT + <usize>len + SLACK)) return 0;
  inputEnd = INPUT + <usize>len + SLACK;
  return INPUT;
}

/** my_inptr after the last decode(). */
export function consumed(): u32 {
  return inptr;
}

/** unlz4() over `len` bytes at `ptr`; returns 0 or an error code. */
export function decode(ptr: usize, len: u32): i32 {
  inptr = 0;
  if (ptr == 0 || !ensureMemory(INPUT)) return E_MEMORY;
  // the kernel reads the 4-byte magic without checking the length
  if (len < 4 || load<u32>(ptr) != MAGIC) return E_HEADER;
  let p = ptr + 4;
  let size = len - 4;
  inptr = 4;
  for (;;) {
    if (size < 4) return OK;
    const chunk = load<u32>(p);
    if (chunk == MAGIC) {
      p += 4;
      size -= 4;
      inptr += 4;
      continue;
    }
    if (chunk == 0) return OK;
    p += 4;
    size -= 4;
    inptr += 4;
    // sizes of 2^31 and more are negative ints to LZ4_decompress_safe()
    if (chunk >= 0x80000000) return E_DECODE;
    let src = p;
    if (chunk > size) {
      // past the image: zeros stand for the memory after the initrd, in a
      // copy past the image (the image itself may be decoded again). A block
      // cannot need more than 16 MiB past the end to fill its 8 MiB buffer.
      if (chunk - size > 2 * CHUNK_SIZE) return E_DECODE;
      src = (inputEnd + 15) & ~(<usize>15);
      if (!ensureMemory(src + <usize>chunk + SLACK)) return E_MEMORY;
      memory.copy(src, p, <usize>size);
      memory.fill(src + <usize>size, 0, <usize>(chunk - size) + SLACK);
    }
    const n = decodeBlock(src, src + chunk);
    if (n < 0) return E_DECODE;
    if (flushOutput(OUT, <u32>n) == 0) return E_FLUSH;
    inptr += chunk;
    if (chunk > size) return E_CORRUPTED;
    size -= chunk;
    p += chunk;
    if (size == 0) return OK;
  }
  return OK; // not reached
}

// LZ4_decompress_safe(src, OUT, iend - src, CHUNK_SIZE): the decoded length,
// or -1. The accept/reject rules are the kernel's, including those of its
// fast path for short sequences (which skips the end-of-block checks of the
// general path), so that hostile blocks fail exactly where the kernel's do.
// Copies may write up to 24 bytes past the decoded end; OUT has slack for it.
function decodeBlock(src: usize, iend: usize): i32 {
  let ip = src;
  let op = OUT;
  const oend = OUT + CHUNK_SIZE;
  for (;;) {
    const token = <u32>load<u8>(ip);
    ip++;
    let lit = token >> 4;
    let ml: u32;
    let off: u32;
    if (lit != 15 && iend - ip > 16 && oend - op >= 32) {
      // a literal run of 0..14 bytes with room on both sides: copy 16
      store<u64>(op, load<u64>(ip));
      store<u64>(op, load<u64>(ip, 8), 8);
      op += lit;
      ip += lit;
      ml = token & 15;
      off = <u32>load<u16>(ip);
      ip += 2;
      if (ml != 15 && off >= 8 && off <= <u32>(op - OUT)) {
        // a match of 4..18 bytes at distance 8 or more: copy 24, 8 at a time
        const m = op - off;
        store<u64>(op, load<u64>(m));
        store<u64>(op + 8, load<u64>(m + 8));
        store<u64>(op + 16, load<u64>(m + 16));
        op += ml + 4;
        continue;
      }
    } else {
      if (lit == 15) {
        if (iend - ip <= 15) return -1;
        let s: u32;
        do {
          s = <u32>load<u8>(ip);
          ip++;
          lit += s;
          // longer than the output buffer: the kernel fails on it below
          if (lit > CHUNK_SIZE) return -1;
        } while (iend - ip > 15 && s == 255);
      }
      const inLeft = <u32>(iend - ip);
      if (lit + 12 > <u32>(oend - op) || lit + 8 > inLeft) {
        // the last literals: they must end the block exactly
        if (lit != inLeft || lit > <u32>(oend - op)) return -1;
        memory.copy(op, ip, lit);
        op += lit;
        return <i32>(op - OUT);
      }
      if (lit <= 16) {
        store<u64>(op, load<u64>(ip));
        store<u64>(op, load<u64>(ip, 8), 8);
      } else {
        memory.copy(op, ip, lit);
      }
      op += lit;
      ip += lit;
      off = <u32>load<u16>(ip);
      ip += 2;
      ml = token & 15;
    }
    // the general match path
    if (off > <u32>(op - OUT)) return -1;
    if (ml == 15) {
      let s: u32;
      do {
        s = <u32>load<u8>(ip);
        ip++;
        if (iend - ip < 5) return -1;
        ml += s;
        if (ml > CHUNK_SIZE) return -1;
      } while (s == 255);
    }
    ml += 4;
    // the last 5 bytes of the output buffer must be literals
    if (ml + 5 > <u32>(oend - op)) return -1;
    copyMatch(op, off, ml);
    op += ml;
  }
  return -1; // not reached
}

// Copies `len` bytes from `off` bytes back, as a byte-by-byte LZ77 copy
// would. Offset 0 is not rejected by the kernel's decoder: its output is
// zeros (it first stores the offset as a 32-bit word, then copies that).
// @ts-ignore: decorator
@inline
function copyMatch(op: usize, off: u32, len: u32): void {
  if (off >= len) {
    if (len <= 16) {
      const m = op - off;
      store<u64>(op, load<u64>(m));
      store<u64>(op, load<u64>(m, 8), 8);
    } else {
      memory.copy(op, op - off, len);
    }
  } else if (off >= 8) {
    copyFar(op, op - off, len);
  } else if (off == 1) {
    memory.fill(op, load<u8>(op - 1), len);
  } else if (off == 0) {
    memory.fill(op, 0, len);
  } else {
    copyNear(op, off, len);
  }
}


