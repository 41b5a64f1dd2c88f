// XXH64 with seed 0, fed in pieces: the frame content checksum of zstd
// (RFC 8878 §3.1.1: the low 32 bits of XXH64 over the decompressed content).
// The kernel verifies it whenever the frame has one (lib/zstd validates
// checksums unless told not to, and decompress_unzstd.c never tells it).

const P1: u64 = 0x9e3779b185ebca87;
const P2: u64 = 0xc2b2ae3d27d4eb4f;
const P3: u64 = 0x165667b19e3779f9;
const P4: u64 = 0x85ebca77c2b2ae63;
const P5: u64 = 0x27d4eb2f165667c5;

let acc1: u64 = 0;
let acc2: u64 = 0;
let acc3: u64 = 0;
let acc4: u64 = 0;
let total: u64 = 0;
/** Bytes of an unfinished 32-byte stripe. */
const STRIPE = memory.data(32);
let held: usize = 0;

// @ts-ignore: decorator
@inline function round(acc: u64, lane: u64): u64 {
  return rotl<u64>(acc + lane * P2, 31) * P1;
}

// @ts-ignore: decorator
@inline function merge(h: u64, acc: u64): u64 {
  return (h ^ round(0, acc)) * P1 + P4;
}

/** Starts a new checksum. */
export function xxhReset(): void {
  acc1 = P1 + P2;
  acc2 = P2;
  acc3 = 0;
  acc4 = 0 - P1;
  total = 0;
  held = 0;
}

/** Adds `len` bytes at `p`. */
export function xxhUpdate(p: usize, len: usize): void {
  total += <u64>len;
  const end = p + len;
  if (held + len < 32) {
    memory.copy(STRIPE + held, p, len);
    held += len;
    return;
  }
  let a = acc1;
  let b = acc2;
  let c = acc3;
  let d = acc4;
  if (held != 0) {
    const fill = <usize>32 - held;
    memory.copy(STRIPE + held, p, fill);
    a = round(a, load<u64>(STRIPE));
    b = round(b, load<u64>(STRIPE, 8));
    c = round(c, load<u64>(STRIPE, 16));
    d = round(d, load<u64>(STRIPE, 24));
    p += fill;
    held = 0;
  }
  while (end - p >= 32) {
    a = round(a, load<u64>(p));
    b = round(b, load<u64>(p, 8));
    c = round(c, load<u64>(p, 16));
    d = round(d, load<u64>(p, 24));
    p += 32;
  }
  acc1 = a;
  acc2 = b;
  acc3 = c;
  acc4 = d;
  if (p < end) {
    held = end - p;
    memory.copy(STRIPE, p, held);
  }
}

/** The checksum of everything added since the reset. */
export function xxhDigest(): u64 {
  let h: u64;
  if (total >= 32) {
    h = rotl<u64>(acc1, 1) + rotl<u64>(acc2, 7) + rotl<u64>(acc3, 12) + rotl<u64>(acc4, 18);
    h = merge(h, acc1);
    h = merge(h, acc2);
    h = merge(h, acc3);
    h = merge(h, acc4);
  } else {
    h = P5;
  }
  h += total;
  let p = STRIPE;
  const end = STRIPE + held;
  while (end - p >= 8) {
    h ^= round(0, load<u64>(p));
    h = rotl<u64>(h, 27) * P1 + P4;
    p += 8;
  }
  if (end - p >= 4) {
    h ^= <u64>load<u32>(p) * P1;
    h = rotl<u64>(h, 23) * P2 + P3;
    p += 4;
  }
  while (p < end) {
    h ^= <u64>load<u8>(p) * P5;
    h = rotl<u64>(h, 11) * P1;
    p++;
  }
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}
