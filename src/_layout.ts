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
  /** u32 open handles (and references of removed dentries). */
  OPEN: 60,
  /** Regular files: bit 0 = data kept in a page table (else one extent). */
  FFLAGS: 56,
} as const;

/** Dentry record fields (byte offsets). */
export const D = {
  PARENT: 0,
  INODE: 4,
  HASH: 8,
  HNEXT: 12,
  NEXT: 16,
  PREV: 20,
  /** u16 name length. */
  NAMELEN: 24,
  /** u16 flags (DF). */
  FLAGS: 26,
  /** u32 references (dget/dput). */
  REF: 28,
  /** The name inline, or with DF.EXTNAME: u32 address of the name, u32 record size. */
  NAME: 32,
} as const;

/** Dentry flags (D.FLAGS). */
export const DF = {
  /** Something is mounted on it. */
  MOUNTED: 1,
  /** Removed while referenced; freed by the last dput. */
  DEAD: 2,
  /** The name is stored out of line. */
  EXTNAME: 4,
} as const;
