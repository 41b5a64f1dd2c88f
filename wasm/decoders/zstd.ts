// zstd members as lib/decompress_unzstd.c reads them from unpack_to_rootfs()
// (fill = NULL, flush given, outbuf = NULL): __unzstd() in its streaming
// mode, with lib/zstd's ZSTD_decompressStream() underneath.
//
// - zstd_get_frame_header() over the whole rest of the image first: a bad
//   magic is "Input is not in the ZSTD format (wrong magic bytes)", a header
//   cut short "ZSTD-compressed data has an incomplete frame header", a
//   window above 1 << ZSTD_WINDOWLOG_MAX "... has too large a window size"
//   (that constant is the int 1 << 31, so only a single-segment frame whose
//   content size is above 2^64 - 2^31 ever trips it);
// - then ONE frame is decoded and the member ends where the frame ends (its
//   checksum included): trailing zeros, garbage or a second frame are left
//   to unpack_to_rootfs(), which sees a second frame as a member of its own;
// - output goes through one ZSTD_IOBUF_SIZE (128 KiB) buffer that is flushed
//   after every ZSTD_decompressStream() call that put something in it. Such
//   a call returns when the buffer is full and more output is waiting, so
//   the chunks are 128 KiB but the last; a full buffer is flushed only once
//   the next block decoded, and a call that fails loses the output it had
//   gathered (the kernel returns before flushing it);
// - my_inptr is the end of the frame, the whole input when the input ran out
//   ("ZSTD-compressed data is truncated", after flushing what was decoded,
//   a raw block's available part included), and 0 after any other error;
// - a frame whose content size is known, at most 128 KiB, and whose blocks
//   all lie in the input is decoded in one pass straight into the output
//   buffer (the single-pass shortcut of ZSTD_decompressStream()), with the
//   checks of ZSTD_decompressFrame(); other frames go through the streaming
//   window: a buffer of min(content size, window + block + 64) bytes that
//   restarts at its beginning when the next block would not fit, exactly as
//   lib/zstd lays it out, so that offsets are accepted or refused as there;
// - windows above ZSTD_MAXWINDOWSIZE_DEFAULT (128 MiB + 1, the default the
//   kernel's zstd_init_dstream() never changes) are "probably corrupt";
// - the XXH64 content checksum is verified ("ZSTD-compressed data is
//   corrupt"), so is the content size at the end of the last block.
//
// Memory: the 128 KiB output buffer and the literal buffer, then the image,
// then the window, which never exceeds what the frame header declares.

import { xxhDigest, xxhReset, xxhUpdate } from "./_zstd_xxh64";
import { BLOCK_MAX, CORRUPT, decodeBlock, frameBegin, PROBABLY } from "./_zstd_block";

import { ensureMemory } from "./_memory";

// @ts-ignore: decorator
@external("env", "flush")
declare function flushOutput(ptr: usize, len: u32): i32;

// Error codes (the TS side maps them to the kernel's strings).
const OK: i32 = 0;
const E_MAGIC: i32 = 1; // "Input is not in the ZSTD format (wrong magic bytes)"
const E_INCOMPLETE: i32 = 2; // "ZSTD-compressed data has an incomplete frame header"
const E_WINDOW: i32 = 3; // "ZSTD-compressed data has too large a window size"
const E_DSTREAM: i32 = 4; // "Out of memory while allocating ZSTD_DStream"
const E_NOMEM: i32 = 5; // "ZSTD decompressor ran out of memory"
// 6 CORRUPT "ZSTD-compressed data is corrupt", 7 PROBABLY "... is probably corrupt"
const E_TRUNCATED: i32 = 8; // "ZSTD-compressed data is truncated"
const E_FLUSH: i32 = 9; // "Failed to flush()"
const E_MEMORY: i32 = 10; // the image does not fit in linear memory (no message)

/** ZSTD_IOBUF_SIZE: the output buffer of __unzstd(). */
const IOBUF: u32 = 1 << 17;
/** Room past every buffer for the 16-byte copies of the block decoder. */
const SLACK: usize = 64;
const UNKNOWN: u64 = 0xffffffffffffffff;
/** ZSTD_MAXWINDOWSIZE_DEFAULT. */
const MAX_WINDOW: u64 = (1 << 27) + 1;
/** About sizeof(ZSTD_DCtx) in zstd 1.5.2 on x86-64: the fixed part of the workspace. */
const DCTX_SIZE: u64 = 64 << 10;
/**
 * totalram_pages() of the machine the kernel runs on: vmalloc() refuses more
 * pages than that. The value is that of the 6.12 kernel in the oracle's
 * 1 GiB guest (the linux-6.12 profile's totalRamPages).
 */
const TOTALRAM_PAGES: u64 = 245268;

const OUT = memory.data(<i32>(IOBUF + <u32>SLACK));
const INPUT: usize = (__heap_base + 15) & ~(<usize>15);

let inptr: u32 = 0;
let outPos: u32 = 0;
/** The end of the image last put at INPUT: members of it are decoded in place. */
let imageEnd: usize = 0;

// the frame header
let headerSize: usize = 0;
let contentSize: u64 = 0;
let windowSize: u64 = 0;
let dictID: u32 = 0;
let checksum = false;
let skippable = false;


/** Room for `len` bytes of image (plus slack); the fixed buffers sit below it. */
export function inputBuffer(len: u32): usize {
  if (!ensureMemory(INPUT + <usize>len + SLACK)) return 0;
  imageEnd = INPUT + <usize>len;
  return INPUT;
}

/** my_inptr after the last decode(). */
export function consumed(): u32 {
  return inptr;
}

/** __unzstd() over `len` bytes at `ptr`; returns 0 or an error code. */
export function decode(ptr: usize, len: u32): i32 {
  inptr = 0;
  outPos = 0;
  if (ptr == 0 || !ensureMemory(ptr + <usize>len + SLACK)) return E_MEMORY;
  const h = readHeader(ptr, <usize>len);
  if (h != OK) return h;
  // ZSTD_WINDOWSIZE_MAX compared as the kernel's C does: (int)(1 << 31)
  // converted to unsigned long long
  if (windowSize > 0xffffffff80000000) return E_WINDOW;
  // the workspace (zstd_dstream_workspace_bound()) is vmalloc()ed before
  // anything else looks at the frame
  const block = min<u64>(windowSize, <u64>BLOCK_MAX);
  if ((DCTX_SIZE + block + windowSize + block + 64) >> 12 > TOTALRAM_PAGES) return E_DSTREAM;
  if (skippable) return skipFrame(<usize>len);
  if (contentSize != UNKNOWN && contentSize <= <u64>IOBUF) {
    const size = frameSize(ptr, <usize>len);
    if (size != 0) return onePass(ptr, size);
  }
  return stream(ptr, <usize>len);
}

// ZSTD_getFrameHeader() on the whole input: OK or an error code.
function readHeader(p: usize, len: usize): i32 {
  skippable = false;
  // zstd 1.5.2 asks for 5 bytes before it looks at any
  if (len < 5) return E_INCOMPLETE;
  const magic = load<u32>(p);
  if (magic != 0xfd2fb528) {
    if ((magic & 0xfffffff0) != 0x184d2a50) return E_MAGIC;
    if (len < 8) return E_INCOMPLETE;
    skippable = true;
    contentSize = <u64>load<u32>(p, 4);
    windowSize = 0;
    headerSize = 8;
    dictID = 0;
    checksum = false;
    return OK;
  }
  const fhd = <u32>load<u8>(p, 4);
  const dictCode = fhd & 3;
  const single = (fhd >> 5) & 1;
  const fcsCode = fhd >> 6;
  let size: usize = 5 + <usize>(1 - single);
  size += dictCode == 3 ? 4 : <usize>dictCode;
  size += fcsCode == 0 ? <usize>single : <usize>1 << fcsCode;
  if (len < size) return E_INCOMPLETE;
  if ((fhd & 8) != 0) return PROBABLY;
  let pos: usize = 5;
  let ws: u64 = 0;
  if (single == 0) {
    const wd = <u32>load<u8>(p + pos);
    pos++;
    const log = (wd >> 3) + 10;
    if (log > 31) return PROBABLY;
    ws = <u64>1 << log;
    ws += (ws >> 3) * <u64>(wd & 7);
  }
  dictID = 0;
  if (dictCode == 1) {
    dictID = <u32>load<u8>(p + pos);
    pos += 1;
  } else if (dictCode == 2) {
    dictID = <u32>load<u16>(p + pos);
    pos += 2;
  } else if (dictCode == 3) {
    dictID = load<u32>(p + pos);
    pos += 4;
  }
  let fcs = UNKNOWN;
  if (fcsCode == 0) {
    if (single != 0) fcs = <u64>load<u8>(p + pos);
  } else if (fcsCode == 1) {
    fcs = <u64>load<u16>(p + pos) + 256;
  } else if (fcsCode == 2) {
    fcs = <u64>load<u32>(p + pos);
  } else {
    fcs = load<u64>(p + pos);
  }
  if (single != 0) ws = fcs;
  headerSize = size;
  contentSize = fcs;
  windowSize = ws;
  checksum = (fhd & 4) != 0;
  return OK;
}

// ZSTD_findFrameCompressedSize(): the frame's size if all of it is in the
// input, else 0.
function frameSize(p: usize, len: usize): usize {
  let pos = headerSize;
  for (;;) {
    if (len - pos < 3) return 0;
    const hdr = load<u32>(p + pos) & 0xffffff;
    const type = (hdr >> 1) & 3;
    if (type == 3) return 0;
    const size = <usize>(type == 1 ? 1 : hdr >> 3);
    if (len - pos - 3 < size) return 0;
    pos += 3 + size;
    if ((hdr & 1) != 0) break;
  }
  if (checksum) {
    if (len - pos < 4) return 0;
    pos += 4;
  }
  return pos;
}

// A skippable frame: the static DStream the kernel sized for a window of 0
// has room for 60 bytes of it.
function skipFrame(len: usize): i32 {
  if (contentSize > 60) return E_NOMEM;
  if (<u64>(len - 8) < contentSize) {
    inptr = <u32>len;
    return E_TRUNCATED;
  }
  inptr = 8 + <u32>contentSize;
  return OK;
}

// Appends output to the kernel's 128 KiB buffer. ZSTD_decompressStream()
// returns to __unzstd() when the buffer is full and more output waits in
// zstd's own buffer; __unzstd() flushes it and calls again only if input is
// left (or the frame is complete: then zstd holds back one byte of it). So a
// full buffer is flushed when more output comes, and if `more` is false the
// rest is lost and the input counts as truncated. OK, E_FLUSH or E_TRUNCATED.
function emit(src: usize, n: usize, more: bool, len: usize): i32 {
  while (n > 0) {
    if (outPos == IOBUF) {
      if (flushOutput(OUT, IOBUF) == 0) return E_FLUSH;
      outPos = 0;
      if (!more) {
        inptr = <u32>len;
        return E_TRUNCATED;
      }
    }
    const take = min<usize>(n, <usize>(IOBUF - outPos));
    memory.copy(OUT + <usize>outPos, src, take);
    outPos += <u32>take;
    src += take;
    n -= take;
  }
  return OK;
}

// The input ran out inside the frame: the call that noticed returns what it
// decoded, then __unzstd() finds nothing left to read.
function truncated(len: usize): i32 {
  if (outPos > 0 && flushOutput(OUT, outPos) == 0) return E_FLUSH;
  inptr = <u32>len;
  return E_TRUNCATED;
}

function checksumOk(p: usize): bool {
  return load<u32>(p) == <u32>xxhDigest();
}

// ZSTD_decompressFrame() into the output buffer, for a frame of at most
// 128 KiB that is all there.
function onePass(p: usize, size: usize): i32 {
  if (dictID != 0) return PROBABLY;
  frameBegin(windowSize);
  if (checksum) xxhReset();
  let ip = p + headerSize;
  let produced: usize = 0;
  for (;;) {
    const hdr = load<u32>(ip) & 0xffffff;
    const last = hdr & 1;
    const type = (hdr >> 1) & 3;
    const bsize = <usize>(hdr >> 3);
    if (type == 3) return CORRUPT;
    ip += 3;
    const dst = OUT + produced;
    const cap = <usize>IOBUF - produced;
    let n: usize;
    if (type == 0) {
      if (bsize > cap) return CORRUPT;
      memory.copy(dst, ip, bsize);
      ip += bsize;
      n = bsize;
    } else if (type == 1) {
      if (bsize > cap) return CORRUPT;
      memory.fill(dst, load<u8>(ip), bsize);
      ip += 1;
      n = bsize;
    } else {
      const r = decodeBlock(ip, bsize, dst, cap, OUT, 0);
      if (r < 0) return -r;
      ip += bsize;
      n = <usize>r;
    }
    if (checksum) xxhUpdate(dst, n);
    produced += n;
    if (last != 0) break;
  }
  if (<u64>produced != contentSize) return CORRUPT;
  if (checksum) {
    if (!checksumOk(ip)) return CORRUPT;
    ip += 4;
  }
  if (produced > 0 && flushOutput(OUT, <u32>produced) == 0) return E_FLUSH;
  inptr = <u32>size;
  return OK;
}

// The streaming decoder: blocks into the window, output through emit().
function stream(p: usize, len: usize): i32 {
  if (dictID != 0) return PROBABLY;
  const ws = windowSize < 1024 ? <u64>1024 : windowSize;
  if (ws > MAX_WINDOW) return PROBABLY;
  const bm = <usize>min<u64>(windowSize, <u64>BLOCK_MAX);
  const ring = ws + min<u64>(ws, <u64>BLOCK_MAX) + 64;
  const bufSize = <usize>(contentSize < ring ? contentSize : ring);
  const wraps = <u64>bufSize < contentSize;
  // past the whole image: a member may be decoded from a shorter view of it
  const win = (max<usize>(p + len, imageEnd) + SLACK + 63) & ~(<usize>63);
  if (!ensureMemory(win + bufSize + SLACK)) return E_DSTREAM;
  frameBegin(ws);
  if (checksum) xxhReset();
  const end = p + len;
  let ip = p + headerSize;
  let outStart: usize = 0;
  let extLen: usize = 0;
  let produced: u64 = 0;
  for (;;) {
    if (end - ip < 3) return truncated(len);
    const hdr = load<u32>(ip) & 0xffffff;
    const last = hdr & 1;
    const type = (hdr >> 1) & 3;
    const bsize = <usize>(hdr >> 3);
    if (type == 3) return CORRUPT;
    const csize: usize = type == 1 ? 1 : bsize;
    if (csize > bm) return CORRUPT;
    ip += 3;
    if (csize == 0) {
      // an empty raw or compressed block: nothing decoded, nothing checked
      if (last != 0) break;
      continue;
    }
    const dst = win + outStart;
    const cap = bufSize - outStart;
    let n: usize;
    if (type == 0) {
      // a raw block is copied as far as the input goes
      const avail = end - ip;
      if (avail == 0) return truncated(len);
      const piece = min<usize>(avail, bsize);
      if (piece > cap) return CORRUPT;
      memory.copy(dst, ip, piece);
      ip += piece;
      n = piece;
      if (piece < bsize) {
        const e = emit(dst, piece, false, len);
        if (e != OK) return e;
        return truncated(len);
      }
    } else if (type == 1) {
      if (end - ip < 1) return truncated(len);
      if (bsize > cap || bsize > bm) return CORRUPT;
      memory.fill(dst, load<u8>(ip), bsize);
      ip += 1;
      n = bsize;
    } else {
      if (end - ip < csize) return truncated(len);
      const r = decodeBlock(ip, csize, dst, cap, win, extLen);
      if (r < 0) return -r;
      if (<usize>r > bm) return CORRUPT;
      ip += csize;
      n = <usize>r;
    }
    produced += <u64>n;
    if (last != 0 && contentSize != UNKNOWN && produced != contentSize) return CORRUPT;
    if (checksum) xxhUpdate(dst, n);
    if (n > 0) {
      const e = emit(dst, n, ip < end || (last != 0 && !checksum), len);
      if (e != OK) return e;
      outStart += n;
      if (wraps && outStart + bm > bufSize) {
        // the next block starts the buffer over; this segment becomes history
        extLen = outStart;
        outStart = 0;
      }
    }
    if (last != 0) break;
  }
  if (checksum) {
    if (end - ip < 4) return truncated(len);
    if (!checksumOk(ip)) return CORRUPT;
    ip += 4;
  }
  if (outPos > 0 && flushOutput(OUT, outPos) == 0) return E_FLUSH;
  inptr = <u32>(ip - p);
  return OK;
}
