// A small seeded PRNG for property tests (mulberry32): the same seed gives the
// same sequence on every machine, so a failing case is reproduced from the
// seed printed with it.

/** A deterministic pseudo-random source. */
export class Prng {
  #s: number;
  /** The seed this generator started from. */
  readonly seed: number;

  /** Creates a generator; any 32-bit integer is a seed. */
  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#s = this.seed;
  }

  /** The next 32-bit unsigned integer. */
  u32(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n) (n ≤ 2^32). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }

  /** An integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let k = 0; k < n; k++) out[k] = this.u32() & 0xff;
    return out;
  }

  /**
   * Cut points splitting `length` bytes into random pieces: sizes are mostly
   * small with the occasional large one, and zero-length pieces appear too.
   */
  splits(length: number): number[] {
    const cuts: number[] = [0];
    let at = 0;
    while (at < length) {
      const size = this.chance(0.1) ? this.int(4096) : this.chance(0.1) ? 0 : this.range(1, 200);
      at = Math.min(length, at + size);
      cuts.push(at);
    }
    return cuts;
  }
}

/** `bytes` cut at the given offsets (as `Prng.splits` returns them). */
export function pieces(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 1; k < cuts.length; k++) out.push(bytes.subarray(cuts[k - 1]!, cuts[k]!));
  return out;
}
