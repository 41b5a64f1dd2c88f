// Exports of one ramroot superblock instance: the filesystem (fs.ts) and the
// initramfs unpacker (cpio.ts) that writes into it. Plain numbers only.

import { arenaInit } from "./alloc";
import * as fs from "./fs";
import * as cpio from "./cpio";

/** Sets up the arena, the superblock and the unpacker; 0 on success. */
export function init(
  kind: i32,
  maxBlocks: u64,
  maxInodes: u64,
  rootMode: u32,
  uid: u32,
  gid: u32,
  now: i64,
  profileFlags: u32,
): i32 {
  arenaInit(__heap_base);
  const r = fs.fsInit(kind, maxBlocks, maxInodes, rootMode, uid, gid, now);
  if (r != 0) return r;
  return cpio.cpioInit(profileFlags);
}

// ---- buffers
export function inputBuffer(): usize {
  return cpio.inputBuf;
}
export function inputSize(): u32 {
  return cpio.INPUT_SIZE;
}

// ---- filesystem
export function rootDentry(): usize {
  return fs.rootDentry;
}
export function setNow(t: i64): void {
  fs.setNow(t);
}
export function walk(path: usize, len: u32, follow: bool): i32 {
  return fs.stat(path, len, follow);
}
export function walkChild(): usize {
  return fs.wChild;
}
export function mkdir(path: usize, len: u32, mode: u32): i32 {
  return fs.mkdir(path, len, mode);
}
export function mknod(path: usize, len: u32, mode: u32, major: u32, minor: u32): i32 {
  return fs.mknod(path, len, mode, major, minor);
}
export function symlink(target: usize, tlen: u32, path: usize, len: u32): i32 {
  return fs.symlink(target, tlen, path, len);
}
export function link(old: usize, olen: u32, path: usize, len: u32): i32 {
  return fs.link(old, olen, path, len);
}
export function unlink(path: usize, len: u32): i32 {
  return fs.unlink(path, len);
}
export function rmdir(path: usize, len: u32): i32 {
  return fs.rmdir(path, len);
}
export function chown(path: usize, len: u32, uid: u32, gid: u32, follow: bool): i32 {
  return fs.chown(path, len, uid, gid, follow);
}
export function chmod(path: usize, len: u32, mode: u32): i32 {
  return fs.chmod(path, len, mode);
}
export function utime(path: usize, len: u32, t: i64): i32 {
  return fs.utime(path, len, t);
}
/** Opens (creating, optionally truncating); the inode is in openedInode(). */
export function openCreate(path: usize, len: u32, mode: u32, trunc: bool): i32 {
  return fs.openCreate(path, len, mode, trunc);
}
export function openedInode(): usize {
  return fs.openedInode;
}
export function closeInode(i: usize): void {
  fs.closeInode(i);
}
export function write(i: usize, pos: u64, src: usize, len: u32): u32 {
  return fs.write(i, pos, src, len);
}
export function writeErr(): i32 {
  return fs.writeErr;
}
export function truncate(i: usize, size: u64): i32 {
  return fs.truncate(i, size);
}
export function setMounted(d: usize, on: bool): void {
  fs.setMounted(d, on);
}

// ---- dentry-level access (the mount layer)
/** Relative paths start at dentry `d` (0: the root); `raw` ignores mount flags. */
export function setBase(d: usize, raw: bool): void {
  fs.setBase(d, raw);
}
export function lookup(parent: usize, name: usize, len: u32): usize {
  return fs.lookup(parent, name, len);
}
export function dget(d: usize): void {
  fs.dget(d);
}
export function dput(d: usize): i32 {
  return fs.dput(d);
}
export function dDead(d: usize): bool {
  return fs.dDead(d);
}
export function dName(d: usize): usize {
  return fs.nameOf(d);
}
export function rename(oldPath: usize, olen: u32, newPath: usize, nlen: u32): i32 {
  return fs.rename(oldPath, olen, newPath, nlen);
}
export function renameAt(
  ob: usize,
  oldPath: usize,
  olen: u32,
  nb: usize,
  newPath: usize,
  nlen: u32,
): i32 {
  return fs.renameAt(ob, oldPath, olen, nb, newPath, nlen);
}
export function linkDentry(d: usize, path: usize, len: u32): i32 {
  return fs.linkDentry(d, path, len);
}
export function openInode(i: usize): void {
  fs.openInode(i);
}
export function setLimits(maxBlocks: u64, maxInodes: u64): void {
  fs.setLimits(maxBlocks, maxInodes);
}
export function usedBlocks(): u64 {
  return fs.usedBlocks;
}
export function usedInodes(): u64 {
  return fs.usedInodes;
}

// ---- unpacker
export function unpackBegin(now: i64, profileFlags: u32): void {
  cpio.unpackBegin(now, profileFlags);
}
export function feedPlain(len: u32): i32 {
  return cpio.feedPlain(len);
}
export function stopPos(): u32 {
  return cpio.stopPos;
}
export function offset(): u64 {
  return cpio.offset();
}
export function memberBegin(): void {
  cpio.memberBegin();
}
export function feedMember(len: u32, endOfKernelBuffer: bool): i32 {
  return cpio.feedMember(len, endOfKernelBuffer);
}
export function memberEnd(consumed: u64, checkState: bool): i32 {
  return cpio.memberEnd(consumed, checkState);
}
export function setMessage(code: i32, at: u64): void {
  cpio.setMessage(code, at);
}
export function unpackEnd(): i32 {
  return cpio.unpackEnd();
}
export function message(): i32 {
  return cpio.message;
}
export function errOffset(): u64 {
  return cpio.errOffset;
}
export function errEntry(): u32 {
  return cpio.errEntry;
}
export function errName(): usize {
  return cpio.errName;
}
export function errNameKind(): u32 {
  return cpio.errNameKind;
}
export function errNameLen(): u32 {
  return cpio.errNameLen;
}
export function entryIndex(): u32 {
  return cpio.entryIndex;
}
export function warnBuffer(): usize {
  return cpio.warnBuf;
}
export function warnCount(): u32 {
  return cpio.warnCount;
}
/** Counters: 0 files, 1 dirs, 2 symlinks, 3 devices, 4 fifos, 5 sockets,
 * 6 hard links, 7 trailers, 8 skipped. */
export function count(k: i32): u32 {
  switch (k) {
    case 0: return cpio.nFiles;
    case 1: return cpio.nDirs;
    case 2: return cpio.nSymlinks;
    case 3: return cpio.nDevices;
    case 4: return cpio.nFifos;
    case 5: return cpio.nSockets;
    case 6: return cpio.nLinks;
    case 7: return cpio.nTrailers;
    default: return cpio.nSkipped;
  }
}
export function bytesWritten(): u64 {
  return cpio.bytesWritten;
}
