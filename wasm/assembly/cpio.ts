// The initramfs unpacker of init/initramfs.c as a resumable state machine
// that writes into the superblock of fs.ts. The kernel's statics (state,
// next_state, this_header, the collect buffers, the hard-link table, the
// deferred directory list) are globals here and survive between unpack
// calls exactly as they do in the kernel (next_state is never reset).
//
// Input arrives in chunks. The kernel sees a whole buffer at once, so a
// header that straddles two of *our* chunks must not change `next_state` the
// way the kernel's Collect does at *its* buffer ends: such collects are
// transparent unless the caller marks the chunk as the end of a kernel buffer
// (decompressor flush boundaries).

import { alloc, free } from "./alloc";
import {
  chmod, chown, closeInode, EEXIST, I_GID, I_MODE, I_MTIME, I_UID, inodeOf, link, mkdir, mknod, openCreate,
  openedInode, PATH_MAX, rmdir, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG,
  S_IFSOCK, setNow, stat, symlink, truncate, unlink, utime, wChild, write, writeErr,
} from "./fs";

// ---- profile flags
export const F_CRC: u32 = 1; // 070702 accepted (v6.0+)
export const F_NULTERM: u32 = 2; // names must end in NUL: "malformed archive" (v6.14+)
export const F_STRICT_HEX: u32 = 4; // hex2bin header parsing: "damaged header" (vfs 2026)
export const F_FREE_LINKS: u32 = 8; // hard-link table freed at the end of every unpack (v6.14+)
export const F_PRESERVE_MTIME: u32 = 16; // CONFIG_INITRAMFS_PRESERVE_MTIME

// ---- messages (first one wins)
export const M_NO_MAGIC: i32 = 1; // "no cpio magic"
export const M_ODC: i32 = 2; // "incorrect cpio method used: use -H newc option"
export const M_DAMAGED_HEADER: i32 = 3; // "damaged header"
export const M_MALFORMED: i32 = 4; // "malformed archive"
export const M_BAD_CHECKSUM: i32 = 5; // "bad data checksum"
export const M_WRITE_ERROR: i32 = 6; // "write error"
export const M_BROKEN_PADDING: i32 = 7; // "broken padding"
export const M_JUNK_WITHIN: i32 = 8; // "junk within compressed archive"
export const M_INVALID_MAGIC: i32 = 9; // "invalid magic at start of compressed archive"
export const M_JUNK_END: i32 = 10; // "junk at the end of compressed archive"

// ---- warnings (silent kernel skips, reported to the caller)
export const W_NAME_SIZE: u32 = 1; // namesize 0 or > PATH_MAX: entry skipped
export const W_SYMLINK_SIZE: u32 = 2; // symlink target longer than PATH_MAX: skipped
export const W_DATA_ON_NON_FILE: u32 = 3; // non-regular entry with data: skipped
export const W_CREATE_FAILED: u32 = 4; // the filesystem refused the entry (errno attached)
export const W_UNKNOWN_TYPE: u32 = 5; // no valid type: only removes what was there
export const W_LINK_FAILED: u32 = 6; // hard link could not be made: entry skipped
export const W_NAME_UNTERMINATED: u32 = 7; // name field without NUL (pre-6.14 read past it)

// ---- statuses returned to TypeScript
export const ST_OK: i32 = 0;
export const ST_ERROR: i32 = 1;
export const ST_MEMBER: i32 = 2;

const HDR: u32 = 110;

// states
const Start: i32 = 0;
const Collect: i32 = 1;
const GotHeader: i32 = 2;
const SkipIt: i32 = 3;
const GotName: i32 = 4;
const CopyFile: i32 = 5;
const GotSymlink: i32 = 6;
const Reset: i32 = 7;

let flags: u32 = F_CRC | F_PRESERVE_MTIME;
let state: i32 = Start;
let nextState: i32 = Start;
let thisHeader: u64 = 0;
let nextHeader: u64 = 0;
let victim: usize = 0;
let byteCount: u32 = 0;
let collected: usize = 0;
let collectedLimit: usize = 0; // end of the memory a C string scan may read
let collectPtr: usize = 0;
let remains: u32 = 0;
let xActive: bool = false; // a transparent (chunk-boundary) collect is running
let xNext: i32 = 0;
let logicalEnd: bool = false; // this chunk ends a kernel buffer
let inWrite: bool = false; // plain mode: inside write_buffer across chunks

export let message: i32 = 0;
export let errOffset: u64 = 0;
export let errEntry: u32 = 0;
export let errName: usize = 0;
export let errNameLen: u32 = 0;
/** 0: the name of a file entry, 1: the name of a symlink. */
export let errNameKind: u32 = 0;
export let stopPos: u32 = 0;

let csumPresent: bool = false;
let hdrCsum: u32 = 0;
let ioCsum: u32 = 0;
let ino: u32 = 0;
let major: u32 = 0;
let minor: u32 = 0;
let nlink: u32 = 0;
let mode: u32 = 0;
let uid: u32 = 0;
let gid: u32 = 0;
let mtime: i64 = 0;
let bodyLen: u32 = 0;
let nameLen: u32 = 0;
let rmajor: u32 = 0;
let rminor: u32 = 0;
let wfile: usize = 0;
let wfilePos: u64 = 0;
let savedOffset: u64 = 0;
let entryStart: u64 = 0;
export let entryIndex: u32 = 0;

// buffers (allocated once)
export let inputBuf: usize = 0;
export const INPUT_SIZE: u32 = 1 << 20;
let headerBuf: usize = 0;
let nameBuf: usize = 0;
let symlinkBuf: usize = 0;
const NAME_BUF: u32 = 4352; // >= N_ALIGN(PATH_MAX)
const SYMLINK_BUF: u32 = 8448; // >= PATH_MAX + N_ALIGN(PATH_MAX) + 1

// statistics
export let nFiles: u32 = 0;
export let nDirs: u32 = 0;
export let nSymlinks: u32 = 0;
export let nDevices: u32 = 0;
export let nFifos: u32 = 0;
export let nSockets: u32 = 0;
export let nLinks: u32 = 0;
export let nTrailers: u32 = 0;
export let nSkipped: u32 = 0;
export let bytesWritten: u64 = 0;

// warnings: a ring of the last WARN_CAP, and a total count
const WARN_CAP: u32 = 256;
const WARN_REC: usize = 24;
export let warnBuf: usize = 0;
export let warnCount: u32 = 0;

// hard-link table (the bucket function of the kernel is not observable)
const LINK_BUCKETS: u32 = 4096;
let linkTable: usize = 0;
const L_NEXT: usize = 0;
const L_INO: usize = 4;
const L_MAJOR: usize = 8;
const L_MINOR: usize = 12;
const L_MODE: usize = 16;
const L_LEN: usize = 20;
const L_NAME: usize = 24;

// deferred directory mtimes: (name ptr, name len, mtime) records
let dirList: usize = 0;
let dirCap: u32 = 0;
let dirCount: u32 = 0;

export function cpioInit(profileFlags: u32): i32 {
  flags = profileFlags;
  inputBuf = alloc(INPUT_SIZE);
  headerBuf = alloc(HDR + 2);
  nameBuf = alloc(NAME_BUF);
  symlinkBuf = alloc(SYMLINK_BUF);
  warnBuf = alloc(<usize>WARN_CAP * WARN_REC);
  linkTable = alloc(<usize>LINK_BUCKETS << 2);
  if (inputBuf == 0 || headerBuf == 0 || nameBuf == 0 || symlinkBuf == 0 || warnBuf == 0 || linkTable == 0) {
    return 1;
  }
  memory.fill(nameBuf, 0, NAME_BUF);
  memory.fill(symlinkBuf, 0, SYMLINK_BUF);
  memory.fill(linkTable, 0, <usize>LINK_BUCKETS << 2);
  state = Start;
  nextState = Start;
  return 0;
}

function error(code: i32, at: u64): void {
  if (message != 0) return;
  message = code;
  errOffset = at;
  errEntry = entryIndex;
}

function warn(code: u32, errno: i32): void {
  const r = warnBuf + <usize>(warnCount % WARN_CAP) * WARN_REC;
  store<u32>(r, code);
  store<i32>(r, errno, 4);
  store<u64>(r, entryStart, 8);
  store<u32>(r, entryIndex, 16);
  warnCount++;
}

// @ts-ignore: decorator
@inline function eat(n: u32): void {
  victim += n;
  thisHeader += n;
  byteCount -= n;
}

// @ts-ignore: decorator
@inline function nAlign(n: u32): u32 {
  return ((n + 1) & ~3) + 2;
}

function readInto(buf: usize, size: u32, next: i32): void {
  if (byteCount >= size) {
    collected = victim;
    collectedLimit = victim + byteCount;
    eat(size);
    state = next;
  } else {
    collectPtr = collected = buf;
    collectedLimit = buf + (buf == nameBuf ? NAME_BUF : HDR + 2);
    remains = size;
    state = Collect;
    if (logicalEnd) {
      nextState = next;
      xActive = false;
    } else {
      xActive = true;
      xNext = next;
    }
  }
}

function doStart(): bool {
  entryStart = thisHeader;
  readInto(headerBuf, HDR, GotHeader);
  return false;
}

function doCollect(): bool {
  let n = remains;
  if (byteCount < n) n = byteCount;
  memory.copy(collectPtr, victim, n);
  eat(n);
  collectPtr += n;
  remains -= n;
  if (remains != 0) return true;
  if (xActive) {
    state = xNext;
    xActive = false;
  } else {
    state = nextState;
  }
  return false;
}

// @ts-ignore: decorator
@inline function hexDigit(c: u32): u32 {
  let d = c - 0x30;
  if (d <= 9) return d;
  d = (c | 0x20) - 0x61;
  return d <= 5 ? d + 10 : 0xff;
}

// simple_strtoul(field, NULL, 16) on an 8-character NUL-terminated copy
function parseLegacy(p: usize): u32 {
  let k: usize = 0;
  if (load<u8>(p) == 0x30 && (load<u8>(p + 1) | 0x20) == 0x78) k = 2;
  let v: u32 = 0;
  while (k < 8) {
    const d = hexDigit(load<u8>(p + k));
    if (d == 0xff) break;
    v = (v << 4) | d;
    k++;
  }
  return v;
}

function parseStrict(p: usize): u32 {
  let v: u32 = 0;
  for (let k: usize = 0; k < 8; k++) v = (v << 4) | hexDigit(load<u8>(p + k));
  return v;
}

// the 13 parsed header fields
const fields = memory.data(13 * 4);

function doHeader(): bool {
  const h = collected;
  // "0707" then "01" / "02" / "07"
  if (load<u32>(h) == 0x37303730 && load<u8>(h + 4) == 0x30 && load<u8>(h + 5) == 0x31) {
    csumPresent = false;
  } else if (
    load<u32>(h) == 0x37303730 && load<u8>(h + 4) == 0x30 && load<u8>(h + 5) == 0x32 &&
    (flags & F_CRC) != 0
  ) {
    csumPresent = true;
  } else {
    if (load<u32>(h) == 0x37303730 && load<u8>(h + 4) == 0x30 && load<u8>(h + 5) == 0x37) {
      error(M_ODC, entryStart);
    } else {
      error(M_NO_MAGIC, entryStart);
    }
    return true;
  }
  const f = h + 6;
  const strict = (flags & F_STRICT_HEX) != 0;
  if (strict) {
    let bad: u32 = 0;
    for (let k: usize = 0; k < 104; k++) bad |= u32(hexDigit(load<u8>(f + k)) == 0xff);
    if (bad != 0) {
      error(M_DAMAGED_HEADER, entryStart);
      return true;
    }
  }
  for (let k: usize = 0; k < 13; k++) {
    const p = f + (k << 3);
    store<u32>(fields + (k << 2), strict ? parseStrict(p) : parseLegacy(p));
  }
  ino = load<u32>(fields, 0);
  mode = load<u32>(fields, 4) & 0xffff;
  uid = load<u32>(fields, 8);
  gid = load<u32>(fields, 12);
  nlink = load<u32>(fields, 16);
  mtime = <i64>load<u32>(fields, 20);
  bodyLen = load<u32>(fields, 24);
  major = load<u32>(fields, 28);
  minor = load<u32>(fields, 32);
  rmajor = load<u32>(fields, 36);
  rminor = load<u32>(fields, 40);
  nameLen = load<u32>(fields, 44);
  hdrCsum = load<u32>(fields, 48);
  // new_encode_dev(MKDEV(rmaj, rmin)) keeps 12 major and 20 minor bits of a
  // 32-bit dev_t in which an oversized minor spills into the major
  const dev: u32 = (rmajor << 20) | rminor;
  rmajor = dev >> 20;
  rminor = dev & 0xfffff;
  nextHeader = thisHeader + <u64>nAlign(nameLen) + <u64>bodyLen;
  nextHeader = (nextHeader + 3) & ~(<u64>3);
  state = SkipIt;
  if (nameLen == 0 || nameLen > PATH_MAX) {
    warn(W_NAME_SIZE, 0);
    nSkipped++;
    return false;
  }
  if ((mode & S_IFMT) == S_IFLNK) {
    if (bodyLen > PATH_MAX) {
      warn(W_SYMLINK_SIZE, 0);
      nSkipped++;
      return false;
    }
    collectPtr = collected = symlinkBuf;
    collectedLimit = symlinkBuf + SYMLINK_BUF;
    remains = nAlign(nameLen) + bodyLen;
    nextState = GotSymlink;
    state = Collect;
    return false;
  }
  if ((mode & S_IFMT) == S_IFREG || bodyLen == 0) {
    readInto(nameBuf, nAlign(nameLen), GotName);
  } else {
    warn(W_DATA_ON_NON_FILE, 0);
    nSkipped++;
  }
  return false;
}

function doSkip(): bool {
  if (thisHeader + <u64>byteCount < nextHeader) {
    eat(byteCount);
    return true;
  }
  eat(<u32>(nextHeader - thisHeader));
  state = nextState;
  return false;
}

function doReset(): bool {
  while (byteCount != 0 && load<u8>(victim) == 0) eat(1);
  if (byteCount != 0 && (thisHeader & 3) != 0) error(M_BROKEN_PADDING, thisHeader);
  return true;
}

// strlen of the C string at p, bounded by the memory the kernel could read
function cstrlen(p: usize, limit: usize): u32 {
  let q = p;
  while (q < limit && load<u8>(q) != 0) q++;
  return <u32>(q - p);
}

// ---- hard links (find_link / free_hash)

function linkBucket(): usize {
  let t: u32 = ino + minor + (major << 3);
  t += t >> 5;
  return linkTable + (<usize>(t & (LINK_BUCKETS - 1)) << 2);
}

// Returns the stored record for the current entry, or 0 after adding one.
function findLink(name: usize, len: u32): usize {
  const b = linkBucket();
  let slot = b;
  let r = <usize>load<u32>(slot);
  while (r != 0) {
    if (
      load<u32>(r + L_INO) == ino && load<u32>(r + L_MINOR) == minor &&
      load<u32>(r + L_MAJOR) == major && ((load<u32>(r + L_MODE) ^ mode) & S_IFMT) == 0
    ) return r;
    slot = r + L_NEXT;
    r = <usize>load<u32>(slot);
  }
  const n = alloc(L_NAME + <usize>len);
  if (n == 0) return 0; // the kernel panics here ("can't allocate link hash entry")
  store<u32>(n + L_NEXT, 0);
  store<u32>(n + L_INO, ino);
  store<u32>(n + L_MAJOR, major);
  store<u32>(n + L_MINOR, minor);
  store<u32>(n + L_MODE, mode);
  store<u32>(n + L_LEN, len);
  memory.copy(n + L_NAME, name, len);
  store<u32>(slot, <u32>n);
  return 0;
}

export function freeLinks(): void {
  for (let b: u32 = 0; b < LINK_BUCKETS; b++) {
    const slot = linkTable + (<usize>b << 2);
    let r = <usize>load<u32>(slot);
    while (r != 0) {
      const next = <usize>load<u32>(r + L_NEXT);
      free(r, L_NAME + <usize>load<u32>(r + L_LEN));
      r = next;
    }
    store<u32>(slot, 0);
  }
}

// clean_path(): remove what is at `path` when its type differs from `fmode`
function cleanPath(path: usize, len: u32, fmode: u32): void {
  if (stat(path, len, false) != 0) return;
  const m = load<u32>(inodeOf(wChild) + I_MODE);
  if (((m ^ fmode) & S_IFMT) != 0) {
    if ((m & S_IFMT) == S_IFDIR) rmdir(path, len);
    else unlink(path, len);
  }
}

// maybe_link(): 0 not linked, 1 linked, -1 failed
function maybeLink(name: usize, len: u32): i32 {
  if (nlink >= 2) {
    const r = findLink(name, len);
    if (r != 0) {
      cleanPath(name, len, 0);
      const e = link(r + L_NAME, load<u32>(r + L_LEN), name, len);
      if (e != 0) {
        warn(W_LINK_FAILED, e);
        return -1;
      }
      nLinks++;
      return 1;
    }
  }
  return 0;
}

function dirAdd(name: usize, len: u32, t: i64): void {
  if (dirCount == dirCap) {
    const cap = dirCap == 0 ? 64 : dirCap << 1;
    const list = alloc(<usize>cap << 4);
    if (list == 0) return; // the kernel panics ("can't allocate dir_entry buffer")
    if (dirList != 0) {
      memory.copy(list, dirList, <usize>dirCount << 4);
      free(dirList, <usize>dirCap << 4);
    }
    dirList = list;
    dirCap = cap;
  }
  const copy = alloc(len == 0 ? 1 : len);
  if (copy == 0) return;
  memory.copy(copy, name, len);
  const r = dirList + (<usize>dirCount << 4);
  store<u32>(r, <u32>copy);
  store<u32>(r, len, 4);
  store<i64>(r, t, 8);
  dirCount++;
}

// dir_utime(): most recently added first, so the first entry's mtime wins
function dirUtime(): void {
  let k = dirCount;
  while (k > 0) {
    k--;
    const r = dirList + (<usize>k << 4);
    const p = <usize>load<u32>(r);
    const len = load<u32>(r, 4);
    utime(p, len, load<i64>(r, 8));
    free(p, len == 0 ? 1 : len);
  }
  dirCount = 0;
}

function nameTerminated(): bool {
  return load<u8>(collected + nameLen - 1) == 0;
}

function doName(): bool {
  state = SkipIt;
  nextState = Reset;
  if ((flags & F_NULTERM) != 0 && !nameTerminated()) {
    errName = collected;
    errNameLen = nameLen;
    errNameKind = 0;
    error(M_MALFORMED, entryStart);
    return true;
  }
  if ((flags & F_NULTERM) == 0 && !nameTerminated()) warn(W_NAME_UNTERMINATED, 0);
  const name = collected;
  // Kernels without the NUL check read on past the field; the bytes after it
  // may not have arrived yet, so the scan stops at the field and its padding.
  const len = cstrlen(name, collected + nAlign(nameLen));
  // strcmp(name, "TRAILER!!!") == 0; "TRAILER!" read as a little-endian u64
  if (len == 10 && load<u64>(name) == 0x2152454c49415254 && load<u16>(name + 8) == 0x2121) {
    nTrailers++;
    freeLinks();
    return false;
  }
  cleanPath(name, len, mode);
  const t = mode & S_IFMT;
  if (t == S_IFREG) {
    const ml = maybeLink(name, len);
    if (ml >= 0) {
      const e = openCreate(name, len, mode, ml != 1);
      if (e != 0) {
        warn(W_CREATE_FAILED, e);
        nSkipped++;
        return false;
      }
      wfile = openedInode;
      wfilePos = 0;
      ioCsum = 0;
      copyFailed = false;
      if (uid != 0xffffffff) store<u32>(wfile + I_UID, uid);
      if (gid != 0xffffffff) store<u32>(wfile + I_GID, gid);
      store<u32>(wfile + I_MODE, S_IFREG | (mode & 0o7777));
      if (bodyLen != 0) truncate(wfile, bodyLen);
      if (ml != 1) nFiles++;
      state = CopyFile;
    } else {
      nSkipped++;
    }
  } else if (t == S_IFDIR) {
    const e = mkdir(name, len, mode);
    if (e != 0 && e != EEXIST) warn(W_CREATE_FAILED, e);
    chown(name, len, uid, gid, true);
    chmod(name, len, mode);
    dirAdd(name, len, mtime);
    nDirs++;
  } else if (t == S_IFBLK || t == S_IFCHR || t == S_IFIFO || t == S_IFSOCK) {
    const ml = maybeLink(name, len);
    if (ml == 0) {
      const e = mknod(name, len, mode, rmajor, rminor);
      if (e != 0 && e != EEXIST) warn(W_CREATE_FAILED, e);
      chown(name, len, uid, gid, true);
      chmod(name, len, mode);
      if ((flags & F_PRESERVE_MTIME) != 0) utime(name, len, mtime);
      if (t == S_IFIFO) nFifos++;
      else if (t == S_IFSOCK) nSockets++;
      else nDevices++;
    } else if (ml < 0) {
      nSkipped++;
    }
  } else {
    warn(W_UNKNOWN_TYPE, 0);
    nSkipped++;
  }
  return false;
}

// CopyFile. The kernel writes the whole remaining body with one xwrite when
// its buffer holds it, and stops at the first page it cannot get; the bytes
// after that are never written. A short write at one of *our* chunk ends is
// therefore remembered (copyFailed) and reported where the kernel's buffer
// ends: when the body completes (then the mtime is still set), or at the end
// of a kernel buffer / of the image.
let copyFailed: bool = false;

function copyChunk(n: u32): void {
  if (copyFailed) return;
  const w = write(wfile, wfilePos, victim, n);
  sumInto(victim, w);
  wfilePos += w;
  bytesWritten += w;
  if (w != n) copyFailed = true;
}

function doCopy(): bool {
  if (byteCount >= bodyLen) {
    copyChunk(bodyLen);
    if (copyFailed) error(M_WRITE_ERROR, entryStart);
    copyFailed = false;
    if ((flags & F_PRESERVE_MTIME) != 0) store<i64>(wfile + I_MTIME, mtime);
    closeInode(wfile);
    wfile = 0;
    if (csumPresent && ioCsum != hdrCsum) error(M_BAD_CHECKSUM, entryStart);
    eat(bodyLen);
    state = SkipIt;
    return false;
  }
  copyChunk(byteCount);
  if (copyFailed && logicalEnd) error(M_WRITE_ERROR, entryStart);
  bodyLen -= byteCount;
  eat(byteCount);
  return true;
}

function sumInto(p: usize, n: u32): void {
  if (!csumPresent) return;
  let s = ioCsum;
  for (let k: usize = 0; k < <usize>n; k++) s += load<u8>(p + k);
  ioCsum = s;
}

function doSymlink(): bool {
  if ((flags & F_NULTERM) != 0 && load<u8>(collected + nameLen - 1) != 0) {
    errName = collected;
    errNameLen = nameLen;
    errNameKind = 1;
    error(M_MALFORMED, entryStart);
    return true;
  }
  const target = collected + nAlign(nameLen);
  store<u8>(target + bodyLen, 0);
  const name = collected;
  const len = cstrlen(name, collectedLimit);
  const tlen = cstrlen(target, target + bodyLen);
  cleanPath(name, len, 0);
  const e = symlink(target, tlen, name, len);
  if (e != 0) warn(W_CREATE_FAILED, e);
  else nSymlinks++;
  chown(name, len, uid, gid, false);
  if ((flags & F_PRESERVE_MTIME) != 0) utime(name, len, mtime);
  state = SkipIt;
  nextState = Reset;
  return false;
}

function step(): bool {
  switch (state) {
    case Start:
      return doStart();
    case Collect:
      return doCollect();
    case GotHeader:
      entryIndex++;
      return doHeader();
    case SkipIt:
      return doSkip();
    case GotName:
      return doName();
    case CopyFile:
      return doCopy();
    case GotSymlink:
      return doSymlink();
    default:
      return doReset();
  }
}

function writeBuffer(p: usize, len: u32): u32 {
  byteCount = len;
  victim = p;
  while (!step()) {}
  return len - byteCount;
}

/** unpack_to_rootfs() start: state Start, offset 0, no message. */
export function unpackBegin(t: i64, profileFlags: u32): void {
  setNow(t);
  flags = profileFlags;
  state = Start;
  thisHeader = 0;
  message = 0;
  inWrite = false;
  xActive = false;
  entryIndex = 0;
  errName = 0;
  errNameLen = 0;
}

/**
 * Feeds `len` bytes of the plain (uncompressed) image from the input buffer.
 * Returns ST_OK when all was used, ST_ERROR when a message is set, or
 * ST_MEMBER when a compressed member starts at input offset `stopPos`.
 */
export function feedPlain(len: u32): i32 {
  logicalEnd = false;
  let p = inputBuf;
  let left = len;
  while (left != 0 && message == 0) {
    if (inWrite) {
      const n = writeBuffer(p, left);
      p += n;
      left -= n;
      if (left != 0) inWrite = false;
      continue;
    }
    const c = load<u8>(p);
    if (c == 0x30 && (thisHeader & 3) == 0) {
      state = Start;
      inWrite = true;
      continue;
    }
    if (c == 0) {
      p++;
      left--;
      thisHeader++;
      continue;
    }
    stopPos = <u32>(p - inputBuf);
    return ST_MEMBER;
  }
  return message != 0 ? ST_ERROR : ST_OK;
}

/** The plain loop's offset counter (this_header). */
export function offset(): u64 {
  return thisHeader;
}

/** A compressed member begins: this_header restarts at 0. */
export function memberBegin(): void {
  savedOffset = thisHeader;
  thisHeader = 0;
  inWrite = false;
}

/**
 * flush_buffer(): feeds `len` decompressed bytes from the input buffer;
 * `endOfKernelBuffer` marks the end of one of the kernel's output buffers.
 */
export function feedMember(len: u32, endOfKernelBuffer: bool): i32 {
  if (message != 0) return ST_ERROR;
  let p = inputBuf;
  let left = len;
  while (left != 0 && message == 0) {
    logicalEnd = endOfKernelBuffer;
    const n = writeBuffer(p, left);
    p += n;
    left -= n;
    if (left != 0 && message == 0) {
      const c = load<u8>(p);
      if (c == 0x30) state = Start;
      else if (c == 0) state = Reset;
      else error(M_JUNK_WITHIN, thisHeader);
    }
  }
  logicalEnd = false;
  return message != 0 ? ST_ERROR : ST_OK;
}

/** After a member: the junk check, then this_header = start + consumed. */
export function memberEnd(consumed: u64, checkState: bool): i32 {
  if (checkState && state != Reset) error(M_JUNK_END, savedOffset);
  thisHeader = savedOffset + consumed;
  return message != 0 ? ST_ERROR : ST_OK;
}

/** Records a message raised outside the state machine (decompressors, magic). */
export function setMessage(code: i32, at: u64): void {
  error(code, at);
}


/** End of unpack_to_rootfs(): deferred mtimes, link table, open file. */
export function unpackEnd(): i32 {
  // the image ended inside a body whose write had failed
  if (state == CopyFile && copyFailed) error(M_WRITE_ERROR, entryStart);
  copyFailed = false;
  if (xActive) {
    // the image really ended inside a header or name: from the kernel's view
    // the collect began at its buffer end and set next_state
    nextState = xNext;
    xActive = false;
  }
  if ((flags & F_PRESERVE_MTIME) != 0) dirUtime();
  else dirCount = 0;
  if ((flags & F_FREE_LINKS) != 0) freeLinks();
  return message;
}
