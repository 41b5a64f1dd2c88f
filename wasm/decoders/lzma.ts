// The kernel's .lzma decompressor as unpack_to_rootfs() calls it:
// lib/decompress_unlzma.c unlzma() with fill = NULL (nofill), a flush() and
// no output buffer.
//
//   header   13 bytes: properties (lc/lp/pb, < 225 else "bad header"), the
//            dictionary size (0 means 1) and a 64-bit uncompressed size
//            (all 0xFF = unknown, then only the end marker stops it)
//   buffer   MIN(size, dictionary) bytes, vmalloc()ed through an int: 0 bytes,
//            >= 2 GiB and more pages than the machine's RAM fail without a
//            message (observed). When the size is smaller
//            than the dictionary the whole output is one buffer flushed once
//            at the end; else the buffer is the dictionary itself, flushed
//            every time it fills, and once more (possibly empty) at the end
//   stop     at the size (a match may run past it when the buffer is the
//            dictionary, as copy_bytes() only checks the buffer position) or
//            at the end marker; distances of new matches must be within the
//            dictionary and the data so far ("LZMA data is corrupt")
//   input    rc_read() with nofill: running out is "unexpected EOF", after
//            which every read returns the first byte again and every flush
//            fails (the unpacker has a message), so nothing more comes out
//   posp     rc.ptr - rc.buffer: the header, then every byte the range
//            decoder has pulled in (five at start, one per normalization,
//            none after the last symbol). Only set on success.
// decode() returns 0 on success, else one of the ERR_* codes below.

import * as core from "./_lzma_core";
import {
  decodeSymbols,
  LITERAL,
  resetProbs,
  resetState,
  SYMBOLS_BAD_DISTANCE,
  SYMBOLS_END_MARKER,
} from "./_lzma_core";
import { regionPtr, reserve, setTotalRamPages, vmallocRefuses } from "./_lzma_heap";

// @ts-ignore: decorator
@external("env", "flush")
declare function flushOut(ptr: usize, len: u32): i32;

/** "unexpected EOF" */
const ERR_EOF: i32 = 1;
/** "bad header" */
const ERR_BAD_HEADER: i32 = 2;
/** "LZMA data is corrupt" (also when a flush inside a symbol fails) */
const ERR_CORRUPT: i32 = 3;
/** Failure without a message of the decoder's own: no buffer, or the last flush failed. */
const ERR_SILENT: i32 = 4;

const HEADER_SIZE: u32 = 13;
/** Input one symbol may need (xz's LZMA_IN_REQUIRED). */
const IN_REQUIRED: u32 = 21;

const inRegion = memory.data(16, 8);
const bufRegion = memory.data(16, 8);
const probRegion = memory.data(16, 8);
// The last < IN_REQUIRED input bytes, followed by what reads past the end see.
const tail = memory.data(2 * IN_REQUIRED + 16, 16);

let inUsed: u32 = 0;

/** Room for `len` bytes of input (the image is copied there once). */
export function inputBuffer(len: u32): usize {
  if (!reserve(inRegion, <u64>len + 16)) abort();
  return regionPtr(inRegion);
}

/** The modelled machine's RAM in pages: vmalloc() refuses more. */
export function setMemoryPages(pages: u32): void {
  setTotalRamPages(pages);
}

/** `*posp` after a successful decode(); the bytes read so far otherwise. */
export function consumed(): u32 {
  return inUsed;
}

/** unlzma() over `len` bytes at `ptr`: 0, or an ERR_* code. */
export function decode(ptr: usize, len: u32): i32 {
  if (len < HEADER_SIZE) {
    inUsed = len;
    return ERR_EOF;
  }
  inUsed = HEADER_SIZE;
  const props = <u32>load<u8>(ptr);
  if (props >= 9 * 5 * 5) return ERR_BAD_HEADER;
  const lc = props % 9;
  const lp = (props / 9) % 5;
  const pb = props / 45;
  let dict = load<u32>(ptr, 1);
  if (dict == 0) dict = 1;
  const size = load<u64>(ptr, 5);
  const bufSize: u64 = size < <u64>dict ? size : <u64>dict;
  // wr.bufsize is an int: >= 2 GiB turns into a huge unsigned size
  if (bufSize >= 0x80000000 || vmallocRefuses(bufSize) || !reserve(bufRegion, bufSize)) {
    return ERR_SILENT;
  }
  const probCount = LITERAL + (<u32>0x300 << (lc + lp));
  const probBytes = <u64>probCount * 2;
  if (vmallocRefuses(probBytes) || !reserve(probRegion, probBytes)) return ERR_SILENT;
  const buf = regionPtr(bufRegion);
  const pr = regionPtr(probRegion);
  resetProbs(pr, probCount);

  if (len < HEADER_SIZE + 5) {
    inUsed = len;
    return ERR_EOF;
  }
  let code: u32 = 0;
  for (let i: u32 = 0; i < 5; i++) code = (code << 8) | <u32>load<u8>(ptr + HEADER_SIZE + i);

  core.rcRange = 0xffffffff;
  core.rcCode = code;
  core.rcIn = ptr + HEADER_SIZE + 5;
  core.lc = lc;
  core.lpMask = (<u32>1 << lp) - 1;
  core.pbMask = (<u32>1 << pb) - 1;
  core.probs = pr;
  resetState();
  core.dictBuf = buf;
  core.dictPos = 0;
  core.dictFull = 0;
  core.dictEnd = dict; // positions wrap at the dictionary size
  core.dictSize = dict;
  core.posBase = 0;

  // The buffer is the dictionary (flushed when full) unless the whole output
  // is smaller.
  const wraps = size >= <u64>dict;
  const bufLen = <u32>bufSize;
  let flushed: u64 = 0; // wr.global_pos
  const inEnd = ptr + len;
  let inTail = false;
  let tailFrom: u32 = 0; // input offset of tail[0]
  let tailEnd: usize = 0;

  while (true) {
    if (wraps) {
      // a match may have run past the size: then only its copy goes on
      const left = flushed < size ? size - flushed : 0;
      core.copyLimit = dict;
      core.symLimit = left < <u64>dict ? <u32>left : dict;
    } else {
      core.copyLimit = bufLen;
      core.symLimit = bufLen;
    }
    if (!inTail) {
      if (inEnd - core.rcIn >= IN_REQUIRED) {
        core.rcLimit = inEnd - IN_REQUIRED;
      } else {
        // The last bytes go to `tail`, followed by what rc_read() makes of
        // the end: the first byte of the buffer, over and over.
        const n = <u32>(inEnd - core.rcIn);
        tailFrom = len - n;
        memory.copy(tail, core.rcIn, n);
        memory.fill(tail + n, load<u8>(ptr), 2 * IN_REQUIRED + 16 - n);
        tailEnd = tail + n;
        core.rcIn = tail;
        core.rcLimit = tailEnd;
        inTail = true;
      }
    }
    const r = decodeSymbols(true);
    if (inTail && core.rcIn > tailEnd) {
      // the symbol read past the end: "unexpected EOF", and no later flush
      inUsed = len;
      return ERR_EOF;
    }
    inUsed = inTail ? tailFrom + <u32>(core.rcIn - tail) : <u32>(core.rcIn - ptr);
    if (r == SYMBOLS_BAD_DISTANCE) return ERR_CORRUPT;
    if (r == SYMBOLS_END_MARKER) break;
    if (wraps && core.dictPos == dict) {
      if (flushOut(buf, dict) == 0) return ERR_CORRUPT;
      flushed += <u64>dict;
      core.posBase = <u32>flushed;
      core.dictPos = 0;
      continue;
    }
    if (wraps) {
      if (core.lzLen == 0 && flushed + <u64>core.dictPos >= size) break;
    } else if (core.dictPos >= bufLen) {
      // copy_bytes() returns what it could not copy, and that is an error
      if (core.lzLen > 0) return ERR_CORRUPT;
      break;
    }
  }
  if (flushOut(buf, core.dictPos) == 0) return ERR_SILENT;
  return 0;
}
