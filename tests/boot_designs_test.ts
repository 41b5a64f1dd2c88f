// Golden boot results for every design and variant: the sample image (always)
// and a real mkinitramfs image (tests/real/images, RAMROOT_REAL=1). Each
// golden holds the boot report, the probes of `boot --compare` and every
// tool's hand-off with the mountinfo after it. Only `legacy` has a kernel to
// compare with (tests/boot_golden_test.ts, and the real image's recording
// below); the others are the model's answers, reviewed when written:
// RAMROOT_UPDATE=1 rewrites them.

import assert from "node:assert/strict";
import {
  boot,
  compareDesigns,
  type DesignComparison,
  formatBoot,
  getProfile,
  sampleImage,
} from "../mod.ts";

const update = Deno.env.get("RAMROOT_UPDATE") === "1";

function report(c: DesignComparison): string {
  const out = [formatBoot(c.boot).trimEnd()];
  out.push(`pivot_root(".", ".") below the root: ${c.pivotRoot}`);
  out.push(`umount2("/", MNT_DETACH): ${c.detachRoot}`);
  for (const [tool, h] of Object.entries(c.handoffs)) {
    if (typeof h === "string") {
      out.push(`${tool}: ${h}`);
      continue;
    }
    out.push(`${tool}: ${h.ok ? "ok" : `failed: ${h.error}`}`);
    for (const s of h.steps) if (s.result !== "OK") out.push(`  ${s.call} = ${s.result}`);
    const o = h.oldRoot;
    out.push(
      `  old root ${o.fstype}: ${
        o.attached ? "mounted" : "detached"
      }, ${o.bytes} bytes, ${o.inodes} inodes`,
    );
    for (const l of h.mountinfo) out.push(`  ${l}`);
  }
  return out.join("\n") + "\n";
}

async function check(dir: URL, cols: DesignComparison[]): Promise<void> {
  for (const c of cols) {
    const file = new URL(`${c.design}.txt`, dir);
    const text = report(c);
    if (update) {
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(file, text);
    }
    assert.equal(text, await Deno.readTextFile(file), c.design);
  }
}

Deno.test("boot goldens: the sample image under every design", async () => {
  const cols = await compareDesigns({ initrd: [sampleImage()], cmdline: "quiet splash" });
  await check(new URL("./boot/golden/sample/", import.meta.url), cols);
});

const real = new URL("./real/images/mkinitramfs-zstd.img", import.meta.url);
const haveReal = await Deno.stat(real).then(() => true, () => false);
const enabled = Deno.env.get("RAMROOT_REAL") === "1";

Deno.test({
  name: `boot goldens: mkinitramfs-zstd.img under every design${
    haveReal ? "" : " (no image: tests/real/make-images.sh)"
  }`,
  ignore: !enabled || !haveReal,
  fn: async () => {
    const cols = await compareDesigns({ initrd: [real.pathname] });
    await check(new URL("./real/golden/boot/", import.meta.url), cols);
  },
});

Deno.test({
  name: "boot legacy: mkinitramfs-zstd.img as Debian's 6.1 booted it",
  ignore: !enabled || !haveReal,
  fn: async () => {
    const golden = await Deno.readTextFile(
      new URL("./real/golden/mkinitramfs-zstd.img.txt", import.meta.url),
    );
    const lines = golden.split("\n");
    const rootLine = lines.find((l) => l.startsWith("#mountinfo\t1 1 "))!.slice(11);
    const inodes = Number(/nr_inodes=(\d+)/.exec(rootLine)![1]);
    const cmdline = lines.find((l) => l.startsWith("#cmdline\t"))!.slice(9);
    const r = await boot({
      profile: { ...getProfile("linux-6.1"), totalRamPages: inodes * 2 },
      cmdline,
      initrd: [real.pathname],
      probe: true,
    });
    assert.equal(r.mountinfo[0], rootLine);
    // the log, but for the size freed: the oracle's segment came first there
    const want = lines.filter((l) => l.startsWith("#kmsg\t")).map((l) => l.slice(6));
    const got = r.messages.filter((m) => m.level < 7).map((m) => `${m.level}\t${m.text}`);
    const norm = (l: string) => l.replace(/memory: \d+K$/, "memory: NK");
    assert.deepEqual(got.map(norm), want.map(norm));
    assert.equal(r.init?.path, "/.oracle/init");
  },
});
