// The mount tree's costs: path walks through stacked mounts, and creating,
// listing (mountinfo) and unmounting 10,000 mounts in one namespace.
//
//   deno bench -A bench/mounts_bench.ts

import { getProfile } from "../src/profile.ts";
import { MNT, MS, type Task } from "../src/vfs/mount.ts";
import { System } from "../src/vfs/system.ts";

const LEVELS = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
/** Levels (0-based) a ramfs is mounted on, then the tree continues inside it. */
const MOUNTED = new Set([1, 3, 5, 7, 9]);
const MOUNTS = 10_000;

function deepTree(): Task {
  const t = new System(getProfile("linux-6.18")).sandbox();
  let path = "";
  for (const [k, name] of LEVELS.entries()) {
    path += "/" + name;
    t.mkdir(path);
    if (MOUNTED.has(k)) t.mount("none", path, "ramfs", 0);
  }
  t.touch(path + "/file");
  return t;
}

const deep = deepTree();
const deepPath = "/" + LEVELS.join("/") + "/file";
const dotted = "/" + LEVELS.map((n) => `${n}/../${n}`).join("/") + "/file";

Deno.bench("lstat through 10 levels and 5 mounts", { group: "walk", baseline: true }, () => {
  deep.lstat(deepPath);
});

Deno.bench("lstat with a `..` at every level", { group: "walk" }, () => {
  deep.lstat(dotted);
});

/** A task with a ramfs on /m holding `MOUNTS` directories, and /src to bind. */
function manyDirs(): Task {
  const t = new System(getProfile("linux-6.18")).sandbox();
  t.mkdir("/src");
  t.mkdir("/m");
  t.mount("none", "/m", "ramfs", 0);
  for (let k = 0; k < MOUNTS; k++) t.mkdir(`/m/${k}`);
  return t;
}

function bindAll(t: Task): void {
  for (let k = 0; k < MOUNTS; k++) t.mount("/src", `/m/${k}`, undefined, MS.BIND);
}

Deno.bench(`create ${MOUNTS} bind mounts`, { group: "many", n: 5, warmup: 1 }, (b) => {
  const t = manyDirs();
  b.start();
  bindAll(t);
  b.end();
});

const listed = manyDirs();
bindAll(listed);
Deno.bench(`mountinfo of ${MOUNTS} mounts`, { group: "many", n: 10, warmup: 2 }, () => {
  const lines = listed.mountinfo();
  if (lines.length < MOUNTS) throw new Error("mounts missing");
});

Deno.bench(`unmount ${MOUNTS} mounts`, { group: "many", n: 5, warmup: 1 }, (b) => {
  const t = manyDirs();
  bindAll(t);
  b.start();
  for (let k = 0; k < MOUNTS; k++) t.umount2(`/m/${k}`, 0);
  b.end();
});

Deno.bench(`unmount ${MOUNTS} mounts in reverse`, { group: "many", n: 5, warmup: 1 }, (b) => {
  const t = manyDirs();
  bindAll(t);
  b.start();
  for (let k = MOUNTS - 1; k >= 0; k--) t.umount2(`/m/${k}`, MNT.DETACH);
  b.end();
});

const beside = manyDirs();
bindAll(beside);
Deno.bench(`mkdir and rmdir beside ${MOUNTS} mounts`, { group: "many" }, () => {
  // rmdir checks the dentry is no mountpoint in the namespace
  beside.mkdir("/x");
  beside.rmdir("/x");
});
