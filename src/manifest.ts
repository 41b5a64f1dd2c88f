// The kernel oracle's report format (shared oracle FORMAT.md §1): one line per
// path, sorted bytewise, 13 TAB-separated columns, so that ramroot's tree and
// the real kernel's are compared with diff.

import type { Superblock, WalkEntry } from "./superblock.ts";

/** Options of {@linkcode manifest}. */
export interface ManifestOptions {
  /** Hash regular files with SHA-256; `false` writes `-`. @default {true} */
  hash?: boolean;
}

const ascii = new TextDecoder("latin1");

/** Escapes a path or target: bytes < 0x20, 0x7f–0xff and `\` as `\xHH`. */
export function escapeBytes(bytes: Uint8Array): string {
  let plain = true;
  for (let k = 0; k < bytes.length; k++) {
    const b = bytes[k]!;
    if (b < 0x20 || b >= 0x7f || b === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return ascii.decode(bytes);
  let s = "";
  for (const b of bytes) {
    s += b < 0x20 || b >= 0x7f || b === 0x5c
      ? "\\x" + b.toString(16).padStart(2, "0")
      : String.fromCharCode(b);
  }
  return s;
}

function hex(buf: ArrayBuffer): string {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The manifest of a filesystem: the oracle's path lines, without header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { manifest, Tmpfs } from "@ramroot/ramroot";
 * const fs = new Tmpfs({ now: 1600000000 });
 * fs.mkdir("/etc");
 * const lines = (await manifest(fs)).trimEnd().split("\n");
 * assert.equal(lines[1], "/etc\td\t0755\t0\t0\t2\t40\t1600000000\t-\t2\t-\t-\t-");
 * ```
 */
export async function manifest(fs: Superblock, options: ManifestOptions = {}): Promise<string> {
  const hash = options.hash ?? true;
  const entries: (WalkEntry & { escaped: string; inode: number })[] = [];
  for (const e of fs.walk("/")) {
    entries.push({ ...e, escaped: escapeBytes(e.pathBytes), inode: e.stat.ino });
  }
  // link groups: non-directories with nlink > 1 seen under several paths
  const byIno = new Map<number, string[]>();
  for (const e of entries) {
    if (e.stat.type !== "d" && e.stat.nlink > 1) {
      const list = byIno.get(e.inode) ?? [];
      list.push(e.escaped);
      byIno.set(e.inode, list);
    }
  }
  const leader = new Map<number, string>();
  for (const [ino, paths] of byIno) {
    if (paths.length > 1) leader.set(ino, paths.reduce((a, b) => (cmp(a, b) <= 0 ? a : b)));
  }
  entries.sort((a, b) => cmp(a.escaped, b.escaped));
  const hashes = new Map<number, string>();
  const lines: string[] = [];
  for (const e of entries) {
    const s = e.stat;
    let sha = "-";
    let target = "-";
    if (s.type === "f" && hash) {
      sha = hashes.get(e.inode) ?? "";
      if (sha === "") {
        const data = fs.readFile(e.pathBytes) as Uint8Array<ArrayBuffer>;
        sha = hex(await crypto.subtle.digest("SHA-256", data));
        hashes.set(e.inode, sha);
      }
    } else if (s.type === "l") {
      target = escapeBytes(fs.readlinkBytes(e.pathBytes));
    }
    lines.push(
      [
        e.escaped,
        s.type,
        (s.mode & 0o7777).toString(8).padStart(4, "0"),
        s.uid,
        s.gid,
        s.nlink,
        s.size,
        s.mtime,
        s.rdev ? `${s.rdev.major}:${s.rdev.minor}` : "-",
        s.ino,
        leader.get(e.inode) ?? "-",
        target,
        sha,
      ].join("\t"),
    );
  }
  return lines.join("\n") + "\n";
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
