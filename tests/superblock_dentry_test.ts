import assert from "node:assert/strict";
import { FsError } from "../src/errors.ts";
import { Ramfs, type Superblock, Tmpfs } from "../src/superblock.ts";

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);
const str = (u: Uint8Array) => new TextDecoder().decode(u);

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof FsError) return e.code;
    throw e;
  }
  return "ok";
}

function names(sb: Superblock, d: number): string[] {
  return sb.dChildren(d).map(([, n]) => str(n));
}

Deno.test("dentries: lookup, parent, name, children", () => {
  const sb = new Tmpfs({ now: 100 });
  const root = sb.rootDentry;
  assert.equal(sb.dParent(root), root);
  assert.equal(sb.dName(root).length, 0);
  const a = sb.dMkdir(root, b("a"), 0o755);
  assert.equal(sb.dLookup(root, b("a")), a);
  assert.equal(sb.dLookup(root, b("missing")), 0);
  assert.equal(sb.dParent(a), root);
  assert.equal(str(sb.dName(a)), "a");
  assert.equal(sb.dStat(a).mode, 0o40755);
  const f = sb.dCreate(a, b("f"), 0o666);
  const l = sb.dSymlink(a, b("l"), b("f"));
  assert.deepEqual(names(sb, a), ["l", "f"]);
  assert.deepEqual(sb.dChildren(a).map(([d]) => d), [l, f]);
  assert.equal(sb.dStat(f).mode, 0o100644);
  assert.equal(str(sb.dReadlink(l)), "f");
  assert.equal(sb.readlink("/a/l"), "f");
  assert.equal(sb.dLookup(a, b("l")), l, "no symlink following");
  assert.equal(code(() => sb.dReadlink(f)), "EINVAL");
  assert.equal(code(() => sb.dChildren(f)), "ENOTDIR");
  assert.equal(code(() => sb.dLookup(f, b("x"))), "ENOTDIR");
  assert.equal(code(() => sb.dMkdir(f, b("x"), 0o755)), "ENOTDIR");
  assert.equal(sb.stat("/a").size, 80);
  assert.equal(sb.stat("/a").nlink, 2);
  assert.equal(sb.stat("/").nlink, 3);
});

Deno.test("dentries: create, link, unlink, rmdir errnos", () => {
  const sb = new Tmpfs({ nr_inodes: 5 });
  const root = sb.rootDentry;
  const d = sb.dMkdir(root, b("d"), 0o700);
  assert.equal(code(() => sb.dMkdir(root, b("d"), 0o700)), "EEXIST");
  const f = sb.dCreate(d, b("f"), 0o644);
  assert.equal(code(() => sb.dCreate(d, b("f"), 0o644)), "EEXIST");
  assert.equal(code(() => sb.dSymlink(d, b("f"), b("x"))), "EEXIST");
  assert.equal(code(() => sb.dSymlink(d, b("s"), new Uint8Array(0))), "ENOENT");
  const h = sb.dLink(f, root, b("h"));
  assert.equal(sb.dStat(h).ino, sb.dStat(f).ino);
  assert.equal(sb.dStat(f).nlink, 2);
  assert.equal(code(() => sb.dLink(d, root, b("dl"))), "EPERM");
  assert.equal(code(() => sb.dLink(f, root, b("h"))), "EEXIST");
  // root + d + f + the extra link = 4 of 5
  assert.equal(sb.statfs().usedFiles, 4);
  sb.dCreate(root, b("g"), 0o644);
  assert.equal(code(() => sb.dCreate(root, b("g2"), 0o644)), "ENOSPC");
  assert.equal(code(() => sb.dUnlink(root, b("nope"))), "ENOENT");
  assert.equal(code(() => sb.dUnlink(root, b("d"))), "EISDIR");
  assert.equal(code(() => sb.dRmdir(root, b("h"))), "ENOTDIR");
  assert.equal(code(() => sb.dRmdir(root, b("d"))), "ENOTEMPTY");
  assert.equal(code(() => sb.dRmdir(root, b("nope"))), "ENOENT");
  assert.equal(code(() => sb.dMkdir(root, b("a/b"), 0o755)), "EINVAL");
  assert.equal(code(() => sb.dMkdir(root, b(".."), 0o755)), "EINVAL");
  assert.equal(code(() => sb.dMkdir(root, new Uint8Array(256).fill(0x61), 0o755)), "ENAMETOOLONG");
  sb.dUnlink(root, b("h"));
  assert.equal(sb.dStat(f).nlink, 1);
  sb.dUnlink(d, b("f"));
  sb.dRmdir(root, b("d"));
  assert.equal(sb.dLookup(root, b("d")), 0);
  assert.deepEqual(names(sb, root), ["g"]);
  assert.equal(sb.statfs().usedFiles, 2);
  assert.equal(sb.stat("/").nlink, 2);
});

Deno.test("dentries: a held directory survives rmdir until dPut", () => {
  const sb = new Tmpfs();
  const root = sb.rootDentry;
  const base = sb.statfs().usedFiles;
  const p = sb.dMkdir(root, b("p"), 0o755);
  const d = sb.dMkdir(p, b("d"), 0o755);
  sb.dGet(d);
  sb.dRmdir(p, b("d"));
  assert.equal(sb.dDead(d), true);
  assert.equal(sb.dLookup(p, b("d")), 0);
  assert.equal(sb.dStat(d).nlink, 0);
  assert.equal(sb.dStat(d).type, "d");
  assert.equal(sb.dParent(d), p);
  assert.equal(sb.stat("/p").nlink, 2);
  // nothing can be created in a removed directory
  assert.equal(code(() => sb.dMkdir(d, b("x"), 0o755)), "ENOENT");
  assert.equal(code(() => sb.dCreate(d, b("x"), 0o644)), "ENOENT");
  // the dead child pins its parent: p can be removed and stays too
  sb.dRmdir(root, b("p"));
  assert.equal(sb.dDead(p), true);
  assert.equal(sb.statfs().usedFiles, base + 2);
  sb.dPut(d);
  assert.equal(sb.statfs().usedFiles, base);
  assert.equal(code(() => sb.dPut(root)), "EINVAL");
  // an unreferenced directory goes at once
  sb.dMkdir(root, b("q"), 0o755);
  sb.dRmdir(root, b("q"));
  assert.equal(sb.statfs().usedFiles, base);
});

Deno.test("dentries: a held file keeps its pages charged until dPut", () => {
  const sb = new Tmpfs({ size: "1M" });
  const root = sb.rootDentry;
  const f = sb.dCreate(root, b("f"), 0o644);
  assert.deepEqual(sb.dWrite(f, 10000, false), { written: 10000, error: undefined });
  assert.equal(sb.statfs().usedBlocks, 3);
  sb.dGet(f);
  sb.dGet(f);
  sb.dUnlink(root, b("f"));
  assert.equal(sb.dDead(f), true);
  assert.equal(sb.dStat(f).nlink, 0);
  assert.equal(sb.dStat(f).size, 10000);
  assert.equal(sb.statfs().usedBlocks, 3);
  assert.equal(sb.statfs().usedFiles, 2);
  assert.equal(code(() => sb.dLink(f, root, b("again"))), "ENOENT");
  // an open handle outlives the references
  sb.dOpen(f);
  sb.dPut(f);
  sb.dPut(f);
  assert.equal(sb.statfs().usedBlocks, 3);
  sb.dClose(f);
  assert.equal(sb.statfs().usedBlocks, 0);
  assert.equal(sb.statfs().usedFiles, 1);
  // a held hard link: the other name keeps the inode, the dead one the pages
  const g = sb.dCreate(root, b("g"), 0o644);
  sb.dWrite(g, 4096, false);
  sb.dLink(g, root, b("g2"));
  sb.dGet(g);
  sb.dUnlink(root, b("g"));
  sb.dUnlink(root, b("g2"));
  assert.equal(sb.statfs().usedBlocks, 1);
  sb.dPut(g);
  assert.equal(sb.statfs().usedBlocks, 0);
  assert.equal(sb.statfs().usedFiles, 1);
});

Deno.test("dentries: rename errnos", () => {
  const sb = new Tmpfs();
  const r = sb.rootDentry;
  const a = sb.dMkdir(r, b("a"), 0o755);
  const sub = sb.dMkdir(a, b("sub"), 0o755);
  sb.dCreate(r, b("f"), 0o644);
  sb.dMkdir(r, b("full"), 0o755);
  sb.dCreate(sb.dLookup(r, b("full")), b("x"), 0o644);
  assert.equal(code(() => sb.dRename(r, b("none"), r, b("x"))), "ENOENT");
  assert.equal(code(() => sb.dRename(r, b("a"), a, b("inside"))), "EINVAL");
  assert.equal(code(() => sb.dRename(r, b("a"), sub, b("deeper"))), "EINVAL");
  assert.equal(code(() => sb.dRename(r, b("f"), r, b("a"))), "EISDIR");
  assert.equal(code(() => sb.dRename(r, b("a"), r, b("f"))), "ENOTDIR");
  assert.equal(code(() => sb.dRename(r, b("a"), r, b("full"))), "ENOTEMPTY");
  // the target is an ancestor of the source
  assert.equal(code(() => sb.dRename(a, b("sub"), r, b("a"))), "ENOTEMPTY");
  assert.equal(code(() => sb.dRename(r, b("f"), sub, b(".."))), "EINVAL");
  // nothing moved
  assert.deepEqual(names(sb, r).sort(), ["a", "f", "full"]);
  assert.equal(sb.dLookup(a, b("sub")), sub);
  // renaming onto itself does nothing
  sb.dRename(r, b("a"), r, b("a"));
  assert.equal(sb.dLookup(r, b("a")), a);
});

Deno.test("dentries: rename replaces a file and an empty directory", () => {
  const sb = new Tmpfs({ now: 5 });
  const r = sb.rootDentry;
  const base = sb.statfs();
  const f = sb.dCreate(r, b("f"), 0o644);
  const g = sb.dCreate(r, b("g"), 0o600);
  sb.dWrite(g, 8192, false);
  assert.equal(sb.statfs().usedBlocks, 2);
  sb.setTime(50);
  sb.dRename(r, b("f"), r, b("g"));
  assert.equal(sb.dLookup(r, b("g")), f);
  assert.equal(sb.dLookup(r, b("f")), 0);
  assert.equal(sb.stat("/g").mode, 0o100644);
  assert.equal(sb.statfs().usedBlocks, 0);
  assert.equal(sb.statfs().usedFiles, base.usedFiles + 1);
  assert.equal(sb.stat("/").size, 60);
  assert.equal(sb.stat("/").mtime, 50);
  // an empty directory replaced by a directory
  const d = sb.dMkdir(r, b("d"), 0o755);
  sb.dMkdir(r, b("e"), 0o755);
  assert.equal(sb.stat("/").nlink, 4);
  sb.dRename(r, b("d"), r, b("e"));
  assert.equal(sb.dLookup(r, b("e")), d);
  assert.equal(sb.stat("/").nlink, 3);
  assert.equal(sb.stat("/").size, 80);
  assert.equal(sb.statfs().usedFiles, base.usedFiles + 2);
  // a held target dies and is freed by its last dPut
  const h = sb.dCreate(r, b("h"), 0o644);
  sb.dWrite(h, 100, false);
  sb.dGet(h);
  sb.dRename(r, b("g"), r, b("h"));
  assert.equal(sb.dDead(h), true);
  assert.equal(sb.statfs().usedBlocks, 1);
  sb.dPut(h);
  assert.equal(sb.statfs().usedBlocks, 0);
  assert.equal(sb.statfs().usedFiles, base.usedFiles + 2);
});

Deno.test("dentries: rename moves a directory between parents", () => {
  const sb = new Tmpfs();
  const r = sb.rootDentry;
  const a = sb.dMkdir(r, b("a"), 0o755);
  const c = sb.dMkdir(r, b("c"), 0o755);
  const m = sb.dMkdir(a, b("m"), 0o755);
  const inner = sb.dCreate(m, b("inner"), 0o644);
  assert.equal(sb.stat("/a").nlink, 3);
  assert.equal(sb.stat("/c").nlink, 2);
  sb.dRename(a, b("m"), c, b("moved"));
  assert.equal(sb.stat("/a").nlink, 2);
  assert.equal(sb.stat("/c").nlink, 3);
  assert.equal(sb.stat("/a").size, 40);
  assert.equal(sb.stat("/c").size, 60);
  assert.equal(sb.dParent(m), c);
  assert.equal(sb.lstat("/c/moved/inner").ino, sb.dStat(inner).ino);
  assert.equal(sb.exists("/a/m"), false);
  assert.equal(sb.dLookup(m, b("inner")), inner);
  // the path cache does not keep the old place
  sb.stat("/c/moved/inner");
  sb.dRename(c, b("moved"), r, b("top"));
  assert.equal(sb.exists("/c/moved/inner"), false);
  assert.equal(sb.exists("/top/inner"), true);
});

Deno.test("dentries: rename onto a hard link of itself does nothing", () => {
  const sb = new Ramfs();
  const r = sb.rootDentry;
  const f = sb.dCreate(r, b("f"), 0o644);
  const l = sb.dLink(f, r, b("l"));
  sb.dRename(r, b("f"), r, b("l"));
  assert.equal(sb.dLookup(r, b("f")), f);
  assert.equal(sb.dLookup(r, b("l")), l);
  assert.equal(sb.dStat(f).nlink, 2);
});

Deno.test("dentries: a held dentry keeps its handle across renames", () => {
  const sb = new Tmpfs();
  const r = sb.rootDentry;
  const a = sb.dMkdir(r, b("a"), 0o755);
  const d = sb.dMkdir(r, b("d"), 0o755);
  sb.dCreate(d, b("child"), 0o644);
  sb.dGet(d);
  const long = "x".repeat(200);
  for (const [dir, name] of [[a, long], [r, "s"], [a, "y".repeat(40)], [r, "d2"]] as const) {
    const from = sb.dParent(d);
    sb.dRename(from, sb.dName(d), dir, b(name));
    assert.equal(sb.dLookup(dir, b(name)), d);
    assert.equal(str(sb.dName(d)), name);
    assert.equal(sb.dParent(d), dir);
    assert.ok(sb.dLookup(d, b("child")) !== 0);
    assert.deepEqual(sb.readdir(dir === r ? "/" : "/a").map((e) => e.name).includes(name), true);
  }
  assert.equal(sb.exists("/d2/child"), true);
  assert.equal(sb.dDead(d), false);
  sb.dPut(d);
  sb.dUnlink(d, b("child"));
  sb.dRmdir(r, b("d2"));
  assert.equal(sb.statfs().usedFiles, 2);
});

Deno.test("dentries: setLimits and dWrite against the size limit", () => {
  const sb = new Tmpfs({ size: "1M", nr_inodes: 10 });
  const r = sb.rootDentry;
  const f = sb.dCreate(r, b("f"), 0o644);
  assert.deepEqual(sb.dWrite(f, 1048576, false), { written: 1048576, error: undefined });
  assert.equal(sb.stat("/f").size, 1048576);
  assert.deepEqual(sb.dWrite(f, 2097152, true), { written: 1048576, error: "ENOSPC" });
  assert.equal(sb.statfs().usedBlocks, 256);
  assert.equal(sb.readFile("/f").every((x) => x === 0x78), true);
  sb.setLimits(1024, 2);
  assert.equal(sb.maxBlocks, 1024);
  assert.equal(sb.maxInodes, 2);
  assert.deepEqual(sb.statfs(), { blocks: 1024, usedBlocks: 256, files: 2, usedFiles: 2 });
  assert.equal(code(() => sb.dCreate(r, b("g"), 0o644)), "ENOSPC");
  assert.deepEqual(sb.dWrite(f, 2097152, true), { written: 2097152, error: undefined });
  // a partial page: 1 MiB + 1 byte on 1 MiB charges no more than 256 pages
  sb.setLimits(256, 0);
  assert.deepEqual(sb.dWrite(f, 1048577, true), { written: 1048576, error: "ENOSPC" });
  assert.equal(code(() => sb.dWrite(r, 1, false)), "EISDIR");
});
