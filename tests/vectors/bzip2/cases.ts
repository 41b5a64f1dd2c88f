// Hostile bzip2 members, made the same way every time from the vectors and a
// seeded PRNG: cuts, bit flips, garbled runs of bytes, trailing data, refused
// flushes, and block headers written bit by bit (odd group counts, selectors
// up to MTF position groupCount, code lengths of every shape, random symbol
// bits). record_kernel.ts runs them through the kernel's own bunzip2() and
// stores the outcomes in kernel_outcomes.json; tests/decoders/bzip2_test.ts
// runs them through the decoder and compares.

import { Prng } from "../../_util/prng.ts";

/** One member to decode and how many output buffers flush() accepts. */
export interface KernelCase {
  name: string;
  input: Uint8Array;
  accept: number;
}

/** The vectors the mutations start from. */
export const CASE_VECTORS = ["hello.bz2", "empty.bz2", "text1.bz2", "runs.bz2", "noise.bz2"];

/** flush() accepts everything. */
export const ACCEPT_ALL = 0xffffffff;

class Bits {
  #bytes: number[] = [];
  #n = 0;
  put(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) {
      if (this.#n % 8 === 0) this.#bytes.push(0);
      if (Math.floor(value / 2 ** i) % 2 === 1) {
        this.#bytes[this.#bytes.length - 1]! |= 0x80 >> (this.#n % 8);
      }
      this.#n++;
    }
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A stream of 1..3 blocks whose headers are random but mostly well formed. */
function structured(rnd: Prng, ones: number): Uint8Array {
  const b = new Bits();
  b.put(0x425a6830 + 1 + rnd.int(9), 32);
  const blocks = 1 + rnd.int(3);
  for (let k = 0; k < blocks; k++) {
    b.put(0x314159, 24);
    b.put(0x265359, 24);
    b.put(rnd.u32(), 32);
    b.put(rnd.chance(0.05) ? 1 : 0, 1);
    b.put(rnd.int(rnd.chance(0.5) ? 64 : 1 << 24), 24);
    const full = rnd.chance(0.3);
    const map = full ? 0xffff : rnd.int(65536);
    b.put(map, 16);
    let symTotal = 0;
    for (let i = 0; i < 16; i++) {
      if ((map & (1 << (15 - i))) === 0) continue;
      const m = full ? 0xffff : rnd.int(65536);
      b.put(m, 16);
      for (let j = 0; j < 16; j++) if ((m & (1 << (15 - j))) !== 0) symTotal++;
    }
    const groups = rnd.chance(0.9) ? 2 + rnd.int(5) : rnd.int(8);
    b.put(groups, 3);
    const selectors = rnd.chance(0.9) ? 1 + rnd.int(40) : rnd.int(32768);
    b.put(selectors, 15);
    for (let i = 0; i < selectors; i++) {
      const j = rnd.int(groups + 1 + (rnd.chance(0.02) ? 1 : 0));
      for (let q = 0; q < j; q++) b.put(1, 1);
      b.put(0, 1);
    }
    for (let g = 0; g < Math.min(groups, 6); g++) {
      const uniform = rnd.chance(0.5);
      let t = 1 + rnd.int(20);
      b.put(t, 5);
      for (let s = 0; s < symTotal + 2; s++) {
        const target = uniform ? t : Math.max(1, Math.min(20, t + rnd.int(5) - 2));
        while (t < target) {
          b.put(2, 2);
          t++;
        }
        while (t > target) {
          b.put(3, 2);
          t--;
        }
        b.put(0, 1);
      }
    }
    const bits = rnd.int(rnd.chance(0.5) ? 200 : 20000);
    for (let i = 0; i < bits; i++) b.put(rnd.chance(ones) ? 1 : 0, 1);
  }
  if (rnd.chance(0.3)) {
    b.put(0x177245, 24);
    b.put(0x385090, 24);
    b.put(rnd.u32(), 32);
  }
  return b.bytes();
}

/** The cases, from the vectors' bytes (by name). */
export function kernelCases(vectors: Record<string, Uint8Array>): KernelCase[] {
  const rnd = new Prng(20261124);
  const cases: KernelCase[] = [];
  const add = (name: string, input: Uint8Array, accept = ACCEPT_ALL) =>
    cases.push({ name, input, accept });
  for (const v of CASE_VECTORS) {
    const d = vectors[v]!;
    add(`${v}`, d);
    add(`${v} + zeros`, concat(d, new Uint8Array(37)));
    add(`${v} + itself`, concat(d, d));
    add(`${v} + garbage`, concat(d, Uint8Array.of(0x42, 0x5a, 0x68, 0x39, 1, 2, 3)));
    const cuts = d.length <= 64 ? d.length : 60;
    for (let k = 0; k < cuts; k++) {
      const at = d.length <= 64 ? k : rnd.int(d.length);
      add(`${v} cut at ${at}`, d.subarray(0, at));
    }
    for (let k = 0; k < 5; k++) add(`${v} accepting ${k}`, d, k);
    for (let k = 0; k < 80; k++) {
      const m = d.slice();
      const kind = rnd.int(3);
      let name = `${v}`;
      const head = rnd.chance(0.5) ? Math.min(d.length, 120) : d.length;
      if (kind === 0) {
        const flips = 1 + rnd.int(4);
        for (let q = 0; q < flips; q++) {
          const at = rnd.int(head);
          const bit = rnd.int(8);
          m[at]! ^= 1 << bit;
          name += ` flip ${at}.${bit}`;
        }
      } else if (kind === 1) {
        const at = rnd.int(head);
        const len = 1 + rnd.int(64);
        for (let q = at; q < Math.min(d.length, at + len); q++) m[q] = rnd.int(256);
        name += ` garble ${at}+${len}`;
      } else {
        const at = rnd.int(head);
        m[at] = rnd.int(256);
        const cut = at + rnd.int(d.length - at + 1);
        add(`${name} byte ${at} cut at ${cut}`, m.subarray(0, cut));
        continue;
      }
      add(name, m);
    }
  }
  for (let k = 0; k < 300; k++) {
    const ones = k % 2 === 0 ? 0.3 : 0.04;
    const s = structured(rnd, ones);
    const input = rnd.chance(0.2) ? s.subarray(0, rnd.int(s.length)) : s;
    add(`structured ${k}`, input, rnd.chance(0.1) ? rnd.int(5) : ACCEPT_ALL);
  }
  return cases;
}
