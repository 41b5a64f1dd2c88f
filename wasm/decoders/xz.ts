// The kernel's xz decompressor as unpack_to_rootfs() calls it:
// lib/decompress_unxz.c unxz() with fill = NULL, a flush() and no output
// buffer, so lib/xz runs in multi-call mode (XZ_DYNALLOC, dict_max
// (uint32_t)-1) over the whole rest of the image with a 4096-byte output
// buffer (XZ_IOBUF_SIZE) that is flushed whenever it is full, and once more,
// partly filled, when the decoder stops.
//
// Everything below follows lib/xz state for state, because the bytes consumed
// (my_inptr) and what is flushed before an error are observable:
//   xz_dec_stream.c  stream header, blocks, padding, CRC32 check, index, footer;
//                    one stream, nothing after it is read; checks NONE and
//                    CRC32 only (others are XZ_OPTIONS_ERROR)
//   xz_dec_lzma2.c   LZMA2 chunks, the 21-byte input rule, the dictionary,
//                    vmalloc()ed at its declared size (props <= 39, 3 GiB),
//                    which fails beyond the machine's RAM (XZ_MEM_ERROR)
//   xz_dec_bcj.c     the BCJ wrapper with its 16-byte buffer; the filters a
//                    x86-64 kernel is built with (see setBcjFilters)
// decode() returns 0 for XZ_STREAM_END, else the xz_ret value unxz() turned
// into its message.

import * as core from "./_lzma_core";
import { decodeSymbols, LITERAL, resetProbs, resetState, SYMBOLS_OK } from "./_lzma_core";
import { crc32, crc32Init } from "./_lzma_crc32";
import { BCJ_ARM64, BCJ_RISCV, BCJ_X86, bcjArm64, bcjRiscv, bcjX86 } from "./_lzma_bcj";
import * as bcj from "./_lzma_bcj";
import { regionPtr, reserve, setTotalRamPages, vmallocRefuses } from "./_lzma_heap";

// @ts-ignore: decorator
@external("env", "flush")
declare function flushOut(ptr: usize, len: u32): i32;

// ---- enum xz_ret
const XZ_OK: u32 = 0;
const XZ_STREAM_END: u32 = 1;
const XZ_MEM_ERROR: u32 = 3;
const XZ_FORMAT_ERROR: u32 = 5;
const XZ_OPTIONS_ERROR: u32 = 6;
const XZ_DATA_ERROR: u32 = 7;
const XZ_BUF_ERROR: u32 = 8;

const XZ_IOBUF_SIZE: u32 = 4096;
const VLI_UNKNOWN: u64 = 0xffffffffffffffff;
const CHECK_NONE: u32 = 0;
const CHECK_CRC32: u32 = 1;
/** LZMA_IN_REQUIRED: input one symbol may need, plus the final normalization. */
const IN_REQUIRED: u32 = 21;
const RC_INIT_BYTES: u32 = 5;
/** Probabilities lzma_reset() initialises (LZMA2 allows lc + lp <= 4). */
const PROBS_TOTAL: u32 = LITERAL + 16 * 0x300;

// ---- memory
const outBuf = memory.data(XZ_IOBUF_SIZE, 16);
const probArea = memory.data(PROBS_TOTAL * 2, 16);
const streamTemp = memory.data(1024 + 16, 16); // Stream Header, Block Header, Footer
const lzmaTemp = memory.data(3 * IN_REQUIRED + 1 + 16, 16); // zero padded tail of a chunk
const bcjTemp = memory.data(16 + 16, 16);
const blockHash = memory.data(24, 8); // struct xz_dec_hash: unpadded, uncompressed, crc32, pad
const indexHash = memory.data(24, 8);
const inRegion = memory.data(16, 8);
const dictRegion = memory.data(16, 8);

// ---- struct xz_buf
let bIn: usize = 0;
let bInPos: u32 = 0;
let bInSize: u32 = 0;
let bOut: usize = 0;
let bOutPos: u32 = 0;
let bOutSize: u32 = 0;
let inUsed: u32 = 0;

// ---- struct xz_dec
const SEQ_STREAM_HEADER: u32 = 0;
const SEQ_BLOCK_START: u32 = 1;
const SEQ_BLOCK_HEADER: u32 = 2;
const SEQ_BLOCK_UNCOMPRESS: u32 = 3;
const SEQ_BLOCK_PADDING: u32 = 4;
const SEQ_BLOCK_CHECK: u32 = 5;
const SEQ_INDEX: u32 = 6;
const SEQ_INDEX_PADDING: u32 = 7;
const SEQ_INDEX_CRC32: u32 = 8;
const SEQ_STREAM_FOOTER: u32 = 9;
const SEQ_INDEX_COUNT: u32 = 0;
const SEQ_INDEX_UNPADDED: u32 = 1;
const SEQ_INDEX_UNCOMPRESSED: u32 = 2;

let sequence: u32 = 0;
let pos: u32 = 0; // position in a VLI or a check field
let vli: u64 = 0;
let inStart: u32 = 0;
let outStart: u32 = 0;
let crc: u32 = 0;
let checkType: u32 = 0;
let allowBufError = false;
let headerCompressed: u64 = 0;
let headerUncompressed: u64 = 0;
let headerSize: u32 = 0;
let blockCompressed: u64 = 0;
let blockUncompressed: u64 = 0;
let blockCount: u64 = 0;
let indexSequence: u32 = 0;
let indexSize: u64 = 0;
let indexCount: u64 = 0;
let tempPos: u32 = 0;
let tempSize: u32 = 0;
let bcjActive = false;

// ---- struct xz_dec_lzma2
const SEQ_CONTROL: u32 = 0;
const SEQ_UNCOMPRESSED_1: u32 = 1;
const SEQ_UNCOMPRESSED_2: u32 = 2;
const SEQ_COMPRESSED_0: u32 = 3;
const SEQ_COMPRESSED_1: u32 = 4;
const SEQ_PROPERTIES: u32 = 5;
const SEQ_LZMA_PREPARE: u32 = 6;
const SEQ_LZMA_RUN: u32 = 7;
const SEQ_COPY: u32 = 8;

let l2Sequence: u32 = 0;
let l2Next: u32 = 0;
let l2Uncompressed: u32 = 0;
let l2Compressed: u32 = 0;
let needDictReset = false;
let needProps = false;
let l2TempSize: u32 = 0;
let rcInitLeft: u32 = 0;
let dictStart: u32 = 0;

// ---- struct xz_dec_bcj
let bcjMask: u32 = (1 << BCJ_X86) | (1 << BCJ_ARM64) | (1 << BCJ_RISCV);
let bcjType: u32 = 0;
let bcjRet: u32 = 0;
let bcjPos: u32 = 0;
let bcjFiltered: u32 = 0;
let bcjSize: u32 = 0;

// ================================================================ exports

/** Room for `len` bytes of input (the image is copied there once). */
export function inputBuffer(len: u32): usize {
  if (!reserve(inRegion, <u64>len + 16)) abort();
  return regionPtr(inRegion);
}

/** unxz() over `len` bytes at `ptr`: 0, or the xz_ret that ended it. */
export function decode(ptr: usize, len: u32): i32 {
  crc32Init();
  decReset();
  bIn = ptr;
  bInPos = 0;
  bInSize = len;
  bOut = outBuf;
  bOutPos = 0;
  bOutSize = XZ_IOBUF_SIZE;
  let ret: u32;
  do {
    ret = decRun();
    if (bOutPos == bOutSize || (ret != XZ_OK && bOutPos > 0)) {
      if (flushOut(bOut, bOutPos) == 0) ret = XZ_BUF_ERROR;
      bOutPos = 0;
    }
  } while (ret == XZ_OK);
  inUsed = bInPos;
  return ret == XZ_STREAM_END ? 0 : <i32>ret;
}

/** in_used after decode(): where the stream ended (or decoding stopped). */
export function consumed(): u32 {
  return inUsed;
}

/** The modelled machine's RAM in pages: vmalloc() refuses more. */
export function setMemoryPages(pages: u32): void {
  setTotalRamPages(pages);
}

/**
 * The BCJ filters the kernel was built with, one bit per filter ID (x86 = 4,
 * ARM64 = 10, RISC-V = 11); others are XZ_OPTIONS_ERROR like a filter the
 * kernel lacks. The default is Debian 6.12's amd64 set (x86, ARM64, RISC-V);
 * Debian 6.1 has x86 only.
 */
export function setBcjFilters(mask: u32): void {
  bcjMask = mask & ((1 << BCJ_X86) | (1 << BCJ_ARM64) | (1 << BCJ_RISCV));
}

// ================================================================ xz_dec_stream.c

function decReset(): void {
  sequence = SEQ_STREAM_HEADER;
  allowBufError = false;
  pos = 0;
  crc = 0;
  blockCompressed = 0;
  blockUncompressed = 0;
  blockCount = 0;
  memory.fill(blockHash, 0, 24);
  indexSequence = SEQ_INDEX_COUNT;
  indexSize = 0;
  indexCount = 0;
  memory.fill(indexHash, 0, 24);
  tempPos = 0;
  tempSize = 12;
}

function decRun(): u32 {
  const inStartRun = bInPos;
  const outStartRun = bOutPos;
  let ret = decMain();
  if (ret == XZ_OK && inStartRun == bInPos && outStartRun == bOutPos) {
    // no progress: the second time in a row is an error
    if (allowBufError) ret = XZ_BUF_ERROR;
    allowBufError = true;
  } else {
    allowBufError = false;
  }
  return ret;
}

// Copies input into the temp buffer until it holds tempSize bytes.
function fillTemp(): bool {
  let n = bInSize - bInPos;
  if (n > tempSize - tempPos) n = tempSize - tempPos;
  memory.copy(streamTemp + tempPos, bIn + bInPos, n);
  bInPos += n;
  tempPos += n;
  if (tempPos == tempSize) {
    tempPos = 0;
    return true;
  }
  return false;
}

let vliEnd: u32 = 0;

// A variable-length integer from buf[at..limit): XZ_OK (needs more),
// XZ_STREAM_END (in `vli`) or XZ_DATA_ERROR; where it stopped is in vliEnd.
function decVli(buf: usize, at: u32, limit: u32): u32 {
  if (pos == 0) vli = 0;
  while (at < limit) {
    const b = <u32>load<u8>(buf + at);
    at++;
    vli |= (<u64>(b & 0x7f)) << pos;
    if ((b & 0x80) == 0) {
      vliEnd = at;
      // no non-minimal encodings
      if (b == 0 && pos != 0) return XZ_DATA_ERROR;
      pos = 0;
      return XZ_STREAM_END;
    }
    pos += 7;
    if (pos == 7 * 9) {
      vliEnd = at;
      return XZ_DATA_ERROR;
    }
  }
  vliEnd = at;
  return XZ_OK;
}

function hashAdd(hash: usize, unpadded: u64, uncompressed: u64): void {
  store<u64>(hash, load<u64>(hash) + unpadded);
  store<u64>(hash, load<u64>(hash, 8) + uncompressed, 8);
  store<u32>(hash, crc32(hash, 24, load<u32>(hash, 16)), 16);
}

function decBlock(): u32 {
  inStart = bInPos;
  outStart = bOutPos;
  const ret = bcjActive ? bcjRun() : lzma2Run();
  blockCompressed += <u64>(bInPos - inStart);
  blockUncompressed += <u64>(bOutPos - outStart);
  if (blockCompressed > headerCompressed || blockUncompressed > headerUncompressed) {
    return XZ_DATA_ERROR;
  }
  if (checkType == CHECK_CRC32) crc = crc32(bOut + outStart, bOutPos - outStart, crc);
  if (ret == XZ_STREAM_END) {
    if (headerCompressed != VLI_UNKNOWN && headerCompressed != blockCompressed) {
      return XZ_DATA_ERROR;
    }
    if (headerUncompressed != VLI_UNKNOWN && headerUncompressed != blockUncompressed) {
      return XZ_DATA_ERROR;
    }
    let unpadded = <u64>headerSize + blockCompressed;
    if (checkType == CHECK_CRC32) unpadded += 4;
    hashAdd(blockHash, unpadded, blockUncompressed);
    blockCount++;
  }
  return ret;
}

function indexUpdate(): void {
  const used = bInPos - inStart;
  indexSize += used;
  crc = crc32(bIn + inStart, used, crc);
}

function decIndex(): u32 {
  do {
    const ret = decVli(bIn, bInPos, bInSize);
    bInPos = vliEnd;
    if (ret != XZ_STREAM_END) {
      indexUpdate();
      return ret;
    }
    if (indexSequence == SEQ_INDEX_COUNT) {
      indexCount = vli;
      // as many records as there were blocks
      if (indexCount != blockCount) return XZ_DATA_ERROR;
      indexSequence = SEQ_INDEX_UNPADDED;
    } else if (indexSequence == SEQ_INDEX_UNPADDED) {
      store<u64>(indexHash, load<u64>(indexHash) + vli);
      indexSequence = SEQ_INDEX_UNCOMPRESSED;
    } else {
      hashAdd(indexHash, 0, vli);
      indexCount--;
      indexSequence = SEQ_INDEX_UNPADDED;
    }
  } while (indexCount > 0);
  return XZ_STREAM_END;
}

// Compares the next four input bytes with `crc` (little endian).
function crcValidate(): u32 {
  do {
    if (bInPos == bInSize) return XZ_OK;
    const b = <u32>load<u8>(bIn + bInPos);
    bInPos++;
    if (((crc >>> pos) & 0xff) != b) return XZ_DATA_ERROR;
    pos += 8;
  } while (pos < 32);
  crc = 0;
  pos = 0;
  return XZ_STREAM_END;
}

function decStreamHeader(): u32 {
  // FD 37 7A 58 5A 00
  if (
    load<u32>(streamTemp) != 0x587a37fd || load<u8>(streamTemp, 4) != 0x5a ||
    load<u8>(streamTemp, 5) != 0
  ) return XZ_FORMAT_ERROR;
  if (crc32(streamTemp + 6, 2, 0) != load<u32>(streamTemp, 8)) return XZ_DATA_ERROR;
  if (load<u8>(streamTemp, 6) != 0) return XZ_OPTIONS_ERROR;
  // only None and CRC32 (no XZ_DEC_ANY_CHECK, no CRC64 or SHA-256 in the kernel)
  const check = <u32>load<u8>(streamTemp, 7);
  if (check > 15) return XZ_OPTIONS_ERROR;
  checkType = check;
  if (checkType > CHECK_CRC32) return XZ_OPTIONS_ERROR;
  return XZ_OK;
}

function decStreamFooter(): u32 {
  if (load<u8>(streamTemp, 10) != 0x59 || load<u8>(streamTemp, 11) != 0x5a) return XZ_DATA_ERROR;
  if (crc32(streamTemp + 4, 6, 0) != load<u32>(streamTemp)) return XZ_DATA_ERROR;
  // Backward Size: the index without its CRC32 is (size / 4) words
  if ((indexSize >> 2) != <u64>load<u32>(streamTemp, 4)) return XZ_DATA_ERROR;
  if (load<u8>(streamTemp, 8) != 0 || <u32>load<u8>(streamTemp, 9) != checkType) {
    return XZ_DATA_ERROR;
  }
  return XZ_STREAM_END;
}

function decBlockHeader(): u32 {
  tempSize -= 4;
  if (crc32(streamTemp, tempSize, 0) != load<u32>(streamTemp + tempSize)) return XZ_DATA_ERROR;
  tempPos = 2;
  const flags = <u32>load<u8>(streamTemp, 1);
  // one or two filters, no reserved bits
  if ((flags & 0x3e) != 0) return XZ_OPTIONS_ERROR;
  if ((flags & 0x40) != 0) {
    if (decVli(streamTemp, tempPos, tempSize) != XZ_STREAM_END) return XZ_DATA_ERROR;
    tempPos = vliEnd;
    headerCompressed = vli;
  } else {
    headerCompressed = VLI_UNKNOWN;
  }
  if ((flags & 0x80) != 0) {
    if (decVli(streamTemp, tempPos, tempSize) != XZ_STREAM_END) return XZ_DATA_ERROR;
    tempPos = vliEnd;
    headerUncompressed = vli;
  } else {
    headerUncompressed = VLI_UNKNOWN;
  }
  // with two filters the first is a BCJ filter without properties
  bcjActive = (flags & 0x01) != 0;
  if (bcjActive) {
    if (tempSize - tempPos < 2) return XZ_OPTIONS_ERROR;
    const ret = bcjReset(<u32>load<u8>(streamTemp + tempPos));
    tempPos++;
    if (ret != XZ_OK) return ret;
    const propsSize = load<u8>(streamTemp + tempPos);
    tempPos++;
    if (propsSize != 0) return XZ_OPTIONS_ERROR;
  }
  if (tempSize - tempPos < 2) return XZ_DATA_ERROR;
  // LZMA2 with one byte of properties
  if (load<u8>(streamTemp + tempPos) != 0x21) return XZ_OPTIONS_ERROR;
  tempPos++;
  if (load<u8>(streamTemp + tempPos) != 0x01) return XZ_OPTIONS_ERROR;
  tempPos++;
  if (tempSize - tempPos < 1) return XZ_DATA_ERROR;
  const ret = lzma2Reset(<u32>load<u8>(streamTemp + tempPos));
  tempPos++;
  if (ret != XZ_OK) return ret;
  // header padding
  while (tempPos < tempSize) {
    const b = load<u8>(streamTemp + tempPos);
    tempPos++;
    if (b != 0) return XZ_OPTIONS_ERROR;
  }
  tempPos = 0;
  blockCompressed = 0;
  blockUncompressed = 0;
  return XZ_OK;
}

function decMain(): u32 {
  let ret: u32;
  // where the index bytes of this call start, for its CRC32 and size
  inStart = bInPos;
  while (true) {
    switch (sequence) {
      case SEQ_STREAM_HEADER: {
        if (!fillTemp()) return XZ_OK;
        sequence = SEQ_BLOCK_START;
        ret = decStreamHeader();
        if (ret != XZ_OK) return ret;
      }
      // falls through
      case SEQ_BLOCK_START: {
        if (bInPos == bInSize) return XZ_OK;
        const b = <u32>load<u8>(bIn + bInPos);
        if (b == 0) {
          // the index indicator
          inStart = bInPos;
          bInPos++;
          sequence = SEQ_INDEX;
          break;
        }
        headerSize = (b + 1) * 4;
        tempSize = headerSize;
        tempPos = 0;
        sequence = SEQ_BLOCK_HEADER;
      }
      // falls through
      case SEQ_BLOCK_HEADER: {
        if (!fillTemp()) return XZ_OK;
        ret = decBlockHeader();
        if (ret != XZ_OK) return ret;
        sequence = SEQ_BLOCK_UNCOMPRESS;
      }
      // falls through
      case SEQ_BLOCK_UNCOMPRESS: {
        ret = decBlock();
        if (ret != XZ_STREAM_END) return ret;
        sequence = SEQ_BLOCK_PADDING;
      }
      // falls through
      case SEQ_BLOCK_PADDING: {
        // compressed data + padding is a multiple of four bytes
        while ((blockCompressed & 3) != 0) {
          if (bInPos == bInSize) return XZ_OK;
          const b = load<u8>(bIn + bInPos);
          bInPos++;
          if (b != 0) return XZ_DATA_ERROR;
          blockCompressed++;
        }
        sequence = SEQ_BLOCK_CHECK;
      }
      // falls through
      case SEQ_BLOCK_CHECK: {
        if (checkType == CHECK_CRC32) {
          ret = crcValidate();
          if (ret != XZ_STREAM_END) return ret;
        }
        sequence = SEQ_BLOCK_START;
        break;
      }
      case SEQ_INDEX: {
        ret = decIndex();
        if (ret != XZ_STREAM_END) return ret;
        sequence = SEQ_INDEX_PADDING;
      }
      // falls through
      case SEQ_INDEX_PADDING: {
        while (((indexSize + <u64>(bInPos - inStart)) & 3) != 0) {
          if (bInPos == bInSize) {
            indexUpdate();
            return XZ_OK;
          }
          const b = load<u8>(bIn + bInPos);
          bInPos++;
          if (b != 0) return XZ_DATA_ERROR;
        }
        indexUpdate();
        // the index must describe the blocks that were decoded
        if (
          load<u64>(blockHash) != load<u64>(indexHash) ||
          load<u64>(blockHash, 8) != load<u64>(indexHash, 8) ||
          load<u64>(blockHash, 16) != load<u64>(indexHash, 16)
        ) return XZ_DATA_ERROR;
        sequence = SEQ_INDEX_CRC32;
      }
      // falls through
      case SEQ_INDEX_CRC32: {
        ret = crcValidate();
        if (ret != XZ_STREAM_END) return ret;
        tempSize = 12;
        sequence = SEQ_STREAM_FOOTER;
      }
      // falls through
      case SEQ_STREAM_FOOTER: {
        if (!fillTemp()) return XZ_OK;
        return decStreamFooter();
      }
      default:
        return XZ_DATA_ERROR;
    }
  }
  return XZ_DATA_ERROR;
}

// ================================================================ xz_dec_lzma2.c

function lzma2Reset(props: u32): u32 {
  if (props > 39) return XZ_OPTIONS_ERROR;
  const size = (2 + (props & 1)) << ((props >> 1) + 11);
  core.dictSize = size;
  core.dictEnd = size;
  // vmalloc() of the whole dictionary
  if (vmallocRefuses(<u64>size) || !reserve(dictRegion, <u64>size)) return XZ_MEM_ERROR;
  core.dictBuf = regionPtr(dictRegion);
  l2Sequence = SEQ_CONTROL;
  needDictReset = true;
  l2TempSize = 0;
  return XZ_OK;
}

function dictReset(): void {
  dictStart = 0;
  core.dictPos = 0;
  core.symLimit = 0;
  core.copyLimit = 0;
  core.dictFull = 0;
}

function rcReset(): void {
  core.rcRange = 0xffffffff;
  core.rcCode = 0;
  rcInitLeft = RC_INIT_BYTES;
}

function lzmaReset(): void {
  resetState();
  resetProbs(probArea, PROBS_TOTAL);
  rcReset();
}

function lzmaProps(props: u32): bool {
  if (props > (4 * 5 + 4) * 9 + 8) return false;
  const pb = props / 45;
  props -= pb * 45;
  const lp = props / 9;
  const lc = props - lp * 9;
  if (lc + lp > 4) return false;
  core.pbMask = (<u32>1 << pb) - 1;
  core.lpMask = (<u32>1 << lp) - 1;
  core.lc = lc;
  core.probs = probArea;
  core.posBase = 0;
  lzmaReset();
  return true;
}

function rcReadInit(): bool {
  while (rcInitLeft > 0) {
    if (bInPos == bInSize) return false;
    core.rcCode = (core.rcCode << 8) + <u32>load<u8>(bIn + bInPos);
    bInPos++;
    rcInitLeft--;
  }
  return true;
}

function dictLimit(outMax: u32): void {
  const p = core.dictPos;
  const limit = core.dictEnd - p <= outMax ? core.dictEnd : p + outMax;
  core.symLimit = limit;
  core.copyLimit = limit;
}

// Copies what was decoded since the last flush into the output buffer.
function dictFlush(): u32 {
  const n = core.dictPos - dictStart;
  if (core.dictPos == core.dictEnd) core.dictPos = 0;
  memory.copy(bOut + bOutPos, core.dictBuf + dictStart, n);
  dictStart = core.dictPos;
  bOutPos += n;
  return n;
}

// An uncompressed chunk: into the dictionary and the output at once.
function dictUncompressed(): void {
  while (l2Compressed > 0 && bInPos < bInSize && bOutPos < bOutSize) {
    let n = bInSize - bInPos;
    if (n > bOutSize - bOutPos) n = bOutSize - bOutPos;
    if (n > core.dictEnd - core.dictPos) n = core.dictEnd - core.dictPos;
    if (n > l2Compressed) n = l2Compressed;
    l2Compressed -= n;
    memory.copy(core.dictBuf + core.dictPos, bIn + bInPos, n);
    core.dictPos += n;
    if (core.dictFull < core.dictPos) core.dictFull = core.dictPos;
    if (core.dictPos == core.dictEnd) core.dictPos = 0;
    memory.copy(bOut + bOutPos, bIn + bInPos, n);
    dictStart = core.dictPos;
    bOutPos += n;
    bInPos += n;
  }
}

function lzmaMain(): bool {
  return decodeSymbols(false) == SYMBOLS_OK;
}

// Decodes LZMA data of the current chunk: whole symbols only, a tail shorter
// than LZMA_IN_REQUIRED waits in lzmaTemp (zero padded at the chunk's end).
function lzma2Lzma(): bool {
  let inAvail = bInSize - bInPos;
  if (l2TempSize > 0 || l2Compressed == 0) {
    let tmp: u32 = 2 * IN_REQUIRED - l2TempSize;
    if (tmp > l2Compressed - l2TempSize) tmp = l2Compressed - l2TempSize;
    if (tmp > inAvail) tmp = inAvail;
    memory.copy(lzmaTemp + l2TempSize, bIn + bInPos, tmp);
    let limit: u32;
    if (l2TempSize + tmp == l2Compressed) {
      memory.fill(lzmaTemp + l2TempSize + tmp, 0, 3 * IN_REQUIRED - l2TempSize - tmp);
      limit = l2TempSize + tmp;
    } else if (l2TempSize + tmp < IN_REQUIRED) {
      l2TempSize += tmp;
      bInPos += tmp;
      return true;
    } else {
      limit = l2TempSize + tmp - IN_REQUIRED;
    }
    core.rcIn = lzmaTemp;
    core.rcLimit = lzmaTemp + limit;
    if (!lzmaMain()) return false;
    const used = <u32>(core.rcIn - lzmaTemp);
    if (used > l2TempSize + tmp) return false;
    l2Compressed -= used;
    if (used < l2TempSize) {
      l2TempSize -= used;
      memory.copy(lzmaTemp, lzmaTemp + used, l2TempSize);
      return true;
    }
    bInPos += used - l2TempSize;
    l2TempSize = 0;
  }
  inAvail = bInSize - bInPos;
  if (inAvail >= IN_REQUIRED) {
    core.rcIn = bIn + bInPos;
    core.rcLimit = inAvail >= l2Compressed + IN_REQUIRED
      ? bIn + bInPos + l2Compressed
      : bIn + bInSize - IN_REQUIRED;
    if (!lzmaMain()) return false;
    const used = <u32>(core.rcIn - (bIn + bInPos));
    if (used > l2Compressed) return false;
    l2Compressed -= used;
    bInPos += used;
  }
  inAvail = bInSize - bInPos;
  if (inAvail < IN_REQUIRED) {
    if (inAvail > l2Compressed) inAvail = l2Compressed;
    memory.copy(lzmaTemp, bIn + bInPos, inAvail);
    l2TempSize = inAvail;
    bInPos += inAvail;
  }
  return true;
}

function lzma2Run(): u32 {
  while (bInPos < bInSize || l2Sequence == SEQ_LZMA_RUN) {
    switch (l2Sequence) {
      case SEQ_CONTROL: {
        const c = <u32>load<u8>(bIn + bInPos);
        bInPos++;
        if (c == 0x00) return XZ_STREAM_END;
        if (c >= 0xe0 || c == 0x01) {
          needProps = true;
          needDictReset = false;
          dictReset();
        } else if (needDictReset) {
          return XZ_DATA_ERROR;
        }
        if (c >= 0x80) {
          l2Uncompressed = (c & 0x1f) << 16;
          l2Sequence = SEQ_UNCOMPRESSED_1;
          if (c >= 0xc0) {
            needProps = false;
            l2Next = SEQ_PROPERTIES;
          } else if (needProps) {
            return XZ_DATA_ERROR;
          } else {
            l2Next = SEQ_LZMA_PREPARE;
            if (c >= 0xa0) lzmaReset();
          }
        } else {
          if (c > 0x02) return XZ_DATA_ERROR;
          l2Sequence = SEQ_COMPRESSED_0;
          l2Next = SEQ_COPY;
        }
        break;
      }
      case SEQ_UNCOMPRESSED_1: {
        l2Uncompressed += <u32>load<u8>(bIn + bInPos) << 8;
        bInPos++;
        l2Sequence = SEQ_UNCOMPRESSED_2;
        break;
      }
      case SEQ_UNCOMPRESSED_2: {
        l2Uncompressed += <u32>load<u8>(bIn + bInPos) + 1;
        bInPos++;
        l2Sequence = SEQ_COMPRESSED_0;
        break;
      }
      case SEQ_COMPRESSED_0: {
        l2Compressed = <u32>load<u8>(bIn + bInPos) << 8;
        bInPos++;
        l2Sequence = SEQ_COMPRESSED_1;
        break;
      }
      case SEQ_COMPRESSED_1: {
        l2Compressed += <u32>load<u8>(bIn + bInPos) + 1;
        bInPos++;
        l2Sequence = l2Next;
        break;
      }
      case SEQ_PROPERTIES: {
        const props = <u32>load<u8>(bIn + bInPos);
        bInPos++;
        if (!lzmaProps(props)) return XZ_DATA_ERROR;
        l2Sequence = SEQ_LZMA_PREPARE;
      }
      // falls through
      case SEQ_LZMA_PREPARE: {
        if (l2Compressed < RC_INIT_BYTES) return XZ_DATA_ERROR;
        if (!rcReadInit()) return XZ_OK;
        l2Compressed -= RC_INIT_BYTES;
        l2Sequence = SEQ_LZMA_RUN;
      }
      // falls through
      case SEQ_LZMA_RUN: {
        const room = bOutSize - bOutPos;
        dictLimit(room < l2Uncompressed ? room : l2Uncompressed);
        if (!lzma2Lzma()) return XZ_DATA_ERROR;
        l2Uncompressed -= dictFlush();
        if (l2Uncompressed == 0) {
          if (l2Compressed > 0 || core.lzLen > 0 || core.rcCode != 0) return XZ_DATA_ERROR;
          rcReset();
          l2Sequence = SEQ_CONTROL;
        } else if (
          bOutPos == bOutSize || (bInPos == bInSize && l2TempSize < l2Compressed)
        ) {
          return XZ_OK;
        }
        break;
      }
      case SEQ_COPY: {
        dictUncompressed();
        if (l2Compressed > 0) return XZ_OK;
        l2Sequence = SEQ_CONTROL;
        break;
      }
      default:
        return XZ_DATA_ERROR;
    }
  }
  return XZ_OK;
}

// ================================================================ xz_dec_bcj.c

function bcjReset(id: u32): u32 {
  if (id >= 32 || ((bcjMask >>> id) & 1) == 0) return XZ_OPTIONS_ERROR;
  bcjType = id;
  bcjRet = XZ_OK;
  bcjPos = 0;
  bcj.x86PrevMask = 0;
  bcjFiltered = 0;
  bcjSize = 0;
  return XZ_OK;
}

// Filters buf[start..end) and returns the new start (end of the final bytes).
function bcjApply(buf: usize, start: u32, end: u32): u32 {
  const size = end - start;
  let n: u32 = 0;
  if (bcjType == BCJ_X86) n = bcjX86(buf + start, size, bcjPos);
  else if (bcjType == BCJ_ARM64) n = bcjArm64(buf + start, size, bcjPos);
  else if (bcjType == BCJ_RISCV) n = bcjRiscv(buf + start, size, bcjPos);
  bcjPos += n;
  return start + n;
}

// Moves filtered bytes from the BCJ buffer to the output.
function bcjFlush(): void {
  let n = bcjFiltered;
  if (n > bOutSize - bOutPos) n = bOutSize - bOutPos;
  memory.copy(bOut + bOutPos, bcjTemp, n);
  bOutPos += n;
  bcjFiltered -= n;
  bcjSize -= n;
  memory.copy(bcjTemp, bcjTemp + n, bcjSize);
}

function bcjRun(): u32 {
  if (bcjFiltered > 0) {
    bcjFlush();
    if (bcjFiltered > 0) return XZ_OK;
    if (bcjRet == XZ_STREAM_END) return XZ_STREAM_END;
  }
  if (bcjSize < bOutSize - bOutPos || bcjSize == 0) {
    // decode straight into the output, after the unfiltered bytes kept back
    let start = bOutPos;
    memory.copy(bOut + bOutPos, bcjTemp, bcjSize);
    bOutPos += bcjSize;
    bcjRet = lzma2Run();
    if (bcjRet != XZ_STREAM_END && bcjRet != XZ_OK) return bcjRet;
    start = bcjApply(bOut, start, bOutPos);
    if (bcjRet == XZ_STREAM_END) return XZ_STREAM_END;
    bcjSize = bOutPos - start;
    bOutPos -= bcjSize;
    memory.copy(bcjTemp, bOut + bOutPos, bcjSize);
    if (bOutPos + bcjSize < bOutSize) return XZ_OK;
  }
  if (bOutPos < bOutSize) {
    // too little room left: decode into the 16-byte buffer instead
    const out = bOut;
    const outPos = bOutPos;
    const outSize = bOutSize;
    bOut = bcjTemp;
    bOutPos = bcjSize;
    bOutSize = 16;
    bcjRet = lzma2Run();
    bcjSize = bOutPos;
    bOut = out;
    bOutPos = outPos;
    bOutSize = outSize;
    if (bcjRet != XZ_OK && bcjRet != XZ_STREAM_END) return bcjRet;
    bcjFiltered = bcjApply(bcjTemp, bcjFiltered, bcjSize);
    if (bcjRet == XZ_STREAM_END) bcjFiltered = bcjSize;
    bcjFlush();
    if (bcjFiltered > 0) return XZ_OK;
  }
  return bcjRet;
}
