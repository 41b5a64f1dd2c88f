// One tmpfs or ramfs superblock in linear memory: inodes, dentries (name
// inline), a dentry hash, file data in 4 KiB pages, and shmem-style
// accounting. Models mm/shmem.c (tmpfs), fs/ramfs/inode.c, fs/libfs.c
// (simple_* directory operations) and the parts of fs/namei.c that the
// initramfs unpacker reaches through init_mkdir, init_link, filp_open, ...
//
// Handles are pointers: an inode is the address of its record, a dentry the
// address of its record. The layouts below are mirrored in src/_layout.ts.

import { alloc, allocData, allocZero, free, freeData } from "./alloc";

// ---- constants

export const PAGE: u32 = 4096;
export const PATH_MAX: u32 = 4096;
const NAME_MAX: u32 = 255;
const BOGO_DIRENT_SIZE: u64 = 20;
const SHORT_SYMLINK_LEN: u32 = 128;
const MAXSYMLINKS: i32 = 40;

export const S_IFMT: u32 = 0o170000;
export const S_IFSOCK: u32 = 0o140000;
export const S_IFLNK: u32 = 0o120000;
export const S_IFREG: u32 = 0o100000;
export const S_IFBLK: u32 = 0o060000;
export const S_IFDIR: u32 = 0o040000;
export const S_IFCHR: u32 = 0o020000;
export const S_IFIFO: u32 = 0o010000;

// errno values (x86-64 Linux)
export const EPERM: i32 = 1;
export const ENOENT: i32 = 2;
export const ENOMEM: i32 = 12;
export const EBUSY: i32 = 16;
export const EEXIST: i32 = 17;
export const ENOTDIR: i32 = 20;
export const EISDIR: i32 = 21;
export const EINVAL: i32 = 22;
export const ENOSPC: i32 = 28;
export const ENAMETOOLONG: i32 = 36;
export const ENOTEMPTY: i32 = 39;
export const ELOOP: i32 = 40;
/** Not an errno: the walk reached a mounted-on dentry or left the superblock. */
export const EXTERNAL: i32 = 1000;

// ---- inode record (64 bytes)
export const I_MODE: usize = 0; // u32
export const I_UID: usize = 4; // u32
export const I_GID: usize = 8; // u32
export const I_NLINK: usize = 12; // u32
export const I_SIZE: usize = 16; // u64
export const I_MTIME: usize = 24; // i64
export const I_RMAJOR: usize = 32; // u32
export const I_RMINOR: usize = 36; // u32
export const I_A: usize = 40; // file: page table; dir: first child; symlink: target
export const I_B: usize = 44; // file: table capacity (pages); dir: entries; symlink: length
export const I_INO: usize = 48; // u32 display inode number
export const I_BLOCKS: usize = 52; // u32 pages charged
export const I_DENTRY: usize = 56; // dir: its dentry
export const I_OPEN: usize = 60; // u32 open handles (keeps an unlinked inode alive)
const INODE_SIZE: usize = 64;

// ---- dentry record (32 bytes + name)
export const D_PARENT: usize = 0;
export const D_INODE: usize = 4;
export const D_HASH: usize = 8;
export const D_HNEXT: usize = 12;
export const D_NEXT: usize = 16; // sibling list, newest first
export const D_PREV: usize = 20;
export const D_NAMELEN: usize = 24; // u16 length
export const D_FLAGS: usize = 26; // u16
export const D_REF: usize = 28; // u32 references (dget/dput)
export const D_NAME: usize = 32; // the name, or with DF_EXTNAME: u32 name address, u32 record size
export const DF_MOUNTED: u16 = 1;
/** Removed while referenced: out of the hash and its directory, freed by the last dput(). */
export const DF_DEAD: u16 = 2;
/** The name lives in a block of its own (a rename gave a name of another size class). */
export const DF_EXTNAME: u16 = 4;

// ---- superblock state

/** 0 = tmpfs, 1 = ramfs. */
export let fsKind: i32 = 0;
/** Page limit (tmpfs `size=`); 0 = unlimited. */
export let maxBlocks: u64 = 0;
/** Inode limit (tmpfs `nr_inodes=`); 0 = unlimited. */
export let maxInodes: u64 = 0;
export let usedBlocks: u64 = 0;
export let usedInodes: u64 = 0;
/** Current time (seconds) for every change that takes "now". */
export let now: i64 = 0;
export let rootDentry: usize = 0;
let nextIno: u32 = 1;

let hashTable: usize = 0;
let hashMask: u32 = 0;
let hashCount: u32 = 0;

// ---- walk base (dentry-level operations of the mount layer)

/** When not 0, relative paths start at this dentry instead of the root. */
let base: usize = 0;
/** Mounted-on dentries are plain dentries: no EXTERNAL, no EBUSY. */
let raw: bool = false;

/** Sets the walk base (0 restores walks from the root) and the raw mode. */
export function setBase(d: usize, r: bool): void {
  base = d;
  raw = r;
}

/** Replaces the limits (remount); the caller validates them. */
export function setLimits(blocks: u64, inodes: u64): void {
  maxBlocks = blocks;
  maxInodes = inodes;
}

// ---- results of the last walk

export let wParent: usize = 0; // dentry of the directory holding the last component
export let wChild: usize = 0; // dentry found for the last component, or 0
export let wName: usize = 0; // last component
export let wNameLen: u32 = 0;
export let wType: i32 = 0; // 0 normal, 1 ".", 2 "..", 3 root
export let wTrailing: bool = false;

// The last resolved directory part of a path (see walk()).
const DIR_CACHE: u32 = 4096;
const cacheBytes = memory.data(<i32>DIR_CACHE);
let cacheLen: u32 = 0;
let cacheDentry: usize = 0;
let cacheLinks: i32 = 0;
let cacheGen: u32 = 0;
/** Bumped by every change that can alter how a path resolves (removal, mounts). */
let generation: u32 = 1;

// Scratch for symlink expansion: the remaining path is always a suffix.
const SCRATCH_SIZE: usize = 256 * 1024;
let scratch: usize = 0;

// @ts-ignore: decorator
@inline export function inodeOf(d: usize): usize {
  return <usize>load<u32>(d + D_INODE);
}
// @ts-ignore: decorator
@inline export function modeOf(i: usize): u32 {
  return load<u32>(i + I_MODE);
}
// @ts-ignore: decorator
@inline function isDir(i: usize): bool {
  return (load<u32>(i + I_MODE) & S_IFMT) == S_IFDIR;
}
// @ts-ignore: decorator
@inline function isLnk(i: usize): bool {
  return (load<u32>(i + I_MODE) & S_IFMT) == S_IFLNK;
}

/** Initializes an empty superblock whose root has `rootMode` and owner. */
export function fsInit(kind: i32, blocks: u64, inodes: u64, rootMode: u32, uid: u32, gid: u32, t: i64): i32 {
  fsKind = kind;
  maxBlocks = blocks;
  maxInodes = inodes;
  usedBlocks = 0;
  usedInodes = 0;
  now = t;
  nextIno = 1;
  scratch = alloc(SCRATCH_SIZE);
  hashMask = 1023;
  hashCount = 0;
  hashTable = allocZero((<usize>hashMask + 1) << 2);
  if (scratch == 0 || hashTable == 0) return ENOMEM;
  const i = newInode(S_IFDIR | (rootMode & 0o7777), uid, gid);
  if (i == 0) return ENOSPC;
  const d = allocZero(D_NAME);
  store<u32>(d + D_PARENT, <u32>d);
  store<u32>(d + D_INODE, <u32>i);
  store<u32>(i + I_DENTRY, <u32>d);
  rootDentry = d;
  return 0;
}

export function setNow(t: i64): void {
  now = t;
}

// ---- inodes

function chargeInode(): bool {
  if (maxInodes != 0 && usedInodes >= maxInodes) return false;
  usedInodes++;
  return true;
}

function newInode(mode: u32, uid: u32, gid: u32): usize {
  if (fsKind == 0 && !chargeInode()) return 0;
  if (fsKind != 0) usedInodes++;
  const i = allocZero(INODE_SIZE);
  if (i == 0) {
    usedInodes--;
    return 0;
  }
  store<u32>(i + I_MODE, mode);
  store<u32>(i + I_UID, uid);
  store<u32>(i + I_GID, gid);
  const dir = (mode & S_IFMT) == S_IFDIR;
  store<u32>(i + I_NLINK, dir ? 2 : 1);
  if (dir && fsKind == 0) store<u64>(i + I_SIZE, 2 * BOGO_DIRENT_SIZE);
  store<i64>(i + I_MTIME, now);
  store<u32>(i + I_INO, nextIno++);
  return i;
}

// File data has two forms. Extent: one contiguous block (I_A, I_B = its
// capacity in bytes) whose charged pages are always the prefix [0, I_BLOCKS):
// what unpacking and sequential writes produce, with no memory lost to page
// rounding. Paged (F_PAGED): a table of 4 KiB pages (I_A, I_B = slots) for
// files with holes or writes past the extent. Charging is the same for both.
export const I_FFLAGS: usize = 56; // regular files: F_PAGED
export const F_PAGED: u32 = 1;

// @ts-ignore: decorator
@inline function paged(i: usize): bool {
  return (load<u32>(i + I_FFLAGS) & F_PAGED) != 0;
}

function uncharge(i: usize, pages: u32): void {
  store<u32>(i + I_BLOCKS, load<u32>(i + I_BLOCKS) - pages);
  usedBlocks -= pages;
}

function freePages(i: usize, fromPage: u32): void {
  if (!paged(i)) {
    const charged = load<u32>(i + I_BLOCKS);
    if (charged > fromPage) uncharge(i, charged - fromPage);
    return;
  }
  const table = <usize>load<u32>(i + I_A);
  const cap = load<u32>(i + I_B);
  if (table == 0) return;
  let released: u32 = 0;
  for (let p = fromPage; p < cap; p++) {
    const pg = <usize>load<u32>(table + (<usize>p << 2));
    if (pg != 0) {
      free(pg, PAGE);
      store<u32>(table + (<usize>p << 2), 0);
      released++;
    }
  }
  uncharge(i, released);
}

function freeFileData(i: usize): void {
  freePages(i, 0);
  const ptr = <usize>load<u32>(i + I_A);
  if (ptr == 0) return;
  if (paged(i)) free(ptr, <usize>load<u32>(i + I_B) << 2);
  else freeData(ptr, <usize>load<u32>(i + I_B));
  store<u32>(i + I_A, 0);
  store<u32>(i + I_B, 0);
}

function evict(i: usize): void {
  const t = modeOf(i) & S_IFMT;
  if (t == S_IFREG) {
    freeFileData(i);
  } else if (t == S_IFLNK) {
    const len = load<u32>(i + I_B);
    free(<usize>load<u32>(i + I_A), <usize>len + 1);
    usedBlocks -= load<u32>(i + I_BLOCKS);
  }
  usedInodes--;
  free(i, INODE_SIZE);
}

/** Drops one link from a non-directory inode (unlink). */
function dropLink(i: usize): void {
  const n = load<u32>(i + I_NLINK);
  // shmem charges every extra link against nr_inodes (shmem_link/shmem_unlink)
  if (n > 1 && fsKind == 0) usedInodes--;
  if (fsKind != 0 && n > 1) usedInodes--;
  store<u32>(i + I_NLINK, n - 1);
  if (n == 1 && load<u32>(i + I_OPEN) == 0) evict(i);
}

export function openInode(i: usize): void {
  store<u32>(i + I_OPEN, load<u32>(i + I_OPEN) + 1);
}

export function closeInode(i: usize): void {
  const n = load<u32>(i + I_OPEN) - 1;
  store<u32>(i + I_OPEN, n);
  if (n == 0 && load<u32>(i + I_NLINK) == 0) evict(i);
}

// ---- dentries and the hash

function hashName(parent: usize, name: usize, len: u32): u32 {
  let h: u32 = 2166136261 ^ <u32>parent;
  for (let k: usize = 0; k < <usize>len; k++) {
    h = (h ^ load<u8>(name + k)) * 16777619;
  }
  return h ^ (h >> 15);
}

function rehash(): bool {
  const newMask = (hashMask << 1) | 1;
  const table = allocZero((<usize>newMask + 1) << 2);
  if (table == 0) return false;
  for (let b: u32 = 0; b <= hashMask; b++) {
    let d = <usize>load<u32>(hashTable + (<usize>b << 2));
    while (d != 0) {
      const next = <usize>load<u32>(d + D_HNEXT);
      const slot = table + (<usize>(load<u32>(d + D_HASH) & newMask) << 2);
      store<u32>(d + D_HNEXT, load<u32>(slot));
      store<u32>(slot, <u32>d);
      d = next;
    }
  }
  free(hashTable, (<usize>hashMask + 1) << 2);
  hashTable = table;
  hashMask = newMask;
  return true;
}

/** Finds the child `name` of directory dentry `parent`, or 0. */
export function lookup(parent: usize, name: usize, len: u32): usize {
  const h = hashName(parent, name, len);
  let d = <usize>load<u32>(hashTable + (<usize>(h & hashMask) << 2));
  while (d != 0) {
    if (
      load<u32>(d + D_HASH) == h && <usize>load<u32>(d + D_PARENT) == parent &&
      <u32>load<u16>(d + D_NAMELEN) == len && memory.compare(nameOf(d), name, len) == 0
    ) return d;
    d = <usize>load<u32>(d + D_HNEXT);
  }
  return 0;
}

function dentrySize(len: u32): usize {
  return D_NAME + <usize>len;
}

// @ts-ignore: decorator
@inline function flagsOf(d: usize): u16 {
  return load<u16>(d + D_FLAGS);
}

/** Address of the name bytes of dentry `d`. */
export function nameOf(d: usize): usize {
  return (flagsOf(d) & DF_EXTNAME) != 0 ? <usize>load<u32>(d + D_NAME) : d + D_NAME;
}

// The size class of alloc.ts (power of two, at least 16 bytes).
function sizeClass(size: usize): i32 {
  if (size <= 16) return 4;
  return 32 - clz<u32>(<u32>(size - 1));
}

/** Size the record of `d` was allocated with. */
function recordSize(d: usize): usize {
  if ((flagsOf(d) & DF_EXTNAME) != 0) return <usize>load<u32>(d + D_NAME + 4);
  return dentrySize(<u32>load<u16>(d + D_NAMELEN));
}

function freeDentry(d: usize): void {
  if ((flagsOf(d) & DF_EXTNAME) != 0) {
    free(<usize>load<u32>(d + D_NAME), <usize>load<u16>(d + D_NAMELEN));
  }
  free(d, recordSize(d));
}

function hashInsert(d: usize): void {
  const slot = hashTable + (<usize>(load<u32>(d + D_HASH) & hashMask) << 2);
  store<u32>(d + D_HNEXT, load<u32>(slot));
  store<u32>(slot, <u32>d);
  hashCount++;
}

function hashDelete(d: usize): void {
  const h = load<u32>(d + D_HASH);
  let slot = hashTable + (<usize>(h & hashMask) << 2);
  while (<usize>load<u32>(slot) != d) slot = <usize>load<u32>(slot) + D_HNEXT;
  store<u32>(slot, load<u32>(d + D_HNEXT));
  hashCount--;
}

// Sibling list: newest first, as dcache_readdir shows new entries; the
// directory's entry count, tmpfs BOGO size and mtime follow.
function listInsert(d: usize, parent: usize): void {
  const pi = inodeOf(parent);
  const first = <usize>load<u32>(pi + I_A);
  store<u32>(d + D_NEXT, <u32>first);
  store<u32>(d + D_PREV, 0);
  if (first != 0) store<u32>(first + D_PREV, <u32>d);
  store<u32>(pi + I_A, <u32>d);
  store<u32>(pi + I_B, load<u32>(pi + I_B) + 1);
  if (fsKind == 0) store<u64>(pi + I_SIZE, load<u64>(pi + I_SIZE) + BOGO_DIRENT_SIZE);
  store<i64>(pi + I_MTIME, now);
}

function listDelete(d: usize): void {
  const pi = inodeOf(<usize>load<u32>(d + D_PARENT));
  const next = <usize>load<u32>(d + D_NEXT);
  const prev = <usize>load<u32>(d + D_PREV);
  if (prev != 0) store<u32>(prev + D_NEXT, <u32>next);
  else store<u32>(pi + I_A, <u32>next);
  if (next != 0) store<u32>(next + D_PREV, <u32>prev);
  store<u32>(pi + I_B, load<u32>(pi + I_B) - 1);
  if (fsKind == 0) store<u64>(pi + I_SIZE, load<u64>(pi + I_SIZE) - BOGO_DIRENT_SIZE);
  store<i64>(pi + I_MTIME, now);
}

/** Links a new dentry for inode `i` under `parent`; 0 when out of memory. */
function dAdd(parent: usize, name: usize, len: u32, i: usize): usize {
  if (hashCount >= (hashMask >> 1) + (hashMask >> 2)) rehash();
  const d = alloc(dentrySize(len));
  if (d == 0) return 0;
  store<u32>(d + D_PARENT, <u32>parent);
  store<u32>(d + D_INODE, <u32>i);
  store<u32>(d + D_HASH, hashName(parent, name, len));
  store<u16>(d + D_NAMELEN, <u16>len);
  store<u16>(d + D_FLAGS, 0);
  store<u32>(d + D_REF, 0);
  memory.copy(d + D_NAME, name, len);
  hashInsert(d);
  listInsert(d, parent);
  return d;
}

/**
 * Takes `d` out of the hash and its directory. A referenced dentry is kept
 * (DF_DEAD, pinning its parent, as the dcache's d_parent reference) and true
 * is returned: the caller then keeps its inode alive until the last dput().
 */
function dRemove(d: usize): bool {
  generation++;
  hashDelete(d);
  listDelete(d);
  if (load<u32>(d + D_REF) != 0) {
    store<u16>(d + D_FLAGS, flagsOf(d) | DF_DEAD);
    dget(<usize>load<u32>(d + D_PARENT));
    return true;
  }
  freeDentry(d);
  return false;
}

/** Takes a reference on dentry `d`. */
export function dget(d: usize): void {
  store<u32>(d + D_REF, load<u32>(d + D_REF) + 1);
}

/**
 * Drops a reference. The last one of a dead dentry frees it, releases its
 * inode (evicted when no link and no open handle is left) and drops the
 * reference it held on its parent. EINVAL when `d` held no reference.
 */
export function dput(d: usize): i32 {
  while (true) {
    const n = load<u32>(d + D_REF);
    if (n == 0) return EINVAL;
    store<u32>(d + D_REF, n - 1);
    if (n != 1 || (flagsOf(d) & DF_DEAD) == 0) return 0;
    const parent = <usize>load<u32>(d + D_PARENT);
    const i = inodeOf(d);
    freeDentry(d);
    closeInode(i);
    d = parent;
  }
}

/** Whether `d` was removed while referenced. */
export function dDead(d: usize): bool {
  return (flagsOf(d) & DF_DEAD) != 0;
}

export function setMounted(d: usize, on: bool): void {
  generation++;
  const f = flagsOf(d);
  store<u16>(d + D_FLAGS, on ? f | DF_MOUNTED : f & ~DF_MOUNTED);
}

// ---- path walk (fs/namei.c, reduced to one superblock rooted at `/`)

/** Walk flags. */
export const FOLLOW: i32 = 1;

/**
 * Resolves `path` from the root. On success the last component is described
 * by wParent/wName/wType/wTrailing and wChild (0 when it does not exist).
 * Intermediate symlinks are always followed; the last one only with FOLLOW
 * or a trailing slash. Returns 0 or an errno.
 */
export function walk(path: usize, len: u32, flags: i32): i32 {
  if (len == 0) return ENOENT;
  if (<usize>len > SCRATCH_SIZE) return ENAMETOOLONG;
  const end = scratch + SCRATCH_SIZE;
  let pos = end - <usize>len;
  memory.copy(pos, path, len);
  let cur = rootDentry;
  if (base != 0 && load<u8>(pos) != 0x2f) {
    // a deleted directory has no entries and takes no new ones (IS_DEADDIR)
    if ((flagsOf(base) & DF_DEAD) != 0) return ENOENT;
    if (!isDir(inodeOf(base))) return ENOTDIR;
    cur = base;
  }
  let links: i32 = 0;
  // The directory part of the path ("a/b/" of "a/b/c"): when it is the one
  // the previous walk resolved and nothing was removed since, start there.
  // Archives list a directory's entries together, so most walks are one lookup.
  let dirLen: u32 = 0;
  if (load<u8>(end - 1) != 0x2f) {
    let k = len;
    while (k > 0 && load<u8>(path + k - 1) != 0x2f) k--;
    dirLen = k;
  }
  let recordAt: usize = 0; // where the last component starts, while not yet expanded
  // (walks from a base are neither served nor recorded: the cache keys on the bytes)
  if (base == 0 && dirLen != 0 && dirLen <= DIR_CACHE) {
    recordAt = pos + dirLen;
    if (
      dirLen == cacheLen && cacheGen == generation &&
      memory.compare(path, cacheBytes, dirLen) == 0
    ) {
      cur = cacheDentry;
      links = cacheLinks;
      pos = recordAt;
      recordAt = 0;
    }
  }
  while (true) {
    if (load<u8>(pos) == 0x2f) {
      cur = rootDentry;
      while (pos < end && load<u8>(pos) == 0x2f) pos++;
    }
    if (pos == end) {
      // only slashes: LAST_ROOT
      wParent = cur;
      wChild = cur;
      wName = pos;
      wNameLen = 0;
      wType = 3;
      wTrailing = false;
      return 0;
    }
    // next component [s, e)
    const s = pos;
    let e = s;
    while (e < end && load<u8>(e) != 0x2f) e++;
    let after = e;
    while (after < end && load<u8>(after) == 0x2f) after++;
    const n = <u32>(e - s);
    const isDot = n == 1 && load<u8>(s) == 0x2e;
    const isDotDot = n == 2 && load<u16>(s) == 0x2e2e;
    if (after == end) {
      // last component
      if (s == recordAt) {
        memory.copy(cacheBytes, path, dirLen);
        cacheLen = dirLen;
        cacheDentry = cur;
        cacheLinks = links;
        cacheGen = generation;
      }
      recordAt = 0;
      wParent = cur;
      wName = s;
      wNameLen = n;
      wTrailing = e != end;
      if (isDot) {
        wType = 1;
        wChild = cur;
        return 0;
      }
      if (isDotDot) {
        wType = 2;
        wChild = <usize>load<u32>(cur + D_PARENT);
        return 0;
      }
      wType = 0;
      if (n > NAME_MAX) return ENAMETOOLONG;
      const c = lookup(cur, s, n);
      wChild = c;
      if (c != 0 && isLnk(inodeOf(c)) && ((flags & FOLLOW) != 0 || wTrailing)) {
        if (++links > MAXSYMLINKS) return ELOOP;
        const r = expand(c, e);
        if (r < 0) return <i32>-r;
        pos = <usize>r;
        continue;
      }
      if (c != 0 && !raw && (flagsOf(c) & DF_MOUNTED) != 0) return EXTERNAL;
      return 0;
    }
    // intermediate component
    pos = after;
    if (isDot) continue;
    if (isDotDot) {
      cur = <usize>load<u32>(cur + D_PARENT);
      continue;
    }
    if (n > NAME_MAX) return ENAMETOOLONG;
    const c = lookup(cur, s, n);
    if (c == 0) return ENOENT;
    if (!raw && (flagsOf(c) & DF_MOUNTED) != 0) return EXTERNAL;
    const ci = inodeOf(c);
    if (isDir(ci)) {
      cur = c;
      continue;
    }
    if (isLnk(ci)) {
      if (++links > MAXSYMLINKS) return ELOOP;
      const r = expand(c, e);
      if (r < 0) return <i32>-r;
      pos = <usize>r;
      continue;
    }
    return ENOTDIR;
  }
}

// Prepends the target of symlink dentry `c` before `restStart` (which holds
// "/rest" or is the end); returns the new position or -errno.
function expand(c: usize, restStart: usize): isize {
  const i = inodeOf(c);
  const t = <usize>load<u32>(i + I_A);
  const tl = <usize>load<u32>(i + I_B);
  if (tl == 0) return -ENOENT;
  if (restStart - scratch < tl) return -ENAMETOOLONG;
  const p = restStart - tl;
  memory.copy(p, t, tl);
  // a relative target resolves in the symlink's directory: `cur` is kept by
  // the caller because we only rewrite the remaining path
  return <isize>p;
}

// ---- operations used by the unpacker and the TypeScript API
// Each returns 0 or an errno and leaves the affected dentry in wChild.

/** stat/lstat: resolves to wChild. */
export function stat(path: usize, len: u32, follow: bool): i32 {
  const r = walk(path, len, follow ? FOLLOW : 0);
  if (r != 0) return r;
  if (wChild == 0) return ENOENT;
  if (wTrailing && !isDir(inodeOf(wChild))) return ENOTDIR;
  return 0;
}

// filename_create(): the parent must exist, the last component must be a
// normal name that does not exist yet.
function prepareCreate(path: usize, len: u32, isDirectory: bool): i32 {
  const r = walk(path, len, 0);
  if (r != 0) return r;
  if (wType != 0) return EEXIST;
  if (wChild != 0) return EEXIST;
  if (wTrailing && !isDirectory) return ENOENT;
  return 0;
}

export function mkdir(path: usize, len: u32, mode: u32): i32 {
  const r = prepareCreate(path, len, true);
  if (r != 0) return r;
  const i = newInode(S_IFDIR | (mode & 0o7777 & ~0o022), 0, 0);
  if (i == 0) return ENOSPC;
  const d = dAdd(wParent, wName, wNameLen, i);
  if (d == 0) {
    evict(i);
    return ENOMEM;
  }
  store<u32>(i + I_DENTRY, <u32>d);
  const pi = inodeOf(wParent);
  store<u32>(pi + I_NLINK, load<u32>(pi + I_NLINK) + 1);
  wChild = d;
  return 0;
}

export function mknod(path: usize, len: u32, mode: u32, major: u32, minor: u32): i32 {
  const r = prepareCreate(path, len, false);
  if (r != 0) return r;
  const t = mode & S_IFMT;
  if (t != S_IFCHR && t != S_IFBLK && t != S_IFIFO && t != S_IFSOCK && t != S_IFREG && t != 0) {
    return EINVAL;
  }
  const i = newInode((t == 0 ? S_IFREG : t) | (mode & 0o7777 & ~0o022), 0, 0);
  if (i == 0) return ENOSPC;
  if (t == S_IFCHR || t == S_IFBLK) {
    store<u32>(i + I_RMAJOR, major);
    store<u32>(i + I_RMINOR, minor);
  }
  const d = dAdd(wParent, wName, wNameLen, i);
  if (d == 0) {
    evict(i);
    return ENOMEM;
  }
  wChild = d;
  return 0;
}

/**
 * symlink() as the kernel's init_symlink() does it: getname_kernel() takes an
 * empty target (symlink(2) from user space refuses it; see the TS wrapper).
 */
export function symlink(target: usize, tlen: u32, path: usize, len: u32): i32 {
  if (tlen + 1 > PATH_MAX) return ENAMETOOLONG;
  const r = prepareCreate(path, len, false);
  if (r != 0) return r;
  const i = newInode(S_IFLNK | 0o777, 0, 0);
  if (i == 0) return ENOSPC;
  if (fsKind == 0 && tlen + 1 > SHORT_SYMLINK_LEN) {
    // a long tmpfs symlink lives in a page of its own
    if (maxBlocks != 0 && usedBlocks >= maxBlocks) {
      evict(i);
      return ENOSPC;
    }
    usedBlocks++;
    store<u32>(i + I_BLOCKS, 1);
  } else if (fsKind != 0) {
    store<u32>(i + I_BLOCKS, 0);
  }
  const t = alloc(<usize>tlen + 1);
  if (t == 0) {
    evict(i);
    return ENOMEM;
  }
  memory.copy(t, target, tlen);
  store<u8>(t + tlen, 0);
  store<u32>(i + I_A, <u32>t);
  store<u32>(i + I_B, tlen);
  store<u64>(i + I_SIZE, tlen);
  const d = dAdd(wParent, wName, wNameLen, i);
  if (d == 0) {
    evict(i);
    return ENOMEM;
  }
  wChild = d;
  return 0;
}

/** link(2): `old` is not followed. */
export function link(old: usize, olen: u32, path: usize, len: u32): i32 {
  const r = walk(old, olen, 0);
  if (r != 0) return r;
  if (wChild == 0) return ENOENT;
  if (wTrailing && !isDir(inodeOf(wChild))) return ENOTDIR;
  return linkDentry(wChild, path, len);
}

/** link(2) of the inode of dentry `c` to `path`. */
export function linkDentry(c: usize, path: usize, len: u32): i32 {
  const i = inodeOf(c);
  if (isDir(i)) return EPERM;
  const r = prepareCreate(path, len, false);
  if (r != 0) return r;
  if (load<u32>(i + I_NLINK) == 0) return ENOENT;
  if (fsKind == 0) {
    if (!chargeInode()) return ENOSPC;
  } else {
    usedInodes++;
  }
  const d = dAdd(wParent, wName, wNameLen, i);
  if (d == 0) {
    usedInodes--;
    return ENOMEM;
  }
  store<u32>(i + I_NLINK, load<u32>(i + I_NLINK) + 1);
  wChild = d;
  return 0;
}

export function unlink(path: usize, len: u32): i32 {
  const r = walk(path, len, 0);
  if (r != 0) return r;
  if (wType != 0) return EISDIR;
  const c = wChild;
  if (wTrailing) {
    if (c == 0) return ENOENT;
    return isDir(inodeOf(c)) ? EISDIR : ENOTDIR;
  }
  if (c == 0) return ENOENT;
  const i = inodeOf(c);
  if (isDir(i)) return EISDIR;
  if (!raw && (flagsOf(c) & DF_MOUNTED) != 0) return EBUSY;
  // a held dentry keeps its inode as an open handle would
  if (dRemove(c)) openInode(i);
  dropLink(i);
  wChild = 0;
  return 0;
}

export function rmdir(path: usize, len: u32): i32 {
  const r = walk(path, len, 0);
  if (r != 0) return r;
  if (wType == 1) return EINVAL;
  if (wType == 2) return ENOTEMPTY;
  if (wType == 3) return EBUSY;
  const c = wChild;
  if (c == 0) return ENOENT;
  const i = inodeOf(c);
  if (!isDir(i)) return ENOTDIR;
  if (!raw && (flagsOf(c) & DF_MOUNTED) != 0) return EBUSY;
  if (load<u32>(i + I_B) != 0) return ENOTEMPTY;
  removeDir(c);
  wChild = 0;
  return 0;
}

// Removes the (empty) directory dentry `c` as rmdir does.
function removeDir(c: usize): void {
  const i = inodeOf(c);
  const pi = inodeOf(<usize>load<u32>(c + D_PARENT));
  const held = dRemove(c);
  store<u32>(pi + I_NLINK, load<u32>(pi + I_NLINK) - 1);
  store<u32>(i + I_NLINK, 0);
  if (held) openInode(i);
  else evict(i);
}

// Whether dentry `a` is `d` or one of its ancestors.
function isAncestor(a: usize, d: usize): bool {
  while (true) {
    if (d == a) return true;
    const p = <usize>load<u32>(d + D_PARENT);
    if (p == d) return false;
    d = p;
  }
}

/** rename(2) (flags 0) within this superblock; both paths from the walk base. */
export function rename(oldPath: usize, olen: u32, newPath: usize, nlen: u32): i32 {
  return renameAt(base, oldPath, olen, base, newPath, nlen);
}

/**
 * rename(2) with the old path relative to dentry `ob` and the new one
 * relative to `nb` (0: the root). The moved dentry keeps its address, as
 * d_move() keeps the dentry: references and mounts on it stay valid.
 */
export function renameAt(
  ob: usize,
  oldPath: usize,
  olen: u32,
  nb: usize,
  newPath: usize,
  nlen: u32,
): i32 {
  const saved = base;
  base = ob;
  let r = walk(oldPath, olen, 0);
  base = saved;
  if (r != 0) return r;
  if (wType != 0) return EBUSY;
  const src = wChild;
  if (src == 0) return ENOENT;
  const oldParent = wParent;
  const si = inodeOf(src);
  const srcDir = isDir(si);
  if (wTrailing && !srcDir) return ENOTDIR;
  base = nb;
  r = walk(newPath, nlen, 0);
  base = saved;
  if (r != 0) return r;
  if (wType != 0) return EBUSY;
  if (wTrailing && !srcDir) return ENOTDIR;
  const newParent = wParent;
  const tgt = wChild;
  const name = wName;
  const len = wNameLen;
  // lock_rename()'s traps: a directory cannot move below itself, and the
  // target cannot be an ancestor of the source
  if (isAncestor(src, newParent)) return EINVAL;
  if (tgt != 0 && isAncestor(tgt, oldParent)) return ENOTEMPTY;
  if (tgt != 0) {
    const ti = inodeOf(tgt);
    if (ti == si) return 0;
    const tgtDir = isDir(ti);
    if (srcDir && !tgtDir) return ENOTDIR;
    if (!srcDir && tgtDir) return EISDIR;
    if (!raw && ((flagsOf(src) | flagsOf(tgt)) & DF_MOUNTED) != 0) return EBUSY;
    if (tgtDir && load<u32>(ti + I_B) != 0) return ENOTEMPTY;
  }
  // where the new name goes: inline while it stays in the record's size class
  const recSize = recordSize(src);
  const inline = sizeClass(dentrySize(len)) == sizeClass(recSize);
  let ext: usize = 0;
  if (!inline) {
    ext = alloc(<usize>len);
    if (ext == 0) return ENOMEM;
  }
  generation++;
  if (tgt != 0) {
    const ti = inodeOf(tgt);
    if (isDir(ti)) {
      removeDir(tgt);
    } else {
      if (dRemove(tgt)) openInode(ti);
      dropLink(ti);
    }
  }
  hashDelete(src);
  listDelete(src);
  const oldLen = <usize>load<u16>(src + D_NAMELEN);
  const flags = flagsOf(src);
  if ((flags & DF_EXTNAME) != 0) free(<usize>load<u32>(src + D_NAME), oldLen);
  if (inline) {
    memory.copy(src + D_NAME, name, len);
    store<u16>(src + D_FLAGS, flags & ~DF_EXTNAME);
  } else {
    memory.copy(ext, name, len);
    store<u32>(src + D_NAME, <u32>ext);
    store<u32>(src + D_NAME + 4, <u32>recSize);
    store<u16>(src + D_FLAGS, flags | DF_EXTNAME);
  }
  store<u16>(src + D_NAMELEN, <u16>len);
  store<u32>(src + D_PARENT, <u32>newParent);
  store<u32>(src + D_HASH, hashName(newParent, name, len));
  hashInsert(src);
  listInsert(src, newParent);
  if (srcDir) {
    const opi = inodeOf(oldParent);
    const npi = inodeOf(newParent);
    store<u32>(opi + I_NLINK, load<u32>(opi + I_NLINK) - 1);
    store<u32>(npi + I_NLINK, load<u32>(npi + I_NLINK) + 1);
  }
  wChild = src;
  return 0;
}

/**
 * open(path, O_WRONLY|O_CREAT[|O_TRUNC], mode): returns 0 with the inode in
 * `openedInode` (its open count raised), or an errno.
 */
export let openedInode: usize = 0;
export function openCreate(path: usize, len: u32, mode: u32, trunc: bool): i32 {
  const r = walk(path, len, FOLLOW);
  if (r != 0) return r;
  if (wType != 0) return EISDIR;
  let c = wChild;
  if (c == 0) {
    if (wTrailing) return EISDIR;
    const i = newInode(S_IFREG | (mode & 0o7777 & ~0o022), 0, 0);
    if (i == 0) return ENOSPC;
    c = dAdd(wParent, wName, wNameLen, i);
    if (c == 0) {
      evict(i);
      return ENOMEM;
    }
    wChild = c;
  }
  const i = inodeOf(c);
  const t = modeOf(i) & S_IFMT;
  if (t == S_IFDIR) return EISDIR;
  if (t != S_IFREG) return EPERM; // devices and fifos are never opened by the model
  if (trunc && load<u64>(i + I_SIZE) != 0) truncate(i, 0);
  openInode(i);
  openedInode = i;
  return 0;
}

/** chown(2) (follow) or lchown; 0xffffffff leaves an id unchanged. */
export function chown(path: usize, len: u32, uid: u32, gid: u32, follow: bool): i32 {
  const r = stat(path, len, follow);
  if (r != 0) return r;
  const i = inodeOf(wChild);
  if (uid != 0xffffffff) store<u32>(i + I_UID, uid);
  if (gid != 0xffffffff) store<u32>(i + I_GID, gid);
  return 0;
}

export function chmod(path: usize, len: u32, mode: u32): i32 {
  const r = stat(path, len, true);
  if (r != 0) return r;
  const i = inodeOf(wChild);
  store<u32>(i + I_MODE, (modeOf(i) & S_IFMT) | (mode & 0o7777));
  return 0;
}

/** utimes without following the last symlink. */
export function utime(path: usize, len: u32, t: i64): i32 {
  const r = stat(path, len, false);
  if (r != 0) return r;
  store<i64>(inodeOf(wChild) + I_MTIME, t);
  return 0;
}

// ---- file data

function ensureTable(i: usize, pages: u32): bool {
  const cap = load<u32>(i + I_B);
  if (pages <= cap) return true;
  let n: u32 = cap < 4 ? 4 : cap;
  while (n < pages) n = n > 0x3fffffff ? pages : n << 1;
  const t = allocZero(<usize>n << 2);
  if (t == 0) return false;
  const old = <usize>load<u32>(i + I_A);
  if (old != 0) {
    memory.copy(t, old, <usize>cap << 2);
    free(old, <usize>cap << 2);
  }
  store<u32>(i + I_A, <u32>t);
  store<u32>(i + I_B, n);
  return true;
}

// Moves an extent into pages (the pages stay charged as they were).
function toPaged(i: usize): bool {
  const ext = <usize>load<u32>(i + I_A);
  const extCap = <usize>load<u32>(i + I_B);
  const charged = load<u32>(i + I_BLOCKS);
  const slots: u32 = charged < 4 ? 4 : charged;
  const t = allocZero(<usize>slots << 2);
  if (t == 0) return false;
  for (let p: u32 = 0; p < charged; p++) {
    const pg = alloc(PAGE);
    if (pg == 0) {
      for (let q: u32 = 0; q < p; q++) free(<usize>load<u32>(t + (<usize>q << 2)), PAGE);
      free(t, <usize>slots << 2);
      return false;
    }
    const off = <usize>p << 12;
    const n = off < extCap ? (extCap - off < PAGE ? extCap - off : PAGE) : 0;
    if (n != 0) memory.copy(pg, ext + off, n);
    if (n != PAGE) memory.fill(pg + n, 0, PAGE - n);
    store<u32>(t + (<usize>p << 2), <u32>pg);
  }
  if (ext != 0) freeData(ext, extCap);
  store<u32>(i + I_A, <u32>t);
  store<u32>(i + I_B, slots);
  store<u32>(i + I_FFLAGS, load<u32>(i + I_FFLAGS) | F_PAGED);
  return true;
}

/**
 * Sets the size of a regular file; pages past the end are released. Growing
 * an empty file reserves an extent of that size (the unpacker pre-sizes every
 * file before writing it), without charging anything.
 */
export function truncate(i: usize, size: u64): i32 {
  const old = load<u64>(i + I_SIZE);
  if (size < old) {
    const keep = <u32>((size + PAGE - 1) >> 12);
    freePages(i, keep);
    const tail = <u32>(size & (PAGE - 1));
    if (tail != 0 && load<u32>(i + I_BLOCKS) >= keep) {
      if (paged(i)) {
        const table = <usize>load<u32>(i + I_A);
        if (table != 0 && keep - 1 < load<u32>(i + I_B)) {
          const pg = <usize>load<u32>(table + (<usize>(keep - 1) << 2));
          if (pg != 0) memory.fill(pg + tail, 0, PAGE - tail);
        }
      } else {
        const cap = <u64>load<u32>(i + I_B);
        const pageEnd = <u64>keep << 12;
        const stop = pageEnd < cap ? pageEnd : cap;
        if (size < stop) memory.fill(<usize>load<u32>(i + I_A) + <usize>size, 0, <usize>(stop - size));
      }
    }
  } else if (size > old && !paged(i) && load<u32>(i + I_A) == 0 && size <= 0xffffffff) {
    // reserve no more than a tmpfs could still hold: a header may claim far
    // more than the archive carries (the kernel's truncate is sparse)
    let want = size;
    if (maxBlocks != 0) {
      const room = maxBlocks > usedBlocks ? (maxBlocks - usedBlocks) << 12 : 0;
      if (want > room) want = room;
    }
    const ext = want != 0 ? allocData(<usize>want) : 0;
    if (ext != 0) {
      store<u32>(i + I_A, <u32>ext);
      store<u32>(i + I_B, <u32>want);
    }
  }
  store<u64>(i + I_SIZE, size);
  store<i64>(i + I_MTIME, now);
  return 0;
}

/** The errno of the last short write (ENOSPC or ENOMEM). */
export let writeErr: i32 = 0;

/**
 * Writes `len` bytes at `pos`; returns how many were written before a page
 * could not be charged (the generic_perform_write loop of shmem stops at the
 * first page it cannot get).
 */
export function write(i: usize, pos: u64, src: usize, len: u32): u32 {
  writeErr = 0;
  if (len == 0) return 0;
  if (pos + <u64>len > 0xffffffff) {
    writeErr = ENOSPC;
    return 0;
  }
  const end = pos + <u64>len;
  if (!paged(i)) {
    const charged = load<u32>(i + I_BLOCKS);
    const firstPage = <u32>(pos >> 12);
    if (load<u32>(i + I_A) == 0 && charged == 0 && pos == 0) {
      // first write into a file that was never pre-sized
      const ext = allocData(<usize>len);
      if (ext != 0) {
        store<u32>(i + I_A, <u32>ext);
        store<u32>(i + I_B, len);
      }
    }
    if (end <= <u64>load<u32>(i + I_B) && firstPage <= charged) {
      return writeExtent(i, pos, src, len);
    }
    if (!toPaged(i)) {
      writeErr = ENOMEM;
      return 0;
    }
  }
  return writePaged(i, pos, src, len);
}

function writeExtent(i: usize, pos: u64, src: usize, len: u32): u32 {
  const ext = <usize>load<u32>(i + I_A);
  const cap = <u64>load<u32>(i + I_B);
  let end = pos + <u64>len;
  const charged = load<u32>(i + I_BLOCKS);
  const lastPage = <u32>((end - 1) >> 12);
  if (lastPage >= charged) {
    let want = lastPage + 1 - charged;
    if (maxBlocks != 0 && usedBlocks + <u64>want > maxBlocks) {
      want = maxBlocks > usedBlocks ? <u32>(maxBlocks - usedBlocks) : 0;
      writeErr = ENOSPC;
      const limit = <u64>(charged + want) << 12;
      if (limit <= pos) return 0;
      end = limit;
    }
    // newly charged pages read as zeros where this write does not cover them
    const newStart = <u64>charged << 12;
    if (newStart < pos) memory.fill(ext + <usize>newStart, 0, <usize>(pos - newStart));
    const newEnd = <u64>(charged + want) << 12;
    const fillEnd = newEnd < cap ? newEnd : cap;
    if (end < fillEnd) memory.fill(ext + <usize>end, 0, <usize>(fillEnd - end));
    usedBlocks += want;
    store<u32>(i + I_BLOCKS, charged + want);
  }
  const n = <u32>(end - pos);
  memory.copy(ext + <usize>pos, src, n);
  if (end > load<u64>(i + I_SIZE)) store<u64>(i + I_SIZE, end);
  store<i64>(i + I_MTIME, now);
  return n;
}

function writePaged(i: usize, pos: u64, src: usize, len: u32): u32 {
  const lastPage = <u32>((pos + <u64>len - 1) >> 12);
  if (!ensureTable(i, lastPage + 1)) {
    writeErr = ENOMEM;
    return 0;
  }
  const table = <usize>load<u32>(i + I_A);
  let done: u32 = 0;
  let p = pos;
  while (done < len) {
    const pi = <u32>(p >> 12);
    const off = <u32>(p & (PAGE - 1));
    let n = PAGE - off;
    if (n > len - done) n = len - done;
    const slot = table + (<usize>pi << 2);
    let pg = <usize>load<u32>(slot);
    if (pg == 0) {
      if (maxBlocks != 0 && usedBlocks >= maxBlocks) {
        writeErr = ENOSPC;
        break;
      }
      pg = alloc(PAGE);
      if (pg == 0) {
        writeErr = ENOMEM;
        break;
      }
      if (n != PAGE) memory.fill(pg, 0, PAGE);
      store<u32>(slot, <u32>pg);
      usedBlocks++;
      store<u32>(i + I_BLOCKS, load<u32>(i + I_BLOCKS) + 1);
    }
    memory.copy(pg + off, src + done, n);
    done += n;
    p += n;
  }
  if (done != 0) {
    const end = pos + <u64>done;
    if (end > load<u64>(i + I_SIZE)) store<u64>(i + I_SIZE, end);
    store<i64>(i + I_MTIME, now);
  }
  return done;
}
