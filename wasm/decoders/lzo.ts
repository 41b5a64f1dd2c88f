// lzo members as lib/decompress_unlzo.c reads them from unpack_to_rootfs()
// (fill = NULL, outbuf = NULL), with lib/lzo/lzo1x_decompress_safe.c for
// each compressed block.
//
// The lzop header is parsed as parse_header() does it: at least 33 bytes, the
// 9-byte magic, the version (big-endian), then 7 bytes skipped whatever the
// version (library version, version needed, method), a level byte only when
// the version is 0x0940 or later, the flags, 4 more bytes when F_H_FILTER
// (0x800) is set (the filter is skipped, never applied), mode and mtime_low,
// mtime_high only from version 0x0940, the name length and name, and the
// header checksum (never checked). The other flags are ignored: every block is
// read as dst_len, src_len and exactly one checksum word (never checked).
// A dst_len of 0 ends the member (those 4 bytes count in my_inptr); the
// kernel does not look for another lzop stream after it, unpack_to_rootfs()
// starts a new member there instead.
//
// Memory: one 256 KiB output buffer (the kernel's malloc(LZO_BLOCK_SIZE)),
// then the image.

import { ensureMemory } from "./_memory";
import { copyFar, copyNear } from "./_match_copy";

// @ts-ignore: decorator
@external("env", "flush")
declare function flushOutput(ptr: usize, len: u32): i32;

/** LZO_BLOCK_SIZE: the output buffer and the largest dst_len. */
const BLOCK_SIZE: u32 = 256 * 1024;
/** HEADER_SIZE_MIN: the shortest header parse_header() looks at. */
const HEADER_SIZE_MIN: u32 = 9 + 7 + 4 + 8 + 1 + 4;
const F_H_FILTER: u32 = 0x800;
/** Room past every buffer for the 8- and 16-byte copies of the hot loop. */
const SLACK: usize = 64;

// Error codes (the TS side maps them to the kernel's strings).
const OK: i32 = 0;
const E_HEADER: i32 = 1; // "invalid header"
const E_CORRUPT: i32 = 2; // "file corrupted"
const E_DST_LEN: i32 = 3; // "dest len longer than block size"
const E_VIOLATION: i32 = 4; // "Compressed data violation"
const E_FLUSH: i32 = 5; // flush() refused the block; no message of its own
const E_MEMORY: i32 = 6; // the image does not fit in linear memory

const OUT: usize = (__heap_base + 15) & ~(<usize>15);
const INPUT: usize = (OUT + BLOCK_SIZE + SLACK + 15) & ~(<usize>15);

let inptr: u32 = 0;


/** Room for `len` bytes of image (plus slack); the output buffer sits below it. */
export function inputBuffer(len: u32): usize {
  // more than 4 GiB of memory in all: out of reach of a 32-bit module
  if (<usize>len > <usize>0xffffffff - INPUT - SLACK) return 0;
  if (!ensureMemory(INPUT + <usize>len + SLACK)) return 0;
  return INPUT;
}

/** my_inptr after the last decode(). */
export function consumed(): u32 {
  return inptr;
}

// @ts-ignore: decorator
@inline
function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

// parse_header(): the header's length, or 0 when it is "invalid".
function parseHeader(p: usize, len: u32): u32 {
  if (len < HEADER_SIZE_MIN) return 0;
  if (load<u64>(p) != 0x1a0a0d004f5a4c89 || load<u8>(p, 8) != 0x0a) return 0;
  const version = <u32>bswap<u16>(load<u16>(p, 9));
  let q: u32 = 9 + 7;
  if (version >= 0x0940) q++;
  q += (be32(p + q) & F_H_FILTER) != 0 ? 8 : 4;
  if (len - q < 8 + 1 + 4) return 0;
  q += 8;
  if (version >= 0x0940) q += 4;
  const nameLen = <u32>load<u8>(p + q);
  q++;
  if (len - q < nameLen + 4) return 0;
  return q + nameLen + 4;
}

/** unlzo() over `len` bytes at `ptr`; returns 0 or an error code. */
export function decode(ptr: usize, len: u32): i32 {
  inptr = 0;
  if (ptr == 0 || !ensureMemory(INPUT)) return E_MEMORY;
  const skip = parseHeader(ptr, len);
  if (skip == 0) return E_HEADER;
  let p = ptr + skip;
  let left = len - skip;
  inptr = skip;
  for (;;) {
    if (left < 4) return E_CORRUPT;
    const dstLen = be32(p);
    p += 4;
    left -= 4;
    if (dstLen == 0) {
      inptr += 4;
      return OK;
    }
    if (dstLen > BLOCK_SIZE) return E_DST_LEN;
    if (left < 8) return E_CORRUPT;
    const srcLen = be32(p);
    p += 8;
    left -= 8;
    if (srcLen == 0 || srcLen > dstLen || left < srcLen) return E_CORRUPT;
    if (srcLen == dstLen) {
      memory.copy(OUT, p, srcLen);
    } else if (lzo1x(p, srcLen, dstLen) != <i32>dstLen) {
      return E_VIOLATION;
    }
    if (flushOutput(OUT, dstLen) == 0) return E_FLUSH;
    inptr += srcLen + 12;
    p += srcLen;
    left -= srcLen;
  }
  return OK; // not reached
}

// lzo1x_decompress_safe(in, inLen, OUT, &outLen = outCap): the decoded
// length when the result is LZO_E_OK, else -1 (unlzo() only asks whether it
// succeeded with the expected length). The bounds checks are the kernel's:
// 3 bytes must follow every literal run, the instruction stream may end only
// at the end-of-stream instruction 11 00 00 exactly at the end of the block,
// a stream starting with 17 and at least 5 bytes long is the lzo-rle variant
// (its second byte is the bitstream version; version 1 and up knows the
// zero-run instruction). Copies may write up to 24 bytes past the decoded end
// and read past `inLen`; both buffers have slack for it.
function lzo1x(src: usize, inLen: u32, outCap: u32): i32 {
  let ip = src;
  const ipEnd = src + inLen;
  let op = OUT;
  const opEnd = OUT + outCap;
  if (inLen < 3) return -1;
  let rle: u32 = 0;
  if (inLen >= 5 && load<u8>(ip) == 17) {
    rle = <u32>load<u8>(ip, 1);
    ip += 2;
  }
  let state: u32 = 0;
  let t: u32 = <u32>load<u8>(ip);
  let next: u32 = 0;
  // the first instruction may be a literal run of 1..238 bytes
  let first = t > 17;
  if (first) ip++;
  for (;;) {
    let back: u32 = 0; // match distance
    let literals = false; // the instruction is a literal run of t bytes
    let short = false; // a 2-byte match, done; go on to the trailing literals
    if (first) {
      first = false;
      t -= 17;
      if (t < 4) {
        next = t;
        short = true; // no match: straight to the trailing literals
      } else {
        literals = true;
      }
    } else {
      t = <u32>load<u8>(ip);
      ip++;
      if (t < 16) {
        if (state == 0) {
          if (t == 0) {
            const start = ip;
            while (load<u8>(ip) == 0) {
              ip++;
              if (ip == ipEnd) return -1;
            }
            t = <u32>(ip - start) * 255 + 15 + <u32>load<u8>(ip);
            ip++;
          }
          t += 3;
          literals = true;
        } else if (state != 4) {
          // 2 bytes from at most 1 KiB back, after 1..3 trailing literals
          next = t & 3;
          back = 1 + (t >> 2) + (<u32>load<u8>(ip) << 2);
          ip++;
          if (back > <u32>(op - OUT)) return -1;
          if (opEnd - op < 2) return -1;
          store<u8>(op, load<u8>(op - back));
          store<u8>(op, load<u8>(op - back, 1), 1);
          op += 2;
          short = true;
        } else {
          // 3 bytes from 2..3 KiB back, after a literal run
          next = t & 3;
          back = 1 + 0x800 + (t >> 2) + (<u32>load<u8>(ip) << 2);
          ip++;
          t = 3;
        }
      } else if (t >= 64) {
        next = t & 3;
        back = 1 + ((t >> 2) & 7) + (<u32>load<u8>(ip) << 3);
        ip++;
        t = (t >> 5) + 1;
      } else if (t >= 32) {
        t = (t & 31) + 2;
        if (t == 2) {
          const start = ip;
          while (load<u8>(ip) == 0) {
            ip++;
            if (ip == ipEnd) return -1;
          }
          t += <u32>(ip - start) * 255 + 31 + <u32>load<u8>(ip);
          ip++;
          if (ipEnd - ip < 2) return -1;
        }
        next = <u32>load<u16>(ip);
        ip += 2;
        back = 1 + (next >> 2);
        next &= 3;
      } else {
        if (ipEnd - ip < 2) return -1;
        next = <u32>load<u16>(ip);
        if ((next & 0xfffc) == 0xfffc && (t & 0xf8) == 0x18 && rle != 0) {
          // lzo-rle: a run of 4..2051 zeros
          if (ipEnd - ip < 3) return -1;
          t = ((t & 7) | (<u32>load<u8>(ip, 2) << 3)) + 4;
          if (<u32>(opEnd - op) < t) return -1;
          memory.fill(op, 0, t);
          op += t;
          next &= 3;
          ip += 3;
          short = true;
        } else {
          back = (t & 8) << 11;
          t = (t & 7) + 2;
          if (t == 2) {
            const start = ip;
            while (load<u8>(ip) == 0) {
              ip++;
              if (ip == ipEnd) return -1;
            }
            t += <u32>(ip - start) * 255 + 7 + <u32>load<u8>(ip);
            ip++;
            if (ipEnd - ip < 2) return -1;
            next = <u32>load<u16>(ip);
          }
          ip += 2;
          back += next >> 2;
          next &= 3;
          if (back == 0) {
            // end of stream: 11 00 00 exactly at the end of the block
            if (t != 3 || ip != ipEnd) return -1;
            return <i32>(op - OUT);
          }
          back += 0x4000;
        }
      }
    }
    if (literals) {
      if (<u32>(opEnd - op) < t) return -1;
      if (<u32>(ipEnd - ip) < t + 3) return -1;
      if (t <= 16) {
        store<u64>(op, load<u64>(ip));
        store<u64>(op, load<u64>(ip, 8), 8);
      } else {
        memory.copy(op, ip, t);
      }
      op += t;
      ip += t;
      state = 4;
      continue;
    }
    if (!short) {
      if (back > <u32>(op - OUT)) return -1;
      if (<u32>(opEnd - op) < t) return -1;
      copyMatch(op, back, t);
      op += t;
    }
    // 0..3 literals after the match
    state = next;
    if (<u32>(ipEnd - ip) < next + 3) return -1;
    if (<u32>(opEnd - op) < next) return -1;
    store<u32>(op, load<u32>(ip));
    op += next;
    ip += next;
  }
  return -1; // not reached
}

// Copies `len` (3 or more) bytes from `off` (1 or more) bytes back, as a
// byte-by-byte LZ77 copy would.
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
  } else {
    copyNear(op, off, len);
  }
}


