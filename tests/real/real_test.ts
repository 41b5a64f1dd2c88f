// ramroot against the real kernel on real distribution images: for every
// image of make-images.sh (Debian's installer initrd, mkinitramfs with gzip,
// zstd and early microcode, dracut with early microcode) the manifest ramroot
// builds must equal, line for line, the tree Debian's kernel built from the
// same bytes (golden/<name>.txt, recorded by record.ts).
//
// The images are not committed (40-60 MB each, made from this machine's
// packages): a missing one is an ignored test that says how to make it, an
// image whose sha256 is not the recorded one fails. These tests run under
// `deno task test:real` (RAMROOT_REAL=1); `deno task test` lists them as
// ignored, so the images on a machine do not slow down or break the main run.
//
// Compared as tests/kernel_golden_test.ts does: every path line except the
// run-specific `ino` column, and the kernel's log lines about the unpack.
// Parameters taken from the recording: the rootfs size (#mountinfo) and the
// boot time, found with a sentinel "now". The oracle's own /.oracle segment
// came first in the kernel's initrd and is already left out of the report.

import assert from "node:assert/strict";
import { manifest, populateRootfs } from "../../mod.ts";
import type { ProfileName } from "../../src/profile.ts";
import { type ImageRecord, IMAGES } from "./images.ts";

const here = new URL("./", import.meta.url);
// RAMROOT_REAL_IMAGES: another directory made by make-images.sh (CI keeps one across clones)
const imagesDir = Deno.env.get("RAMROOT_REAL_IMAGES")
  ? new URL(`file://${Deno.env.get("RAMROOT_REAL_IMAGES")!.replace(/\/?$/, "/")}`)
  : new URL("images/", here);
const goldenDir = new URL("golden/", here);
const enabled = Deno.env.get("RAMROOT_REAL") === "1";

const SENTINEL = 3999999937;
const UNPACK_LOG =
  /^(Trying to unpack rootfs image as initramfs|Unpacking initramfs|Initramfs unpacking failed|rootfs image is not initramfs|initramfs (name|symlink) without nulterm)/;
/** Differences shown when a manifest differs. */
const SHOW = 12;

interface Golden {
  paths: string[][];
  kmsg: string[];
  rootfsSize: string | undefined;
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

function profileFor(release: string): ProfileName {
  if (release.startsWith("6.1.")) return "linux-6.1";
  if (release.startsWith("6.12.")) return "linux-6.12";
  throw new RangeError(`No profile for kernel "${release}": expected 6.1.* or 6.12.*`);
}

async function model(
  profile: ProfileName,
  image: string,
  bootTime: number,
  rootfsSize: string | undefined,
): Promise<{ paths: string[][]; kmsg: string[] }> {
  const root = await populateRootfs([image], {
    profile,
    bootTime,
    ...(rootfsSize !== undefined ? { rootfsSize } : {}),
  });
  const paths = (await manifest(root.fs)).trimEnd().split("\n").map((l) => l.split("\t"));
  const kmsg = root.messages.map((m) => `${m.level}\t${m.text}`);
  return { paths, kmsg };
}

const withoutIno = (rows: string[][]) => rows.map((r) => r.filter((_, k) => k !== 9).join("\t"));

/**
 * The first differences of two sorted manifests (without `ino`), by path:
 * `- ` what the kernel has, `+ ` what ramroot has.
 */
function firstDifferences(kernel: string[], ramroot: string[]): string[] {
  const out: string[] = [];
  let differ = 0;
  let i = 0;
  let j = 0;
  const path = (l: string) => l.slice(0, l.indexOf("\t"));
  while (i < kernel.length || j < ramroot.length) {
    const a = kernel[i];
    const b = ramroot[j];
    if (a === b) {
      i++;
      j++;
      continue;
    }
    differ++;
    const pa = a === undefined ? undefined : path(a);
    const pb = b === undefined ? undefined : path(b);
    if (pa !== undefined && pa === pb) {
      if (out.length < 2 * SHOW) out.push(`- ${a}`, `+ ${b}`);
      i++;
      j++;
    } else if (pb === undefined || (pa !== undefined && pa < pb)) {
      if (out.length < 2 * SHOW) out.push(`- ${a}`);
      i++;
    } else {
      if (out.length < 2 * SHOW) out.push(`+ ${b}`);
      j++;
    }
  }
  return [
    `${differ} paths differ (kernel ${kernel.length} lines, ramroot ${ramroot.length})`,
    ...out,
  ];
}

async function sha256(path: URL): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(path)));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function exists(path: URL): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

const records: Record<string, ImageRecord> = JSON.parse(
  await Deno.readTextFile(new URL("images.json", goldenDir)),
);

for (const name of IMAGES) {
  const image = new URL(name, imagesDir);
  const title = `manifest() equals the kernel's tree for the real image ${name}`;
  if (!(await exists(image))) {
    const why = "missing: run tests/real/make-images.sh (as root) to make it";
    console.log(`real images: ${name} ${why}`);
    Deno.test({ name: `${title} (${why})`, ignore: true, fn() {} });
    continue;
  }
  if (!enabled) {
    Deno.test({ name: `${title} (run by deno task test:real)`, ignore: true, fn() {} });
    continue;
  }
  Deno.test(title, async () => {
    const rec = records[name];
    assert.ok(rec, `${name} has no entry in golden/images.json: record it with record.ts`);
    const sha = await sha256(image);
    assert.equal(
      sha,
      rec.sha256,
      `${name} is not the recorded image (sha256 ${sha}, recorded ${rec.sha256}; ` +
        `made from other package versions?). Recorded: ${rec.made}. ` +
        `Make it again with tests/real/make-images.sh, or re-record with tests/real/record.ts.`,
    );
    const golden = parseGolden(await Deno.readTextFile(new URL(`${name}.txt`, goldenDir)));
    assert.equal(golden.release, rec.kernel, "golden report and images.json disagree");
    const profile = profileFor(rec.kernel);
    const file = decodeURIComponent(image.pathname);
    const probe = await model(profile, file, SENTINEL, golden.rootfsSize);
    // where ramroot stamps "now", the kernel must show one boot time
    const byPath = new Map(golden.paths.map((r) => [r[0], r]));
    const stamped = probe.paths.filter((r) => r[7] === String(SENTINEL));
    const times = new Set(stamped.map((r) => byPath.get(r[0]!)?.[7]));
    assert.ok(times.size <= 1, `"now" fields disagree in the kernel's answer: ${[...times]}`);
    const bootTime = times.size === 1 ? Number([...times][0]) : SENTINEL;
    assert.ok(times.size === 0 || bootTime > 1.7e9, `implausible boot time ${bootTime}`);
    const got = times.size === 1 ? await model(profile, file, bootTime, golden.rootfsSize) : probe;
    const want = withoutIno(golden.paths);
    const have = withoutIno(got.paths);
    if (have.length !== want.length || have.some((l, k) => l !== want[k])) {
      assert.fail(
        `${name} (${profile}): ramroot's manifest differs from the kernel's\n` +
          firstDifferences(want, have).join("\n") +
          `\nramroot's log:\n${got.kmsg.join("\n")}\nthe kernel's:\n${golden.kmsg.join("\n")}`,
      );
    }
    assert.deepEqual(got.kmsg, golden.kmsg, "kernel log lines about the unpack");
  });
}
