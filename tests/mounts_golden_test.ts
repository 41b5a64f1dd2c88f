// Every mount-ops script in tests/mounts/ops/ against the real kernels'
// answers: the model with `root: "sandbox"` must print what mount-ops.sh
// printed on the host (6.18), and with `root: "rootfs"` what Debian's 6.1
// printed from its initramfs root (the oracle's own /.oracle mounts aside).

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { packList } from "../src/gen_list.ts";
import { normalizeMountinfo } from "../src/ops.ts";
import type { ProfileName } from "../src/profile.ts";
import { runOps } from "../src/vfs/ops_run.ts";

const dir = fileURLToPath(new URL("./mounts/", import.meta.url));
const latin1 = new TextDecoder("latin1");
const read = (p: string) => latin1.decode(Deno.readFileSync(dir + p));
const names = (sub: string) =>
  [...Deno.readDirSync(dir + sub)].map((e) => e.name.replace(/\.txt$/, "")).sort();

/** Scripts the model cannot run: they need a shell (`sh` op) inside the VM. */
const NEEDS_SHELL = new Set(["vm-privileges"]);

for (const name of names("golden/host")) {
  Deno.test(`host 6.18: ${name}`, async () => {
    const want = read(`golden/host/${name}.txt`).split("\n").slice(1).join("\n").trimEnd();
    const out = await runOps(Deno.readFileSync(`${dir}ops/${name}.ops`), {
      root: "sandbox",
      profile: "linux-6.18",
    });
    assert.equal(out.lines.join("\n"), want);
  });
}

/**
 * Drops what the oracle itself adds in the VM: the `/.oracle` mounts (the
 * blocks are renumbered without them) and the `.oracle` name in listings.
 */
function withoutOracle(lines: string[]): string[] {
  const out: string[] = [];
  let block: string[] | null = null;
  for (const l of lines) {
    if (l === "#mountinfo-begin" || l === "#final-mountinfo") {
      out.push(l);
      block = [];
    } else if (block !== null && (l === "#mountinfo-end" || l.startsWith("#ops\t"))) {
      out.push(...normalizeMountinfo(block), l);
      block = null;
    } else if (block !== null) {
      if (!/^\S+ \S+ \S+ \S+ \/\.oracle[/ ]/.test(l)) block.push(l);
    } else {
      out.push(
        l.replace(
          /^(\d+\tls [^\t]*\tOK\t)(.*)$/,
          (_m, a: string, b: string) => a + b.split(" ").filter((w) => w !== ".oracle").join(" "),
        ),
      );
    }
  }
  return out;
}

const archive =
  (await packList(Deno.readFileSync(dir + "vm/archive.spec"), { baseDir: dir + "vm" }))
    .archive;

/** `stat /` in the VM counts the oracle's `/.oracle` directory: one link, 20 bytes on tmpfs. */
function rootStatWithoutOracle(line: string): string {
  const m = /^(\d+\tstat \/\tOK\ttype=d mode=\d+ uid=\d+ gid=\d+ nlink=)(\d+) size=(\d+)$/.exec(
    line,
  );
  return m ? `${m[1]}${Number(m[2]) - 1} size=${Number(m[3]) - 20}` : line;
}

/** Compares the model from rootfs with a VM golden (`#op` lines of a kernel-unpack.sh report). */
async function compareVm(
  golden: string,
  script: string,
  profile: ProfileName,
  image: Uint8Array,
): Promise<void> {
  const text = read(golden);
  // rootfs was sized early in that boot: its size= line gives the RAM then
  const size = /#mountinfo\t1 1 \S+ \/ \/ rw - rootfs rootfs rw,size=(\d+)k/.exec(text);
  assert.ok(size, "the golden shows the rootfs line");
  const want = withoutOracle(
    text.split("\n").filter((l) => l.startsWith("#op\t")).map((l) => l.slice(4)),
  ).map(rootStatWithoutOracle);
  const out = await runOps(Deno.readFileSync(dir + script), {
    root: "rootfs",
    profile,
    initrd: [image],
    rootfsRamPages: Number(size[1]) / 2,
  });
  assert.equal(withoutOracle(out.lines).join("\n"), want.join("\n"));
}

for (const name of names("golden/vm-6.1")) {
  Deno.test({
    name: `rootfs 6.1: ${name}`,
    ignore: NEEDS_SHELL.has(name),
    fn: () => compareVm(`golden/vm-6.1/${name}.txt`, `ops/${name}.ops`, "linux-6.1", archive),
  });
}

// what the profiles measured on Debian's 6.12 (tmpfs defaults after boot, the
// initial network namespace's inode), each with its own small archive
const profileArchive = (await packList(Deno.readFileSync(dir + "profiles/archive.spec"))).archive;
for (const name of names("profiles/golden-6.12")) {
  Deno.test(`rootfs 6.12: profiles/${name}`, () =>
    compareVm(
      `profiles/golden-6.12/${name}.txt`,
      `profiles/${name}.ops`,
      "linux-6.12",
      profileArchive,
    ));
}

Deno.test("every script has a host golden, and a VM golden unless listed host-only", () => {
  const scripts = names("ops").map((n) => n.replace(/\.ops$/, ""));
  const hostOnly = read("vm/host-only.list").split("\n").filter((l) => l && !l.startsWith("#"));
  for (const s of scripts) {
    if (!s.startsWith("vm-")) assert.ok(names("golden/host").includes(s), `${s}: host golden`);
    if (!hostOnly.includes(s)) assert.ok(names("golden/vm-6.1").includes(s), `${s}: VM golden`);
  }
  assert.ok(scripts.length >= 62);
});
