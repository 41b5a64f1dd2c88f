// ramroot against the real kernel: for every archive of tests/kernel/cases.ts
// the manifest ramroot builds must equal, line for line, the tree Debian's
// 6.1 kernel built (tests/kernel/golden/<case>.txt, recorded by record.ts).
//
// Compared: every path line except the run-specific `ino` column, and the
// kernel's log lines about the unpack. Parameters taken from the recording:
// the rootfs size (#mountinfo) and the boot time. The boot time is found,
// not assumed: ramroot runs once with a sentinel "now", and every field it
// stamps with it must hold one and the same value in the kernel's answer.

import assert from "node:assert/strict";
import { manifest, populateRootfs } from "../mod.ts";
import { cases } from "./kernel/cases.ts";

const GOLDEN = new URL("./kernel/golden/", import.meta.url);
const SENTINEL = 3999999937;
const UNPACK_LOG =
  /^(Trying to unpack rootfs image as initramfs|Unpacking initramfs|Initramfs unpacking failed|rootfs image is not initramfs|initramfs (name|symlink) without nulterm)/;

interface Golden {
  paths: string[][];
  kmsg: string[];
  rootfsSize: string | undefined;
}

function parseGolden(text: string): Golden {
  const paths: string[][] = [];
  const kmsg: string[] = [];
  let rootfsSize: string | undefined;
  for (const line of text.split("\n")) {
    if (line === "") continue;
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
  return { paths, kmsg, rootfsSize };
}

async function model(
  images: Uint8Array[],
  bootTime: number,
  cmdline: string,
  rootfsSize: string | undefined,
): Promise<{ paths: string[][]; kmsg: string[] }> {
  const root = await populateRootfs(images, {
    bootTime,
    cmdline,
    ...(rootfsSize !== undefined ? { rootfsSize } : {}),
  });
  const paths = (await manifest(root.fs)).trimEnd().split("\n").map((l) => l.split("\t"));
  const kmsg = root.messages.map((m) => `${m.level}\t${m.text}`);
  return { paths, kmsg };
}

const withoutIno = (rows: string[][]) => rows.map((r) => r.filter((_, k) => k !== 9).join("\t"));

Deno.test("manifest() equals the 6.1 kernel's tree for every recorded archive", async (t) => {
  let compared = 0;
  for (const c of cases) {
    let text: string;
    try {
      text = await Deno.readTextFile(new URL(`${c.name}.txt`, GOLDEN));
    } catch {
      continue; // not recorded yet: counted below
    }
    compared++;
    await t.step(c.name, async () => {
      const golden = parseGolden(text);
      const images = c.build();
      const cmdline = (c.kernelArgs ?? []).join(" ");
      const probe = await model(images, SENTINEL, cmdline, golden.rootfsSize);
      // where ramroot stamps "now", the kernel must show one boot time
      const byPath = new Map(golden.paths.map((r) => [r[0], r]));
      const stamped = probe.paths.filter((r) => r[7] === String(SENTINEL));
      const times = new Set(stamped.map((r) => byPath.get(r[0]!)?.[7]));
      assert.ok(times.size <= 1, `"now" fields disagree in the kernel's answer: ${[...times]}`);
      const bootTime = times.size === 1 ? Number([...times][0]) : SENTINEL;
      assert.ok(times.size === 0 || bootTime > 1.7e9, `implausible boot time ${bootTime}`);
      const got = times.size === 1
        ? await model(images, bootTime, cmdline, golden.rootfsSize)
        : probe;
      assert.deepEqual(withoutIno(got.paths), withoutIno(golden.paths), c.about);
      assert.deepEqual(got.kmsg, golden.kmsg, "kernel log lines about the unpack");
    });
  }
  assert.ok(compared >= 25, `only ${compared} recorded cases found`);
});
