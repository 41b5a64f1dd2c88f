// parse -> write -> parse (u-root's FuzzReadWriteNewc, on trees): unpack an
// archive, write the tree back with writeCpio() from walk(), unpack that, and
// the two trees are identical; writing the second tree gives the same bytes.

import assert from "node:assert/strict";
import {
  type CpioEntry,
  manifest,
  populateRootfs,
  sampleImage,
  type Superblock,
  Tmpfs,
  unpack,
  writeCpio,
  type WriteOptions,
} from "../mod.ts";
import { Prng } from "./_util/prng.ts";

const NOW = 1700000000;
const S_IFMT = 0o170000;

/**
 * The tree as archive entries: `/` as `.`, parents before children, inode
 * numbers renumbered in walk order, a hard-linked file's data on its first name.
 */
function treeEntries(fs: Superblock): CpioEntry[] {
  const inos = new Map<number, number>();
  const out: CpioEntry[] = [];
  for (const { pathBytes, stat } of fs.walk("/")) {
    const first = !inos.has(stat.ino);
    if (first) inos.set(stat.ino, inos.size + 1);
    const name = pathBytes.length === 1 ? "." : pathBytes.subarray(1);
    const e: CpioEntry = {
      name,
      mode: stat.mode,
      uid: stat.uid,
      gid: stat.gid,
      mtime: stat.mtime,
      nlink: stat.nlink,
      ino: inos.get(stat.ino)!,
    };
    if (stat.rdev) {
      e.rdevMajor = stat.rdev.major;
      e.rdevMinor = stat.rdev.minor;
    }
    if (stat.type === "f" && first) e.data = fs.readFile(pathBytes);
    if (stat.type === "l") e.data = fs.readlinkBytes(pathBytes);
    out.push(e);
  }
  return out;
}

/** The manifest without the run-specific inode column. */
async function tree(fs: Superblock): Promise<string> {
  return (await manifest(fs)).split("\n").map((line) =>
    line.split("\t").filter((_, k) => k !== 9).join("\t")
  ).join("\n");
}

async function unpackNew(image: Uint8Array): Promise<Tmpfs> {
  const fs = new Tmpfs({ now: NOW });
  await unpack(fs, image, { profile: "linux-7.0", now: NOW + 1000 });
  return fs;
}

/** Asserts the round trip for a tree; returns how many entries it had. */
async function assertRoundTrip(fs1: Superblock, options: WriteOptions = {}): Promise<number> {
  const entries = treeEntries(fs1);
  const written = writeCpio(entries, options);
  const fs2 = await unpackNew(written);
  assert.equal(await tree(fs2), await tree(fs1));
  assert.deepEqual(writeCpio(treeEntries(fs2), options), written, "written twice, same bytes");
  return entries.length;
}

// ---- random trees

const ALPHABET = [..."abcdefghijklmnopqrstuvwxyzABCXYZ0123456789._- ~+@"];

function randomName(p: Prng): Uint8Array {
  const n = p.chance(0.05) ? 255 : p.range(1, 24);
  const out = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    out[k] = p.chance(0.05) ? p.range(0x80, 0xff) : ALPHABET[p.int(ALPHABET.length)]!.charCodeAt(0);
  }
  const s = new TextDecoder().decode(out);
  return s === "." || s === ".." ? new TextEncoder().encode("dot" + s) : out;
}

function join(dir: Uint8Array, name: Uint8Array): Uint8Array {
  if (dir.length === 0) return name;
  const out = new Uint8Array(dir.length + 1 + name.length);
  out.set(dir);
  out[dir.length] = 0x2f;
  out.set(name, dir.length + 1);
  return out;
}

/** An archive of a random tree: every type, hard links, odd ids, modes and times. */
function randomArchive(seed: number): Uint8Array {
  const p = new Prng(seed);
  const dirs: Uint8Array[] = [new Uint8Array(0)];
  const files: CpioEntry[] = [];
  const entries: CpioEntry[] = [];
  const common = (): Pick<CpioEntry, "uid" | "gid" | "mtime"> => ({
    uid: p.chance(0.7) ? 0 : p.u32(),
    gid: p.chance(0.7) ? 0 : p.u32(),
    mtime: p.chance(0.1) ? p.pick([0, 0x7fffffff, 0x80000000, 0xffffffff]) : p.u32(),
  });
  if (p.chance(0.7)) entries.push({ name: ".", mode: 0o40000 | p.int(0o10000), ...common() });
  let ino = 1;
  const count = p.range(5, 80);
  for (let k = 0; k < count; k++) {
    const name = join(p.pick(dirs), randomName(p));
    const perm = p.chance(0.8) ? p.pick([0o755, 0o644, 0o600, 0o700]) : p.int(0o10000);
    const kind = p.int(100);
    if (kind < 25) {
      dirs.push(name);
      entries.push({ name, mode: 0o40000 | perm, nlink: 2, ...common() });
    } else if (kind < 60) {
      const size = p.chance(0.1) ? p.range(4096, 70000) : p.int(300);
      const e = { name, mode: 0o100000 | perm, ino: ino++, data: p.bytes(size), ...common() };
      files.push(e);
      entries.push(e);
    } else if (kind < 70 && files.length > 0) {
      // another name for an earlier file: nlink >= 2 on both, data on one
      const f = p.pick(files);
      f.nlink = (f.nlink ?? 1) + 1;
      entries.push({ ...f, name, nlink: f.nlink, data: new Uint8Array(0) });
    } else if (kind < 80) {
      const target = p.chance(0.05) ? new Uint8Array(0) : randomName(p);
      entries.push({ name, mode: 0o120777, data: target, ...common() });
    } else {
      const type = p.pick([0o020000, 0o060000, 0o010000, 0o140000]);
      const dev = type === 0o020000 || type === 0o060000;
      entries.push({
        name,
        mode: type | perm,
        ino: ino++,
        ...(dev ? { rdevMajor: p.int(4096), rdevMinor: p.int(1 << 20) } : {}),
        ...common(),
      });
    }
  }
  // the link count of the group, on every name of it
  const nlinks = new Map<number, number>();
  for (const e of entries) if (e.ino !== undefined) nlinks.set(e.ino, e.nlink ?? 1);
  for (const e of entries) {
    if (e.ino !== undefined && (e.mode & S_IFMT) === 0o100000) e.nlink = nlinks.get(e.ino)!;
  }
  return writeCpio(entries, { format: p.chance(0.3) ? "crc" : "newc" });
}

Deno.test("writeCpio(walk()) round-trips fixed trees through unpack()", async (t) => {
  const table = [
    { name: "the built-in sample image", input: () => unpackNew(sampleImage()) },
    {
      name: "the built-in rootfs of linux-6.1",
      input: async () => (await populateRootfs([], { bootTime: NOW })).fs,
    },
    {
      name: "a hand-made tree with every file type",
      input: () => {
        const fs = new Tmpfs({ now: NOW });
        fs.mkdir("/d", 0o700);
        fs.writeFile("/d/f", new TextEncoder().encode("data"), 0o4755);
        fs.link("/d/f", "/g");
        fs.symlink("d/f", "/l");
        fs.mknod("/c", 0o20600, 5, 1);
        fs.mknod("/b", 0o60660, 259, 1048575);
        fs.mknod("/p", 0o10644);
        fs.mknod("/s", 0o140755);
        fs.link("/p", "/p2");
        fs.chown("/d", 4294967294, 2147483648);
        fs.utime("/d", 4294967295);
        return Promise.resolve(fs);
      },
    },
  ];
  for (const { name, input } of table) {
    await t.step(name, async () => {
      const fs = await input();
      assert.ok(await assertRoundTrip(fs) > 1);
      await assertRoundTrip(fs, { format: "crc", upperHex: false, padTo: 4 });
    });
  }
});

Deno.test("writeCpio(walk()) round-trips seeded random trees through unpack()", async () => {
  let entries = 0;
  const seen = new Set<string>();
  for (let seed = 1; seed <= 60; seed++) {
    try {
      const fs1 = await unpackNew(randomArchive(seed));
      for (const { stat } of fs1.walk()) {
        seen.add(stat.type === "f" && stat.nlink > 1 ? "hardlink" : stat.type);
      }
      entries += await assertRoundTrip(fs1);
    } catch (e) {
      throw new Error(`round trip failed for seed ${seed}: ${(e as Error).message}`, { cause: e });
    }
  }
  assert.ok(entries > 1000, `only ${entries} entries checked`);
  assert.deepEqual([...seen].sort(), ["b", "c", "d", "f", "hardlink", "l", "p", "s"]);
});
