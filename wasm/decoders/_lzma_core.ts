// The LZMA decoder both kernel decompressors are built on: the range decoder,
// the probability model and the sliding dictionary. xz.ts drives it the way
// lib/xz/xz_dec_lzma2.c drives lzma_main() (LZMA2 chunks, a dictionary limit
// per call, a final normalization); lzma.ts the way lib/decompress_unlzma.c
// runs its symbol loop (the .lzma end marker, distances checked only for new
// matches, no final normalization). decodeSymbols(alone) is inlined into each
// module with a constant `alone`, so each gets its own specialised copy.
//
// The state lives in module globals between calls and in locals inside the
// hot loop. Input is read without bounds checks: the callers guarantee that
// every symbol started at or before `rcLimit` finds its (at most 20) bytes in
// readable memory, the kernel decoders' LZMA_IN_REQUIRED rule.

/** Initial value of every probability (half of 1 << 11). */
export const PROB_INIT: u32 = 1024;

// Offsets of the probability groups, in u16 entries (LzmaDecode.c layout).
export const IS_MATCH: u32 = 0; // [state][posState]
export const IS_REP: u32 = 192; // [state]
export const IS_REP0: u32 = 204;
export const IS_REP1: u32 = 216;
export const IS_REP2: u32 = 228;
export const IS_REP0_LONG: u32 = 240; // [state][posState]
export const DIST_SLOT: u32 = 432; // [distState][64]
export const DIST_SPECIAL: u32 = 688; // 114 reverse-tree probabilities
export const DIST_ALIGN: u32 = 802; // 16
export const MATCH_LEN: u32 = 818; // one length coder: 514 entries
export const REP_LEN: u32 = 1332;
/** Where the literal coders (0x300 entries each) start. */
export const LITERAL: u32 = 1846;
// Inside a length coder.
const LEN_CHOICE2: u32 = 1;
const LEN_LOW: u32 = 2; // [posState][8]
const LEN_MID: u32 = 130; // [posState][8]
const LEN_HIGH: u32 = 258; // [256]

/** decodeSymbols() stopped at a limit (dictionary, input) with no error. */
export const SYMBOLS_OK: u32 = 0;
/** A match distance beyond the dictionary or the data decoded so far. */
export const SYMBOLS_BAD_DISTANCE: u32 = 1;
/** The .lzma end marker (distance 0xFFFFFFFF); only when `alone`. */
export const SYMBOLS_END_MARKER: u32 = 2;

// ---- range decoder
export let rcRange: u32 = 0;
export let rcCode: u32 = 0;
/** Next input byte. */
export let rcIn: usize = 0;
/** No symbol starts once rcIn is past this (rc_limit_exceeded). */
export let rcLimit: usize = 0;

// ---- LZMA state
export let lzState: u32 = 0;
export let rep0: u32 = 0; // distances are 0-based
export let rep1: u32 = 0;
export let rep2: u32 = 0;
export let rep3: u32 = 0;
/** Bytes of the current match not yet copied (the dictionary limit cut it). */
export let lzLen: u32 = 0;
export let lc: u32 = 0;
export let lpMask: u32 = 0;
export let pbMask: u32 = 0;
/** The probability array (u16 entries). */
export let probs: usize = 0;

// ---- dictionary: a circular buffer of dictEnd bytes at dictBuf
export let dictBuf: usize = 0;
export let dictPos: u32 = 0;
/** How much of the buffer holds data: max position reached (dictEnd once wrapped). */
export let dictFull: u32 = 0;
export let dictEnd: u32 = 0;
/** The dictionary size distances are checked against. */
export let dictSize: u32 = 0;
/** No symbol starts at or after this position. */
export let symLimit: u32 = 0;
/** Match copies stop here (the rest stays in lzLen). */
export let copyLimit: u32 = 0;
/** Low bits of the stream position of dictBuf[0] (posState, literal position). */
export let posBase: u32 = 0;

/** Sets `count` probabilities at `p` to their initial value. */
export function resetProbs(p: usize, count: u32): void {
  const end = p + (<usize>count << 1);
  const four: u64 = 0x0400040004000400;
  while (p + 8 <= end) {
    store<u64>(p, four);
    p += 8;
  }
  while (p < end) {
    store<u16>(p, <u16>PROB_INIT);
    p += 2;
  }
}

/** The state and the distances of a fresh LZMA stream. */
export function resetState(): void {
  lzState = 0;
  rep0 = 0;
  rep1 = 0;
  rep2 = 0;
  rep3 = 0;
  lzLen = 0;
}

// The byte at `idx` of the dictionary: bytes never written read as 0 (only
// the .lzma decoder can reach them, through the initial distances).
// @ts-ignore: decorator
@inline function dictByte(buf: usize, idx: u32, full: u32): u32 {
  return idx < full ? <u32>load<u8>(buf + idx) : 0;
}

/**
 * Decodes symbols into the dictionary until a limit: the dictionary's
 * (symLimit, copyLimit) or the input's (rcLimit), the end marker, or a bad
 * distance. Finishes a pending match copy first. With `alone` (the kernel's
 * unlzma), distances are checked only for new matches, the end marker is
 * recognised, and no normalization follows the last symbol.
 */
// @ts-ignore: decorator
@inline export function decodeSymbols(alone: bool): u32 {
  let range = rcRange;
  let code = rcCode;
  let ip = rcIn;
  const ilim = rcLimit;
  let st = lzState;
  let r0 = rep0;
  let r1 = rep1;
  let r2 = rep2;
  let r3 = rep3;
  let len = lzLen;
  const buf = dictBuf;
  let pos = dictPos;
  let full = dictFull;
  const end = dictEnd;
  const size = dictSize;
  const slim = symLimit;
  const clim = copyLimit;
  const base = posBase;
  const pr = probs;
  const lcBits = lc;
  const lpm = lpMask;
  const pbm = pbMask;
  let result = SYMBOLS_OK;

  while (true) {
    // ---- copy (the rest of) the current match
    if (len > 0) {
      let left = clim - pos;
      if (left > len) left = len;
      len -= left;
      if (left > 0) {
        if (r0 < pos) {
          // the source never wraps: it stays behind pos, and pos <= end
          let src = buf + <usize>(pos - r0 - 1);
          let dst = buf + <usize>pos;
          pos += left;
          if (r0 == 0 && left >= 16) {
            memory.fill(dst, load<u8>(src), left);
          } else if (left >= 64 && r0 >= left) {
            memory.copy(dst, src, left);
          } else {
            // 8 bytes at a time when the source stays 8 bytes behind
            if (r0 >= 7) {
              while (left >= 8) {
                store<u64>(dst, load<u64>(src));
                dst += 8;
                src += 8;
                left -= 8;
              }
            }
            while (left > 0) {
              store<u8>(dst, load<u8>(src));
              dst++;
              src++;
              left--;
            }
          }
          if (full < pos) full = pos;
        } else {
          let back = pos - r0 - 1 + end;
          do {
            store<u8>(buf + <usize>pos, <u8>dictByte(buf, back, full));
            pos++;
            if (full < pos) full = pos;
            back++;
            if (back == end) back = 0;
          } while (--left > 0);
        }
      }
      if (len > 0) break;
    }
    if (pos >= slim || ip > ilim) break;

    const posState = (base + pos) & pbm;
    // ---- is_match[state][posState]
    if (range < 0x1000000) {
      range <<= 8;
      code = (code << 8) | <u32>load<u8>(ip);
      ip++;
    }
    let pa = pr + (<usize>(IS_MATCH + (st << 4) + posState) << 1);
    let p = <u32>load<u16>(pa);
    let bound = (range >>> 11) * p;
    if (code < bound) {
      range = bound;
      store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
      // ---- literal
      let prev: u32 = 0;
      if (pos > 0) prev = <u32>load<u8>(buf + <usize>pos - 1);
      else prev = dictByte(buf, end - 1, full);
      const lit = pr +
        (<usize>(LITERAL + 0x300 * ((((base + pos) & lpm) << lcBits) + (prev >>> (8 - lcBits)))) << 1);
      let sym: u32 = 1;
      if (st < 7) {
        do {
          if (range < 0x1000000) {
            range <<= 8;
            code = (code << 8) | <u32>load<u8>(ip);
            ip++;
          }
          pa = lit + (<usize>sym << 1);
          p = <u32>load<u16>(pa);
          bound = (range >>> 11) * p;
          const bit = <u32>(code >= bound);
          range = select<u32>(range - bound, bound, bit);
          code -= bound & (0 - bit);
          store<u16>(pa, <u16>(p + (<u32>(<i32>(select<u32>(31, 2048, bit) - p) >> 5))));
          sym = (sym << 1) | bit;
        } while (sym < 0x100);
      } else {
        let mb: u32 = r0 < pos
          ? <u32>load<u8>(buf + <usize>(pos - r0 - 1))
          : dictByte(buf, pos - r0 - 1 + end, full);
        mb <<= 1;
        let off: u32 = 0x100;
        do {
          const mbit = mb & off;
          mb <<= 1;
          if (range < 0x1000000) {
            range <<= 8;
            code = (code << 8) | <u32>load<u8>(ip);
            ip++;
          }
          pa = lit + (<usize>(off + mbit + sym) << 1);
          p = <u32>load<u16>(pa);
          bound = (range >>> 11) * p;
          const bit = <u32>(code >= bound);
          range = select<u32>(range - bound, bound, bit);
          code -= bound & (0 - bit);
          store<u16>(pa, <u16>(p + (<u32>(<i32>(select<u32>(31, 2048, bit) - p) >> 5))));
          sym = (sym << 1) | bit;
          // a mismatch with the match byte leaves the matched coders
          off &= mbit ^ (bit - 1);
        } while (sym < 0x100);
      }
      store<u8>(buf + <usize>pos, <u8>sym);
      pos++;
      if (full < pos) full = pos;
      st = st < 4 ? 0 : (st < 10 ? st - 3 : st - 6);
      continue;
    }
    range -= bound;
    code -= bound;
    store<u16>(pa, <u16>(p - (p >>> 5)));

    // ---- is_rep[state]
    if (range < 0x1000000) {
      range <<= 8;
      code = (code << 8) | <u32>load<u8>(ip);
      ip++;
    }
    pa = pr + (<usize>(IS_REP + st) << 1);
    p = <u32>load<u16>(pa);
    bound = (range >>> 11) * p;
    let lenCoder: u32;
    let newMatch = false;
    if (code < bound) {
      range = bound;
      store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
      st = st < 7 ? 7 : 10;
      r3 = r2;
      r2 = r1;
      r1 = r0;
      lenCoder = MATCH_LEN;
      newMatch = true;
    } else {
      range -= bound;
      code -= bound;
      store<u16>(pa, <u16>(p - (p >>> 5)));
      // ---- is_rep0[state]
      if (range < 0x1000000) {
        range <<= 8;
        code = (code << 8) | <u32>load<u8>(ip);
        ip++;
      }
      pa = pr + (<usize>(IS_REP0 + st) << 1);
      p = <u32>load<u16>(pa);
      bound = (range >>> 11) * p;
      if (code < bound) {
        range = bound;
        store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
        // ---- is_rep0_long[state][posState]
        if (range < 0x1000000) {
          range <<= 8;
          code = (code << 8) | <u32>load<u8>(ip);
          ip++;
        }
        pa = pr + (<usize>(IS_REP0_LONG + (st << 4) + posState) << 1);
        p = <u32>load<u16>(pa);
        bound = (range >>> 11) * p;
        if (code < bound) {
          range = bound;
          store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
          // short rep: one byte at rep0
          st = st < 7 ? 9 : 11;
          if (!alone && (r0 >= full || r0 >= size)) {
            result = SYMBOLS_BAD_DISTANCE;
            break;
          }
          len = 1;
          continue;
        }
        range -= bound;
        code -= bound;
        store<u16>(pa, <u16>(p - (p >>> 5)));
      } else {
        range -= bound;
        code -= bound;
        store<u16>(pa, <u16>(p - (p >>> 5)));
        // ---- is_rep1[state]
        if (range < 0x1000000) {
          range <<= 8;
          code = (code << 8) | <u32>load<u8>(ip);
          ip++;
        }
        pa = pr + (<usize>(IS_REP1 + st) << 1);
        p = <u32>load<u16>(pa);
        bound = (range >>> 11) * p;
        let d: u32;
        if (code < bound) {
          range = bound;
          store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
          d = r1;
        } else {
          range -= bound;
          code -= bound;
          store<u16>(pa, <u16>(p - (p >>> 5)));
          // ---- is_rep2[state]
          if (range < 0x1000000) {
            range <<= 8;
            code = (code << 8) | <u32>load<u8>(ip);
            ip++;
          }
          pa = pr + (<usize>(IS_REP2 + st) << 1);
          p = <u32>load<u16>(pa);
          bound = (range >>> 11) * p;
          if (code < bound) {
            range = bound;
            store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
            d = r2;
          } else {
            range -= bound;
            code -= bound;
            store<u16>(pa, <u16>(p - (p >>> 5)));
            d = r3;
            r3 = r2;
          }
          r2 = r1;
        }
        r1 = r0;
        r0 = d;
      }
      st = st < 7 ? 8 : 11;
      lenCoder = REP_LEN;
    }

    // ---- length: choice, choice2, then a 3-, 3- or 8-bit tree
    const lb = pr + (<usize>lenCoder << 1);
    if (range < 0x1000000) {
      range <<= 8;
      code = (code << 8) | <u32>load<u8>(ip);
      ip++;
    }
    p = <u32>load<u16>(lb);
    bound = (range >>> 11) * p;
    let tree: usize;
    let treeLimit: u32;
    if (code < bound) {
      range = bound;
      store<u16>(lb, <u16>(p + ((2048 - p) >>> 5)));
      tree = lb + (<usize>(LEN_LOW + (posState << 3)) << 1);
      treeLimit = 8;
      len = 2;
    } else {
      range -= bound;
      code -= bound;
      store<u16>(lb, <u16>(p - (p >>> 5)));
      if (range < 0x1000000) {
        range <<= 8;
        code = (code << 8) | <u32>load<u8>(ip);
        ip++;
      }
      pa = lb + (<usize>LEN_CHOICE2 << 1);
      p = <u32>load<u16>(pa);
      bound = (range >>> 11) * p;
      if (code < bound) {
        range = bound;
        store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
        tree = lb + (<usize>(LEN_MID + (posState << 3)) << 1);
        treeLimit = 8;
        len = 10;
      } else {
        range -= bound;
        code -= bound;
        store<u16>(pa, <u16>(p - (p >>> 5)));
        tree = lb + (<usize>LEN_HIGH << 1);
        treeLimit = 256;
        len = 18;
      }
    }
    let sym: u32 = 1;
    do {
      if (range < 0x1000000) {
        range <<= 8;
        code = (code << 8) | <u32>load<u8>(ip);
        ip++;
      }
      pa = tree + (<usize>sym << 1);
      p = <u32>load<u16>(pa);
      bound = (range >>> 11) * p;
      const bit = <u32>(code >= bound);
      range = select<u32>(range - bound, bound, bit);
      code -= bound & (0 - bit);
      store<u16>(pa, <u16>(p + (<u32>(<i32>(select<u32>(31, 2048, bit) - p) >> 5))));
      sym = (sym << 1) | bit;
    } while (sym < treeLimit);
    len += sym - treeLimit;

    if (newMatch) {
      // ---- distance slot: 6-bit tree chosen by the length
      const ds = pr + (<usize>(DIST_SLOT + ((len < 6 ? len - 2 : 3) << 6)) << 1);
      sym = 1;
      do {
        if (range < 0x1000000) {
          range <<= 8;
          code = (code << 8) | <u32>load<u8>(ip);
          ip++;
        }
        pa = ds + (<usize>sym << 1);
        p = <u32>load<u16>(pa);
        bound = (range >>> 11) * p;
        const bit = <u32>(code >= bound);
        range = select<u32>(range - bound, bound, bit);
        code -= bound & (0 - bit);
        store<u16>(pa, <u16>(p + (<u32>(<i32>(select<u32>(31, 2048, bit) - p) >> 5))));
        sym = (sym << 1) | bit;
      } while (sym < 64);
      const slot = sym - 64;
      if (slot < 4) {
        r0 = slot;
      } else {
        let bits = (slot >> 1) - 1;
        r0 = 2 | (slot & 1);
        let rt: usize;
        if (slot < 14) {
          r0 <<= bits;
          rt = pr + (<usize>(DIST_SPECIAL + r0 - slot - 1) << 1);
        } else {
          // direct bits, then the 4 align bits from their reverse tree
          let direct = bits - 4;
          do {
            if (range < 0x1000000) {
              range <<= 8;
              code = (code << 8) | <u32>load<u8>(ip);
              ip++;
            }
            range >>>= 1;
            code -= range;
            const mask = 0 - (code >>> 31);
            code += range & mask;
            r0 = (r0 << 1) + (mask + 1);
          } while (--direct > 0);
          r0 <<= 4;
          rt = pr + (<usize>DIST_ALIGN << 1);
          bits = 4;
        }
        sym = 1;
        let i: u32 = 0;
        do {
          if (range < 0x1000000) {
            range <<= 8;
            code = (code << 8) | <u32>load<u8>(ip);
            ip++;
          }
          pa = rt + (<usize>sym << 1);
          p = <u32>load<u16>(pa);
          bound = (range >>> 11) * p;
          if (code < bound) {
            range = bound;
            store<u16>(pa, <u16>(p + ((2048 - p) >>> 5)));
            sym <<= 1;
          } else {
            range -= bound;
            code -= bound;
            store<u16>(pa, <u16>(p - (p >>> 5)));
            sym = (sym << 1) | 1;
            r0 += <u32>1 << i;
          }
        } while (++i < bits);
      }
      if (alone && r0 == 0xffffffff) {
        result = SYMBOLS_END_MARKER;
        len = 0;
        break;
      }
      if (r0 >= full || r0 >= size) {
        result = SYMBOLS_BAD_DISTANCE;
        break;
      }
    } else if (!alone && (r0 >= full || r0 >= size)) {
      result = SYMBOLS_BAD_DISTANCE;
      break;
    }
  }
  if (!alone && result == SYMBOLS_OK && range < 0x1000000) {
    range <<= 8;
    code = (code << 8) | <u32>load<u8>(ip);
    ip++;
  }

  rcRange = range;
  rcCode = code;
  rcIn = ip;
  lzState = st;
  rep0 = r0;
  rep1 = r1;
  rep2 = r2;
  rep3 = r3;
  lzLen = len;
  dictPos = pos;
  dictFull = full;
  return result;
}
