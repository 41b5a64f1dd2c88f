// Records what the real kernel builds from each real image (make-images.sh):
// boots it with the kernel oracle (../shared/oracle/kernel-unpack.sh,
// relative to the repository root), stores the full report as
// golden/<name>.txt and the image's size, sha256, kernel and command line in
// golden/images.json.
//
//   deno run -A tests/real/record.ts [--kernel-series 6.1|6.12] [--images DIR] [NAME...]
//
// The kernel is Debian 12's 6.1 unless asked otherwise (never the oracle's
// default, the newest installed kernel): the images are made for it. One
// boot at a time (qemu with software emulation, 10-20 s per image). An image
// whose boot fails keeps its old golden; the exit status is then 1.

import { findKernel, SERIES, type Series } from "../kernel/record.ts";
import { type ImageRecord, IMAGES } from "./images.ts";

const here = new URL("./", import.meta.url);
const repoRoot = new URL("../../", import.meta.url);
const sharedDir = new URL("../shared/", repoRoot);
const goldenDir = new URL("golden/", here);
const jsonUrl = new URL("images.json", goldenDir);

function fsPath(u: URL): string {
  return decodeURIComponent(u.pathname).replace(/\/$/, "");
}

const oracle = fsPath(new URL("oracle/kernel-unpack.sh", sharedDir));

async function sha256(path: string): Promise<string> {
  const data = await Deno.readFile(path);
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Replaces host paths that could leak into a report with fixed placeholders. */
function scrub(report: string, dirs: [string, string][]): string {
  for (const [from, to] of dirs) report = report.replaceAll(from, to);
  return report;
}

async function readRecords(): Promise<Record<string, ImageRecord>> {
  try {
    return JSON.parse(await Deno.readTextFile(jsonUrl));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw e;
  }
}

async function record(
  name: string,
  imagesDir: string,
  kernel: string,
  records: Record<string, ImageRecord>,
): Promise<boolean> {
  const image = `${imagesDir}/${name}`;
  const tmp = await Deno.makeTempDir({ prefix: "ramroot-real-" });
  try {
    const out = `${tmp}/report.txt`;
    const t0 = performance.now();
    const res = await new Deno.Command("bash", {
      args: [oracle, "-o", out, "--kernel", kernel, image],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    if (!res.success) {
      console.log(`FAIL ${name} (exit ${res.code}, ${secs}s)`);
      const err = new TextDecoder().decode(res.stderr).trimEnd().split("\n").slice(-15);
      console.log(err.map((l) => `  | ${l}`).join("\n"));
      return false;
    }
    const report = scrub(await Deno.readTextFile(out), [
      [tmp, "<tmp>"],
      [imagesDir, "<images>"],
      [fsPath(sharedDir), "<shared>"],
      [fsPath(repoRoot), "<repo>"],
    ]);
    await Deno.writeTextFile(new URL(`${name}.txt`, goldenDir), report);
    const field = (key: string) =>
      report.split("\n").find((l) => l.startsWith(`#${key}\t`))?.slice(key.length + 2) ?? "";
    let made = "";
    try {
      made = (await Deno.readTextFile(`${image}.made`)).trim();
    } catch {
      // an image copied from elsewhere: no description
    }
    records[name] = {
      size: (await Deno.stat(image)).size,
      sha256: await sha256(image),
      kernel: field("kernel"),
      kernelImage: field("kernel-image"),
      cmdline: field("cmdline"),
      command: `kernel-unpack.sh --kernel ${kernel} ${name}`,
      made,
    };
    const entries = field("entries");
    const kmsg = report.split("\n").filter((l) => /^#kmsg\t[0-3]\t/.test(l));
    const note = kmsg.length ? `  ${kmsg.map((l) => l.split("\t")[2]).join("; ")}` : "";
    console.log(`ok   ${name} (${entries} paths, ${secs}s)${note}`);
    return true;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function main(argv: string[]): Promise<number> {
  let series: Series = "6.1";
  let imagesDir = fsPath(new URL("images/", here));
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--kernel-series" && Object.hasOwn(SERIES, argv[i + 1] ?? "")) {
      series = argv[++i] as Series;
    } else if (a === "--images" && argv[i + 1] !== undefined) {
      imagesDir = argv[++i]!.replace(/\/$/, "");
    } else if (!a.startsWith("-") && (IMAGES as readonly string[]).includes(a)) {
      names.push(a);
    } else {
      console.error(
        `bad argument: ${a} (--kernel-series ${Object.keys(SERIES).join("|")}, --images DIR, ` +
          `images: ${IMAGES.join(" ")})`,
      );
      return 2;
    }
  }
  const kernel = await findKernel(series);
  console.log(`kernel ${kernel}, images from ${imagesDir}`);
  await Deno.mkdir(goldenDir, { recursive: true });
  const records = await readRecords();
  let failed = 0;
  const todo = names.length ? names : [...IMAGES];
  for (const name of todo) {
    if (!(await record(name, imagesDir, kernel, records))) failed++;
    // written after each image, so an interrupted run keeps what it recorded
    const sorted = Object.fromEntries(IMAGES.filter((n) => records[n]).map((n) => [n, records[n]]));
    await Deno.writeTextFile(jsonUrl, JSON.stringify(sorted, null, 2) + "\n");
  }
  console.log(`${todo.length - failed} recorded, ${failed} failed`);
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
