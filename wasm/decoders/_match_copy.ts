// Match copies of the LZ77 decoders (lz4, lzo) when source and destination
// overlap; both need SLACK bytes of room past the output for whole words.

/** Overlapping copy at a distance of 8 or more: 8 bytes at a time is exact. */
export function copyFar(op: usize, m: usize, len: u32): void {
  const end = op + len;
  do {
    store<u64>(op, load<u64>(m));
    op += 8;
    m += 8;
  } while (op < end);
}

/**
 * Overlapping copy at a distance of 2..7: the first 8 bytes one by one, then
 * 8 at a time from the smallest multiple of the distance that is 8 or more
 * (the output repeats with the distance as its period).
 */
export function copyNear(op: usize, off: u32, len: u32): void {
  const m = op - off;
  for (let i: usize = 0; i < 8; i++) store<u8>(op + i, load<u8>(m + i));
  if (len <= 8) return;
  const step = <usize>(((8 + off - 1) / off) * off);
  copyFar(op + 8, op + 8 - step, len - 8);
}
