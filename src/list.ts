// Listing: the headers of every archive in an image, as the kernel's member
// walk meets them (NUL padding, several archives, compressed members), without
// building a tree. Used by `ramroot list`.

import { CpioError } from "./errors.ts";
import { decompressMember, detectCompression } from "./decompress.ts";
import { type FileType, typeOf } from "./superblock.ts";

/** One header as stored. */
export interface ListEntry {
  /** Offset of the header (in the image, or in the member's output when `member` is set). */
  offset: number;
  /** Offset of the compressed member holding it, if any. */
  member?: number;
  /** `"newc"` (070701) or `"crc"` (070702). */
  format: "newc" | "crc";
  /** Name (bytes up to the first NUL). */
  nameBytes: Uint8Array;
  /** Name, lossy UTF-8. */
  name: string;
  /** Inode number as stored (`c_ino`). */
  ino: number;
  /** Full mode (`c_mode`, low 16 bits). */
  mode: number;
  /** Type letter. */
  type: FileType;
  /** Owner. */
  uid: number;
  /** Group. */
  gid: number;
  /** Link count as stored. */
  nlink: number;
  /** Modification time (seconds). */
  mtime: number;
  /** Data size (`c_filesize`). */
  size: number;
  /** Major of the containing device (`c_maj`). */
  devMajor: number;
  /** Minor of the containing device (`c_min`). */
  devMinor: number;
  /** Device major (`c_rmaj`). */
  rdevMajor: number;
  /** Device minor (`c_rmin`). */
  rdevMinor: number;
  /** `c_chksum` (crc: sum of the data bytes). */
  checksum: number;
  /** Symlink target, for symlinks. */
  target?: string;
}

const dec = new TextDecoder();

function hexField(b: Uint8Array, p: number): number {
  let v = 0;
  for (let k = 0; k < 8; k++) {
    const c = b[p + k]!;
    let d = c - 0x30;
    if (d > 9) {
      d = (c | 0x20) - 0x57;
      if (d < 10 || d > 15) return -1;
    } else if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * Lists every header of an in-memory image. Stops with {@linkcode CpioError}
 * where the kernel would stop.
 */
export function* listImage(image: Uint8Array, member?: number): Generator<ListEntry> {
  let p = 0;
  while (p < image.length) {
    const c = image[p]!;
    if (c === 0) {
      p++;
      continue;
    }
    if (c === 0x30 && (p & 3) === 0) {
      if (p + 110 > image.length) return; // cut inside a header: the kernel stops silently
      const magic = dec.decode(image.subarray(p, p + 6));
      if (magic !== "070701" && magic !== "070702") {
        throw new CpioError(
          magic === "070707" ? "ODC_FORMAT" : "BAD_MAGIC",
          magic === "070707" ? "incorrect cpio method used: use -H newc option" : "no cpio magic",
          { offset: p, ...(member !== undefined ? { member } : {}) },
        );
      }
      const f: number[] = [];
      for (let k = 0; k < 13; k++) f.push(hexField(image, p + 6 + 8 * k));
      const [ino, mode, uid, gid, nlink, mtime, size, dmaj, dmin, rmaj, rmin, namesize, chk] = f
        .map((v) => Math.max(v, 0)) as [
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
        ];
      const nameStart = p + 110;
      // offsets may pass 2^32: plain arithmetic, not 32-bit operators
      const dataStart = nameStart + Math.floor((namesize + 1) / 4) * 4 + 2;
      const next = Math.ceil((dataStart + size) / 4) * 4;
      let nameEnd = nameStart;
      while (nameEnd < nameStart + namesize && nameEnd < image.length && image[nameEnd] !== 0) {
        nameEnd++;
      }
      const nameBytes = image.slice(nameStart, nameEnd);
      const name = dec.decode(nameBytes);
      if (name === "TRAILER!!!") {
        p = next;
        continue;
      }
      const e: ListEntry = {
        offset: p,
        format: magic === "070702" ? "crc" : "newc",
        nameBytes,
        name,
        ino,
        mode: mode & 0xffff,
        type: typeOf(mode),
        uid,
        gid,
        nlink,
        mtime,
        size,
        devMajor: dmaj,
        devMinor: dmin,
        rdevMajor: rmaj,
        rdevMinor: rmin,
        checksum: chk,
      };
      if (member !== undefined) e.member = member;
      if ((mode & 0o170000) === 0o120000) {
        const t = image.subarray(dataStart, Math.min(dataStart + size, image.length));
        const z = t.indexOf(0);
        e.target = dec.decode(z < 0 ? t : t.subarray(0, z));
      }
      yield e;
      p = next;
      continue;
    }
    if (member !== undefined) {
      throw new CpioError("JUNK_WITHIN", "junk within compressed archive", { offset: p, member });
    }
    const kind = detectCompression(image.subarray(p));
    if (kind === null) {
      throw new CpioError(
        "BAD_COMPRESSION_MAGIC",
        "invalid magic at start of compressed archive",
        { offset: p },
      );
    }
    const out = decompressMember(kind, image.subarray(p));
    if ("error" in out) throw new CpioError("UNSUPPORTED_COMPRESSION", out.error, { offset: p });
    yield* listImage(out.output, p);
    if (out.failed) throw new CpioError("DECOMPRESSOR", out.failed, { offset: p });
    p += out.consumed;
  }
}
