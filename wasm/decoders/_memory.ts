// Linear memory for the decoder modules: grown on demand, never past 4 GiB.

/** Makes memory reach `end` bytes; false when it cannot grow that far. */
export function ensureMemory(end: u64): bool {
  const have = (<u64>memory.size()) << 16;
  if (end <= have) return true;
  if (end > (<u64>65536 << 16)) return false;
  const pages = <i32>((end - have + 0xffff) >> 16);
  return memory.grow(pages) >= 0;
}
