// Linear memory for the xz and lzma decoder modules: a bump heap above the
// static data, holding the copied image and the dictionary (the kernel's
// vmalloc()ed buffers). Nothing is freed one by one; a region that must grow
// is extended in place when it is the topmost one, else moved to the top.
// No objects: the stub runtime would place them at __heap_base too.

import { ensureMemory } from "./_memory";

let top: u64 = 0;

/**
 * totalram_pages() of the modelled machine: vmalloc() refuses larger sizes
 * outright ("vmalloc error: size %lu, exceeds total pages"), and a size of 0.
 * The default is Debian 6.12's guest with 1 GiB (observed).
 */
export let totalRamPages: u32 = 245268;

/** Sets the pages vmalloc() can never exceed. */
export function setTotalRamPages(pages: u32): void {
  totalRamPages = pages;
}

/** Whether the kernel's vmalloc(size) fails before it even tries. */
export function vmallocRefuses(size: u64): bool {
  return size == 0 || (size >> 12) > <u64>totalRamPages;
}

// A region is 16 bytes of static data (`memory.data(16, 8)` in the module):
// its start (u32 at 0) and its size in bytes (u64 at 8).

/** Where the region starts. */
// @ts-ignore: decorator
@inline export function regionPtr(r: usize): usize {
  return <usize>load<u32>(r);
}

/** How many bytes the region holds. */
// @ts-ignore: decorator
@inline export function regionSize(r: usize): u64 {
  return load<u64>(r, 8);
}


/**
 * Makes region `r` hold at least `size` bytes (its contents are not kept when
 * it moves). Returns false when the memory cannot grow: the kernel's vmalloc()
 * failing.
 */
export function reserve(r: usize, size: u64): bool {
  const cap = regionSize(r);
  if (size <= cap) return true;
  if (top == 0) top = (<u64>__heap_base + 15) & ~(<u64>15);
  const ptr = <u64>regionPtr(r);
  const start = cap > 0 && ((ptr + cap + 15) & ~(<u64>15)) == top ? ptr : top;
  const end = start + size;
  if (!ensureMemory(end)) return false;
  store<u32>(r, <u32>start);
  store<u64>(r, size, 8);
  top = (end + 15) & ~(<u64>15);
  return true;
}
