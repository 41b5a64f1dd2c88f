// ramroot against the real kernel: for every archive of tests/kernel/cases.ts
// the manifest ramroot builds with a kernel profile must equal, line for line,
// the tree Debian's kernel of that series built (recorded by record.ts):
// linux-6.1 against tests/kernel/golden/<case>.txt, linux-6.12 against
// tests/kernel/golden-6.12/<case>.txt.
//
// Compared: every path line except the run-specific `ino` column, and the
// kernel's log lines about the unpack. Parameters taken from the recording:
// the rootfs size (#mountinfo) and the boot time. The boot time is found,
// not assumed: ramroot runs once with a sentinel "now", and every field it
// stamps with it must hold one and the same value in the kernel's answer.

import assert from "node:assert/strict";
import { manifest, populateRootfs, writeCpio } from "../mod.ts";
import type { ProfileName } from "../src/profile.ts";
import { cases } from "./kernel/cases.ts";

interface Series {
  /** The profile ramroot runs with. */
  profile: ProfileName;
  /** Where that kernel's answers are. */
  golden: URL;
  /**
   * Cases where ramroot is known to differ from this kernel, with the reason.
   * They are reported as ignored steps, not compared.
   */
  knownDifferences: Readonly<Record<string, string>>;
}

const SERIES: Series[] = [
  {
    profile: "linux-6.1",
    golden: new URL("./kernel/golden/", import.meta.url),
    knownDifferences: {},
  },
  {
    profile: "linux-6.12",
    golden: new URL("./kernel/golden-6.12/", import.meta.url),
    knownDifferences: {},
  },
];
const SENTINEL = 3999999937;
const ORACLE_SEGMENT_STANDIN = writeCpio([]);
const UNPACK_LOG =
  /^(Trying to unpack rootfs image as initramfs|Unpacking initramfs|Initramfs unpacking failed|rootfs image is not initramfs|initramfs (name|symlink) without nulterm)/;

interface Golden {
  paths: string[][];
  kmsg: string[];
  rootfsSize: string | undefined;
  /** The `#kernel` line: the release the golden was recorded on. */
  release: string | undefined;
}

function parseGolden(text: string): Golden {
  const paths: string[][] = [];
  const kmsg: string[] = [];
  let rootfsSize: string | undefined;
  let release: string | undefined;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#kernel\t")) release = line.slice(8);
    if (line.startsWith("#kmsg\t")) {
      const [, level, msg] = line.split("\t");
      if (UNPACK_LOG.test(msg ?? "")) kmsg.push(`${level}\t${msg}`);
    } else if (line.startsWith("#mountinfo\t")) {
      const m = / - rootfs rootfs \S*size=(\d+k)/.exec(line);
      if (m) rootfsSize = m[1];
    } else if (!line.startsWith("#")) {
      paths.push(line.split("\t"));
    }
  }
  return { paths, kmsg, rootfsSize, release };
}

async function model(
  profile: ProfileName,
  images: Uint8Array[],
  bootTime: number,
  cmdline: string,
  rootfsSize: string | undefined,
): Promise<{ paths: string[][]; kmsg: string[] }> {
  const root = await populateRootfs(images, {
    profile,
    bootTime,
    cmdline,
    ...(rootfsSize !== undefined ? { rootfsSize } : {}),
  });
  const paths = (await manifest(root.fs)).trimEnd().split("\n").map((l) => l.split("\t"));
  const kmsg = root.messages.map((m) => `${m.level}\t${m.text}`);
  return { paths, kmsg };
}

const withoutIno = (rows: string[][]) => rows.map((r) => r.filter((_, k) => k !== 9).join("\t"));

for (const { profile, golden: GOLDEN, knownDifferences } of SERIES) {
  const kernel = profile.replace(/^linux-/, "");
  Deno.test(`manifest() equals the ${kernel} kernel's tree for every recorded archive`, async (t) => {
    for (const name of Object.keys(knownDifferences)) {
      assert.ok(cases.some((c) => c.name === name), `known difference for unknown case ${name}`);
    }
    let compared = 0;
    for (const c of cases) {
      let text: string;
      try {
        text = await Deno.readTextFile(new URL(`${c.name}.txt`, GOLDEN));
      } catch {
        continue; // not recorded yet: counted below
      }
      const known = knownDifferences[c.name];
      if (known !== undefined) {
        await t.step({ name: `${c.name} (known difference: ${known})`, ignore: true, fn() {} });
        continue;
      }
      compared++;
      await t.step(c.name, async () => {
        const golden = parseGolden(text);
        assert.ok(golden.release?.startsWith(`${kernel}.`), `recorded on ${golden.release}`);
        // the oracle's own segment comes first in the kernel's initrd: a plain
        // archive ending in a trailer, 4-aligned, which leaves the unpacker in
        // Reset with an empty link table; a trailer-only archive does the same
        const images = [ORACLE_SEGMENT_STANDIN, ...c.build()];
        const cmdline = (c.kernelArgs ?? []).join(" ");
        const probe = await model(profile, images, SENTINEL, cmdline, golden.rootfsSize);
        // where ramroot stamps "now", the kernel must show one boot time
        const byPath = new Map(golden.paths.map((r) => [r[0], r]));
        const stamped = probe.paths.filter((r) => r[7] === String(SENTINEL));
        const times = new Set(stamped.map((r) => byPath.get(r[0]!)?.[7]));
        assert.ok(times.size <= 1, `"now" fields disagree in the kernel's answer: ${[...times]}`);
        const bootTime = times.size === 1 ? Number([...times][0]) : SENTINEL;
        assert.ok(times.size === 0 || bootTime > 1.7e9, `implausible boot time ${bootTime}`);
        const got = times.size === 1
          ? await model(profile, images, bootTime, cmdline, golden.rootfsSize)
          : probe;
        assert.deepEqual(withoutIno(got.paths), withoutIno(golden.paths), c.about);
        assert.deepEqual(got.kmsg, golden.kmsg, "kernel log lines about the unpack");
      });
    }
    assert.ok(compared >= 25, `only ${compared} recorded cases found`);
  });
}
