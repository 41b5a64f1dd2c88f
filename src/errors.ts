// Typed errors: FsError for simulated syscalls (errno), CpioError for
// archives the kernel's unpacker rejects (its message, the byte offset).

/** Linux errno values (x86-64) that the model can return. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENOSPC: 28,
  EROFS: 30,
  EMLINK: 31,
  ENAMETOOLONG: 36,
  ENOTEMPTY: 39,
  ELOOP: 40,
} as const;

/** An errno name, e.g. `"ENOENT"`. */
export type Errno = keyof typeof ERRNO;

const DESCRIPTIONS: Record<Errno, string> = {
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  EIO: "input/output error",
  EBADF: "bad file descriptor",
  EAGAIN: "resource temporarily unavailable",
  ENOMEM: "cannot allocate memory",
  EBUSY: "device or resource busy",
  EEXIST: "file exists",
  EXDEV: "invalid cross-device link",
  ENODEV: "no such device",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  EINVAL: "invalid argument",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
  EMLINK: "too many links",
  ENAMETOOLONG: "file name too long",
  ENOTEMPTY: "directory not empty",
  ELOOP: "too many levels of symbolic links",
};

/** The errno name for a number, or `"EIO"` for one the model does not use. */
export function errnoName(n: number): Errno {
  for (const [name, value] of Object.entries(ERRNO)) {
    if (value === n) return name as Errno;
  }
  return "EIO";
}

/** Details of an {@linkcode FsError}. */
export interface FsErrorOptions {
  /** The simulated system call, e.g. `"mkdir"`. */
  syscall: string;
  /** The path it was given. */
  path?: string;
  /** The rule that failed, when it helps. */
  reason?: string;
}

/**
 * A simulated system call failed with an errno, as the kernel would fail it.
 * Match on `code`; the message may change.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FsError, Tmpfs } from "@ramroot/ramroot";
 * const fs = new Tmpfs();
 * assert.throws(() => fs.stat("/missing"), (e) => e instanceof FsError && e.code === "ENOENT");
 * ```
 */
export class FsError extends Error {
  /** The errno name. */
  readonly code: Errno;
  /** The errno number (x86-64). */
  readonly errno: number;
  /** The simulated system call. */
  readonly syscall: string;
  /** The path, when there was one. */
  readonly path: string | undefined;
  /** The rule that failed, when known. */
  readonly reason: string | undefined;

  /** Creates an error for `code` raised by `options.syscall`. */
  constructor(code: Errno, options: FsErrorOptions) {
    const where = options.path === undefined ? "" : ` '${options.path}'`;
    const why = options.reason === undefined ? "" : `: ${options.reason}`;
    super(`${code}: ${DESCRIPTIONS[code]}, ${options.syscall}${where}${why}`);
    this.name = "FsError";
    this.code = code;
    this.errno = ERRNO[code];
    this.syscall = options.syscall;
    this.path = options.path;
    this.reason = options.reason;
  }
}

/** Codes of {@linkcode CpioError}, one per kernel message. */
export const CPIO_CODES = {
  BAD_MAGIC: "no cpio magic",
  ODC_FORMAT: "incorrect cpio method used: use -H newc option",
  BAD_HEX: "damaged header",
  MALFORMED: "malformed archive",
  BAD_CHECKSUM: "bad data checksum",
  WRITE_ERROR: "write error",
  BAD_PADDING: "broken padding",
  JUNK_WITHIN: "junk within compressed archive",
  BAD_COMPRESSION_MAGIC: "invalid magic at start of compressed archive",
  JUNK_AFTER_MEMBER: "junk at the end of compressed archive",
  DECOMPRESSOR: "decompressor failed",
  UNSUPPORTED_COMPRESSION: "compression method not configured",
} as const;

/** A {@linkcode CpioError} code. */
export type CpioErrorCode = keyof typeof CPIO_CODES;

/** The entry an error or warning belongs to. */
export interface EntryRef {
  /** 1-based index of the header in the unpack call. */
  index: number;
  /** The entry's name, when it was read. */
  name?: string;
}

/** Details of a {@linkcode CpioError}. */
export interface CpioErrorOptions {
  /** Byte offset: in the image, or in the decompressed member when `member` is set. */
  offset: number;
  /** Offset of the compressed member in the image, when inside one. */
  member?: number;
  /** The entry. */
  entry?: EntryRef;
}

/**
 * The kernel's unpacker stopped with a message. `kernelMessage` is the exact
 * text the kernel logs after `Initramfs unpacking failed: `; everything
 * unpacked before the error stays, as in the kernel.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CpioError, Tmpfs, unpack } from "@ramroot/ramroot";
 * const odc = new TextEncoder().encode("070707" + "0".repeat(120));
 * await assert.rejects(unpack(new Tmpfs(), odc), (e) => e instanceof CpioError && e.code === "ODC_FORMAT");
 * ```
 */
export class CpioError extends SyntaxError {
  /** Error code. */
  readonly code: CpioErrorCode;
  /** The kernel's message, verbatim. */
  readonly kernelMessage: string;
  /** Byte offset of the header, byte or member that failed. */
  readonly offset: number;
  /** Offset of the compressed member, when the error is inside one. */
  readonly member: number | undefined;
  /** The entry, when one was being processed. */
  readonly entry: EntryRef | undefined;

  /** Creates an error for the kernel message `kernelMessage`. */
  constructor(code: CpioErrorCode, kernelMessage: string, options: CpioErrorOptions) {
    const at = options.member === undefined
      ? `offset ${options.offset}`
      : `offset ${options.offset} of the member at ${options.member}`;
    const name = options.entry?.name === undefined ? "" : ` (entry "${options.entry.name}")`;
    super(`Cannot unpack cpio at ${at}${name}: ${kernelMessage}`);
    this.name = "CpioError";
    this.code = code;
    this.kernelMessage = kernelMessage;
    this.offset = options.offset;
    this.member = options.member;
    this.entry = options.entry;
  }
}
