// Record layouts of wasm/assembly/fs.ts (keep in step with it).

/** Inode record fields (byte offsets). */
export const I = {
  MODE: 0,
  UID: 4,
  GID: 8,
  NLINK: 12,
  SIZE: 16,
  MTIME: 24,
  RMAJOR: 32,
  RMINOR: 36,
  A: 40,
  B: 44,
  INO: 48,
  BLOCKS: 52,
  DENTRY: 56,
  /** Regular files: bit 0 = data kept in a page table (else one extent). */
  FFLAGS: 56,
} as const;

/** Dentry record fields (byte offsets). */
export const D = {
  PARENT: 0,
  INODE: 4,
  NEXT: 16,
  NAMELEN: 24,
  NAME: 32,
} as const;
