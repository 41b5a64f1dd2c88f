// Arena allocator for one superblock's linear memory. No GC, no per-entry
// runtime objects: power-of-two size classes with intrusive free lists on top
// of a bump pointer that grows the memory on demand.

// Free-list heads, one per class (2^4 .. 2^31 bytes).
const CLASSES: i32 = 32;
const heads = memory.data(CLASSES * 4);

let bump: usize = 0;
let limit: usize = 0;
/** Bytes handed out and not freed (by class size). */
export let allocated: u64 = 0;

/** Sets the start of the arena; called once at start-up. */
export function arenaInit(start: usize): void {
  bump = (start + 15) & ~(<usize>15);
  limit = (<usize>memory.size()) << 16;
  memory.fill(heads, 0, CLASSES * 4);
  memory.fill(fineHeads, 0, (FINE_CLASSES + 1) * 4);
  largeFree = 0;
  allocated = 0;
}

// @ts-ignore: decorator
@inline function classOf(size: usize): i32 {
  if (size <= 16) return 4;
  return 32 - clz<u32>(<u32>(size - 1));
}

function growTo(end: usize): bool {
  if (end <= limit) return true;
  const current = <usize>memory.size();
  const needed = ((end - limit) + 0xffff) >> 16;
  // Grow by at least an eighth of the current size (and 1 MiB) to keep the
  // number of grow calls logarithmic without reserving much more than used.
  let step = current >> 3;
  if (step < 16) step = 16;
  if (step < needed) step = needed;
  if (current + step > 65536) step = 65536 - current;
  if (step < needed) return false;
  if (memory.grow(<i32>step) < 0) {
    if (memory.grow(<i32>needed) < 0) return false;
    limit = (<usize>memory.size()) << 16;
    return end <= limit;
  }
  limit = (<usize>memory.size()) << 16;
  return true;
}

/** Returns a block of at least `size` bytes (not zeroed), or 0 when out of memory. */
export function alloc(size: usize): usize {
  const c = classOf(size);
  const head = heads + (<usize>c << 2);
  const free = load<u32>(head);
  const bytes: usize = <usize>1 << c;
  if (free != 0) {
    store<u32>(head, load<u32>(free));
    allocated += bytes;
    return free;
  }
  const p = bump;
  const end = p + bytes;
  if (end < p || !growTo(end)) return 0;
  bump = end;
  allocated += bytes;
  return p;
}

/** Returns a zeroed block, or 0 when out of memory. */
export function allocZero(size: usize): usize {
  const p = alloc(size);
  if (p != 0) memory.fill(p, 0, size);
  return p;
}

/** Gives back a block obtained with `alloc(size)` (same size). */
export function free(p: usize, size: usize): void {
  if (p == 0) return;
  const c = classOf(size);
  const head = heads + (<usize>c << 2);
  store<u32>(p, load<u32>(head));
  store<u32>(head, <u32>p);
  allocated -= <u64>1 << c;
}

/** The usable size of a block requested with `size`. */
export function blockSize(size: usize): usize {
  return <usize>1 << classOf(size);
}

// ---- file data: finer classes so small files do not cost a whole power of two

const FINE_CLASSES: usize = 1024; // 64-byte steps up to 64 KiB
const fineHeads = memory.data(<i32>(FINE_CLASSES + 1) * 4);
let largeFree: usize = 0; // blocks > 64 KiB: [next u32, size u32] list

// @ts-ignore: decorator
@inline function dataSize(n: usize): usize {
  return n <= 65536 ? (n + 63) & ~(<usize>63) : (n + 4095) & ~(<usize>4095);
}

/** A block for `n` bytes of file data (not zeroed), or 0. */
export function allocData(n: usize): usize {
  const size = dataSize(n == 0 ? 1 : n);
  if (size <= 65536) {
    const head = fineHeads + ((size >> 6) << 2);
    const free = <usize>load<u32>(head);
    if (free != 0) {
      store<u32>(head, load<u32>(free));
      allocated += size;
      return free;
    }
  } else {
    let prev: usize = 0;
    let b = largeFree;
    while (b != 0) {
      if (<usize>load<u32>(b, 4) == size) {
        const next = <usize>load<u32>(b);
        if (prev == 0) largeFree = next;
        else store<u32>(prev, <u32>next);
        allocated += size;
        return b;
      }
      prev = b;
      b = <usize>load<u32>(b);
    }
  }
  const p = bump;
  const end = p + size;
  if (end < p || !growTo(end)) return 0;
  bump = end;
  allocated += size;
  return p;
}

/** Gives back a block from `allocData(n)`. */
export function freeData(p: usize, n: usize): void {
  if (p == 0) return;
  const size = dataSize(n == 0 ? 1 : n);
  allocated -= size;
  if (size <= 65536) {
    const head = fineHeads + ((size >> 6) << 2);
    store<u32>(p, load<u32>(head));
    store<u32>(head, <u32>p);
  } else {
    store<u32>(p, <u32>largeFree);
    store<u32>(p, <u32>size, 4);
    largeFree = p;
  }
}
