// Records what a real Linux kernel makes of each case in cases.ts: writes the
// case's archives to a temporary directory, boots them with the kernel oracle
// (../shared/oracle/kernel-unpack.sh, relative to the repository root) and
// stores its full report as golden/<name>.txt (6.1) or golden-6.12/<name>.txt.
//
//   deno run -A tests/kernel/record.ts [--kernel-series 6.1|6.12] [NAME...]
//   deno run -A tests/kernel/record.ts --list
//
// The kernel is chosen explicitly, never the oracle's default (the newest
// installed one): the newest /boot/vmlinuz-<series>.* of the series asked for
// (default 6.1). One boot at a time (qemu with software emulation, 6-20 s
// each). A case whose boot fails keeps its old golden file; the exit status
// is then 1.

import { cases, type KernelCase } from "./cases.ts";

const repoRoot = new URL("../../", import.meta.url);
const sharedDir = new URL("../shared/", repoRoot);

/** Kernel series with a golden directory each. */
export const SERIES = {
  "6.1": new URL("golden/", import.meta.url),
  "6.12": new URL("golden-6.12/", import.meta.url),
} as const;
export type Series = keyof typeof SERIES;

const BOOT_DIR = "/boot";

function fsPath(u: URL): string {
  return decodeURIComponent(u.pathname).replace(/\/$/, "");
}

const oracle = fsPath(new URL("oracle/kernel-unpack.sh", sharedDir));

/** Compares dotted version strings (with -/+ separated parts) numerically. */
function versionCompare(a: string, b: string): number {
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "";
    const y = pb[i] ?? "";
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    const d = !isNaN(nx) && !isNaN(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
    if (d !== 0) return d;
  }
  return 0;
}

/** The newest kernel image of a series in /boot (`vmlinuz-6.1.*` is not `vmlinuz-6.12.*`). */
export async function findKernel(series: Series): Promise<string> {
  const prefix = `vmlinuz-${series}.`;
  const found: string[] = [];
  for await (const e of Deno.readDir(BOOT_DIR)) {
    if (e.name.startsWith(prefix) && (e.isFile || e.isSymlink)) found.push(e.name);
  }
  if (!found.length) {
    throw new Error(`no ${BOOT_DIR}/${prefix}* (install Debian's linux-image-${series}-amd64)`);
  }
  found.sort((a, b) => versionCompare(a.slice(8), b.slice(8)));
  return `${BOOT_DIR}/${found.at(-1)}`;
}

/** Replaces host paths that could leak into a report with fixed placeholders. */
function scrub(report: string, tmp: string): string {
  const swaps: [string, string][] = [
    [tmp, "<tmp>"],
    [fsPath(sharedDir), "<shared>"],
    [fsPath(repoRoot), "<repo>"],
  ];
  for (const [from, to] of swaps) report = report.replaceAll(from, to);
  return report;
}

async function record(c: KernelCase, kernel: string, goldenDir: URL): Promise<boolean> {
  const tmp = await Deno.makeTempDir({ prefix: "ramroot-kernel-" });
  try {
    const files: string[] = [];
    let total = 0;
    for (const [i, a] of c.build().entries()) {
      const f = `${tmp}/${c.name}.${i + 1}.cpio`;
      await Deno.writeFile(f, a);
      files.push(f);
      total += a.length;
    }
    const out = `${tmp}/report.txt`;
    const args = [oracle, "-o", out, "--kernel", kernel];
    if (c.mem !== undefined) args.push("--mem", c.mem);
    args.push(...files);
    if (c.kernelArgs?.length) args.push("--", ...c.kernelArgs);
    const t0 = performance.now();
    const res = await new Deno.Command("bash", { args, stdout: "piped", stderr: "piped" })
      .output();
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    const err = new TextDecoder().decode(res.stderr);
    if (!res.success) {
      console.log(`FAIL ${c.name} (exit ${res.code}, ${secs}s)`);
      console.log(err.trimEnd().split("\n").slice(-15).map((l) => `  | ${l}`).join("\n"));
      return false;
    }
    const report = scrub(await Deno.readTextFile(out), tmp);
    await Deno.writeTextFile(new URL(`${c.name}.txt`, goldenDir), report);
    const kmsg = report.split("\n").filter((l) => /^#kmsg\t[0-3]\t/.test(l));
    const note = kmsg.length ? `  ${kmsg.map((l) => l.split("\t")[2]).join("; ")}` : "";
    console.log(`ok   ${c.name} (${files.length} archive(s), ${total} B, ${secs}s)${note}`);
    return true;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function main(argv: string[]): Promise<number> {
  const seen = new Set<string>();
  for (const c of cases) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(c.name) || seen.has(c.name)) {
      throw new Error(`bad or duplicate case name: ${c.name}`);
    }
    seen.add(c.name);
  }
  if (argv.includes("--list")) {
    for (const c of cases) console.log(`${c.name}\t${c.about}`);
    return 0;
  }
  let series: Series = "6.1";
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = a === "--kernel-series"
      ? argv[++i]
      : a.startsWith("--kernel-series=")
      ? a.slice(16)
      : undefined;
    if (v === undefined && !a.startsWith("-")) {
      names.push(a);
    } else if (v !== undefined && Object.hasOwn(SERIES, v)) {
      series = v as Series;
    } else {
      console.error(
        `bad option: ${[a, v ?? ""].join(" ").trim()} (--kernel-series ${
          Object.keys(SERIES).join("|")
        })`,
      );
      return 2;
    }
  }
  argv = names;
  const unknown = argv.filter((n) => !seen.has(n));
  if (unknown.length) {
    console.error(`unknown case(s): ${unknown.join(" ")} (--list shows the names)`);
    return 2;
  }
  const todo = argv.length ? cases.filter((c) => argv.includes(c.name)) : cases;
  const kernel = await findKernel(series);
  const goldenDir = SERIES[series];
  console.log(`kernel ${kernel} -> ${fsPath(goldenDir).slice(fsPath(repoRoot).length + 1)}/`);
  await Deno.mkdir(goldenDir, { recursive: true });
  const t0 = performance.now();
  let failed = 0;
  for (const c of todo) if (!(await record(c, kernel, goldenDir))) failed++;
  const mins = ((performance.now() - t0) / 60000).toFixed(1);
  console.log(`${todo.length - failed} recorded, ${failed} failed, ${mins} min`);
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
