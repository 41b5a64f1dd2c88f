// CRC32 (IEEE 802.3, reflected, polynomial 0xEDB88320) as the xz format uses
// it and the kernel computes it for lib/xz (crc32_le with pre- and
// post-inversion), eight bytes per step with slicing-by-8 tables.

const table = memory.data(8 * 1024, 4);
let ready = false;

/** Fills the tables once. */
export function crc32Init(): void {
  if (ready) return;
  for (let i: u32 = 0; i < 256; i++) {
    let r = i;
    for (let k = 0; k < 8; k++) r = (r >>> 1) ^ (0xedb88320 & (0 - (r & 1)));
    store<u32>(table + (<usize>i << 2), r);
  }
  for (let i: u32 = 0; i < 256; i++) {
    let c = load<u32>(table + (<usize>i << 2));
    for (let k: usize = 1; k < 8; k++) {
      c = load<u32>(table + (<usize>(c & 0xff) << 2)) ^ (c >>> 8);
      store<u32>(table + (k << 10) + (<usize>i << 2), c);
    }
  }
  ready = true;
}

// @ts-ignore: decorator
@inline function t(k: usize, i: u32): u32 {
  return load<u32>(table + (k << 10) + (<usize>i << 2));
}

/** Continues `crc` (a finished CRC32 value, 0 to start) over `n` bytes at `p`. */
export function crc32(p: usize, n: usize, crc: u32): u32 {
  crc = ~crc;
  while (n >= 8) {
    const a = load<u32>(p) ^ crc;
    const b = load<u32>(p, 4);
    crc = t(7, a & 0xff) ^ t(6, (a >>> 8) & 0xff) ^ t(5, (a >>> 16) & 0xff) ^ t(4, a >>> 24) ^
      t(3, b & 0xff) ^ t(2, (b >>> 8) & 0xff) ^ t(1, (b >>> 16) & 0xff) ^ t(0, b >>> 24);
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc = t(0, (crc ^ <u32>load<u8>(p)) & 0xff) ^ (crc >>> 8);
    p++;
    n--;
  }
  return ~crc;
}
