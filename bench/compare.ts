// Side by side: `ramroot unpack` (whole process, into memory) against real
// extractors writing into tmpfs, and `ramroot list` against cpio listers.
// One hyperfine run per archive, so every tool meets the same page cache,
// the same CPU frequency and the same noise; peak RSS of the ramroot runs
// comes from /usr/bin/time -v.
//
//   deno run -A bench/compare.ts [--runs N] [--corpus DIR] [--scratch DIR]
//
// Needs hyperfine, cpio, bsdtar/bsdcpio (libarchive-tools), busybox and time;
// it installs nothing. Results: a table on stdout and
// bench/results/compare-<time>.json (plus compare-latest.json).
//
// ramroot runs with `--cmdline root=/dev/ram0`, i.e. a ramfs rootfs: the
// default rootfs is a tmpfs sized for the modelled 1 GiB machine
// (size=486444k, nr_inodes=121611), which neither archive fits in, exactly as
// on such a kernel. The baselines extract into an unlimited /dev/shm.

import { parseArgs } from "node:util";
import { type CorpusArchive, DEFAULT_DIR, makeCorpus } from "./make_corpus.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "10" },
    corpus: { type: "string", default: DEFAULT_DIR },
    scratch: { type: "string", default: "/dev/shm/ramroot-bench" },
    "rss-runs": { type: "string", default: "3" },
  },
});
const RUNS = Number(values.runs);
const RSS_RUNS = Number(values["rss-runs"]);
const SCRATCH = values.scratch;
const RESULTS = new URL("./results/", import.meta.url).pathname;
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const REPO = new URL("../", import.meta.url).pathname;
const DENO = Deno.execPath();
const MIB = 1024 * 1024;

/** Single-quotes a word for sh. */
function q(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { ok: r.success, out: (dec.decode(r.stdout) + dec.decode(r.stderr)).trim() };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { ok: false, out: "" };
    throw e;
  }
}

async function firstLine(cmd: string, args: string[]): Promise<string | null> {
  const r = await run(cmd, args);
  return r.out === "" ? null : r.out.split("\n")[0]!;
}

// ---- tools

const tools = {
  hyperfine: await firstLine("hyperfine", ["--version"]),
  time: (await run("/usr/bin/time", ["-V"])).out.split("\n")[0] || null,
  cpio: await firstLine("cpio", ["--version"]),
  bsdtar: await firstLine("bsdtar", ["--version"]),
  bsdcpio: await firstLine("bsdcpio", ["--version"]),
  busybox: (await firstLine("busybox", [])) ?? null,
};
const APT: Record<keyof typeof tools, string> = {
  hyperfine: "hyperfine",
  time: "time",
  cpio: "cpio",
  bsdtar: "libarchive-tools",
  bsdcpio: "libarchive-tools",
  busybox: "busybox",
};
const missing = (Object.keys(tools) as (keyof typeof tools)[]).filter((t) => tools[t] === null);
if (missing.includes("hyperfine") || missing.includes("time")) {
  console.error(
    `compare: needs hyperfine and /usr/bin/time: apt-get install ${
      [...new Set(missing.map((t) => APT[t]))].join(" ")
    }`,
  );
  Deno.exit(2);
}
for (const t of missing) {
  console.error(`compare: ${t} not found (apt package ${APT[t]}): its rows are skipped`);
}
const has = (t: keyof typeof tools) => tools[t] !== null;

// ---- machine

async function machine() {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const cpu = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const memKiB = Number(/^MemTotal:\s*(\d+)/m.exec(meminfo)?.[1] ?? 0);
  const config = JSON.parse(await Deno.readTextFile(REPO + "deno.json")) as {
    imports?: Record<string, string>;
  };
  const asc = config.imports?.["assemblyscript"]?.replace(/^npm:assemblyscript@/, "") ?? "unknown";
  const rev = (await run("git", ["-C", REPO, "rev-parse", "--short", "HEAD"])).out;
  const dirty =
    (await run("git", ["-C", REPO, "status", "--porcelain", "src", "wasm", "cli.ts", "mod.ts"]))
      .out !== "";
  return {
    nproc: navigator.hardwareConcurrency,
    cpu,
    memoryGiB: Math.round(memKiB / 1024 / 1024 * 10) / 10,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    assemblyscript: asc,
    revision: rev + (dirty ? "-dirty" : ""),
    tools,
  };
}

// ---- hyperfine

interface Cmd {
  name: string;
  command: string;
  /** What the rate is compared with: a baseline's name. */
  kind: "ramroot" | "baseline";
}

interface Row {
  name: string;
  command: string;
  median: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  times: number[];
}

async function hyperfine(label: string, cmds: Cmd[], prepare: string | null): Promise<Row[]> {
  const json = `${RESULTS}hyperfine-${label}.json`;
  const args = ["--warmup", "1", "--runs", String(RUNS), "--export-json", json, "--style", "basic"];
  if (prepare !== null) args.push("--prepare", prepare, "--cleanup", `rm -rf ${q(SCRATCH)}`);
  for (const c of cmds) args.push("-n", c.name, c.command);
  console.error(`\n== ${label}: hyperfine ${RUNS} runs`);
  // hyperfine's report goes to stderr, so stdout carries only the table
  const child = new Deno.Command("hyperfine", { args, stdout: "piped", stderr: "inherit" }).spawn();
  await child.stdout.pipeTo(Deno.stderr.writable, { preventClose: true });
  if (!(await child.status).success) throw new Error(`hyperfine failed for ${label}`);
  const data = JSON.parse(await Deno.readTextFile(json)) as {
    results: {
      command: string;
      median: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      times: number[];
    }[];
  };
  return data.results.map((r, k) => ({
    name: cmds[k]!.name,
    command: cmds[k]!.command,
    median: r.median,
    mean: r.mean,
    stddev: r.stddev,
    min: r.min,
    max: r.max,
    times: r.times,
  }));
}

// ---- peak RSS

interface Rss {
  name: string;
  command: string;
  maxRssKiB: number[];
  /** The largest peak of the runs. */
  peakBytes: number;
  archiveBytes: number;
  ratioToArchive: number;
  /** 1.2 × archive + 64 MiB. */
  budgetBytes: number;
  withinBudget: boolean;
}

async function peakRss(
  name: string,
  argv: string[],
  archiveBytes: number,
  prepare?: () => Promise<void>,
): Promise<Rss> {
  const kib: number[] = [];
  for (let k = 0; k < RSS_RUNS; k++) {
    await prepare?.();
    const p = await new Deno.Command("/usr/bin/time", {
      args: ["-v", ...argv],
      stdout: "null",
      stderr: "piped",
      cwd: SCRATCH,
    }).output();
    const err = new TextDecoder().decode(p.stderr);
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
    if (!p.success || !m) throw new Error(`${name}: /usr/bin/time failed:\n${err}`);
    kib.push(Number(m[1]));
  }
  const peakBytes = Math.max(...kib) * 1024;
  const budgetBytes = 1.2 * archiveBytes + 64 * MIB;
  return {
    name,
    command: argv.join(" "),
    maxRssKiB: kib,
    peakBytes,
    archiveBytes,
    ratioToArchive: peakBytes / archiveBytes,
    budgetBytes,
    withinBudget: peakBytes <= budgetBytes,
  };
}

async function freshScratch(): Promise<void> {
  await Deno.remove(SCRATCH, { recursive: true }).catch(() => {});
  await Deno.mkdir(SCRATCH, { recursive: true });
}

// ---- the runs

const loadavg = async () =>
  (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ").slice(0, 3).join(" ");
const info = await machine();
const loadBefore = await loadavg();
console.error(
  `machine: ${info.nproc} cores, ${info.cpu}, ${info.memoryGiB} GiB, Linux ${info.kernel}; ` +
    `deno ${info.deno}, AssemblyScript ${info.assemblyscript}, ramroot ${info.revision}`,
);
await Deno.mkdir(RESULTS, { recursive: true });
const corpus = await makeCorpus(values.corpus);
const byName = Object.fromEntries(corpus.map((a) => [a.name, a])) as Record<
  "small" | "big",
  CorpusArchive
>;

const prepare = `rm -rf ${q(SCRATCH)} && mkdir -p ${q(SCRATCH)}`;
const ramrootUnpack = (
  a: string,
) => [DENO, "run", "-A", CLI, "unpack", "--quiet", "--cmdline", "root=/dev/ram0", a];

function unpackCmds(a: CorpusArchive): Cmd[] {
  const arc = q(a.path);
  const dir = q(SCRATCH);
  const cmds: Cmd[] = [{
    name: "ramroot unpack",
    command: ramrootUnpack(a.path).map(q).join(" "),
    kind: "ramroot",
  }];
  if (has("cpio")) {
    cmds.push({
      name: "GNU cpio -idm",
      command: `cd ${dir} && cpio -idm --quiet < ${arc}`,
      kind: "baseline",
    });
  }
  if (has("busybox")) {
    cmds.push({
      name: "busybox cpio -idm",
      command: `cd ${dir} && busybox cpio -idm < ${arc}`,
      kind: "baseline",
    });
  }
  if (has("bsdtar")) {
    cmds.push({ name: "bsdtar -xf", command: `bsdtar -xf ${arc} -C ${dir}`, kind: "baseline" });
  }
  return cmds;
}

function listCmds(a: CorpusArchive): Cmd[] {
  const arc = q(a.path);
  const cmds: Cmd[] = [{
    name: "ramroot list",
    command: `${[DENO, "run", "-A", CLI, "list", a.path].map(q).join(" ")} > /dev/null`,
    kind: "ramroot",
  }];
  if (has("bsdcpio")) {
    cmds.push({
      name: "bsdcpio -it",
      command: `bsdcpio -it < ${arc} > /dev/null 2>&1`,
      kind: "baseline",
    });
  }
  if (has("bsdtar")) {
    cmds.push({ name: "bsdtar -tf", command: `bsdtar -tf ${arc} > /dev/null`, kind: "baseline" });
  }
  if (has("cpio")) {
    cmds.push({
      name: "GNU cpio -it",
      command: `cpio -it --quiet < ${arc} > /dev/null`,
      kind: "baseline",
    });
  }
  return cmds;
}

const groups: {
  label: string;
  archive: CorpusArchive;
  what: "unpack" | "list";
  rows: Row[];
}[] = [];
for (const name of ["small", "big"] as const) {
  const a = byName[name];
  groups.push({
    label: `unpack-${name}`,
    archive: a,
    what: "unpack",
    rows: await hyperfine(`unpack-${name}`, unpackCmds(a), prepare),
  });
}
groups.push({
  label: "list-small",
  archive: byName.small,
  what: "list",
  rows: await hyperfine("list-small", listCmds(byName.small), null),
});
// fixed cost of every ramroot run: start-up, WebAssembly compile, built-in initramfs
const startup = await hyperfine("startup", [{
  name: "ramroot unpack (built-in sample only)",
  command: [DENO, "run", "-A", CLI, "unpack", "--quiet"].map(q).join(" "),
  kind: "ramroot",
}], null);

console.error(`\n== peak RSS (/usr/bin/time -v, ${RSS_RUNS} runs each)`);
await freshScratch();
const rss: Rss[] = [];
for (const name of ["small", "big"] as const) {
  const a = byName[name];
  rss.push(await peakRss(`ramroot unpack ${name}`, ramrootUnpack(a.path), a.stats.archiveBytes));
  if (has("cpio")) {
    rss.push(
      await peakRss(
        `GNU cpio -idm ${name}`,
        ["sh", "-c", `cpio -idm --quiet < ${q(a.path)}`],
        a.stats.archiveBytes,
        freshScratch,
      ),
    );
  }
}
rss.push(
  await peakRss(
    "ramroot list small",
    [DENO, "run", "-A", CLI, "list", byName.small.path],
    byName.small.stats.archiveBytes,
  ),
);
await Deno.remove(SCRATCH, { recursive: true }).catch(() => {});

// ---- report

const loadAfter = await loadavg();
const TARGETS = {
  "unpack-small": { baseline: "GNU cpio -idm", factor: 10 },
  "unpack-big": { baseline: "busybox cpio -idm", factor: 1 },
  "list-small": { baseline: "bsdcpio -it", factor: 1 },
} as const;

const fmt = (n: number, d = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
let table = "";
const line = (cells: string[], widths: number[]) =>
  cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join("  ") + "\n";
const W = [24, 10, 10, 12, 30];
const verdicts: { target: string; measured: string; met: boolean }[] = [];
for (const g of groups) {
  const a = g.archive;
  const count = g.what === "unpack" ? a.stats.files : a.stats.entries;
  table += `\n${g.label}: ${a.name}.cpio, ${fmt(a.stats.archiveBytes / 1e6, 1)} MB, ` +
    `${fmt(a.stats.files)} files, ${fmt(a.stats.entries)} headers\n`;
  table += line([
    "command",
    "median s",
    "MB/s",
    g.what === "unpack" ? "files/s" : "headers/s",
    "ramroot rate ÷ this",
  ], W);
  const ours = g.rows.find((r) => r.name.startsWith("ramroot"))!;
  for (const r of g.rows) {
    table += line([
      r.name,
      fmt(r.median, 3),
      fmt(a.stats.archiveBytes / 1e6 / r.median, 0),
      fmt(count / r.median, 0),
      r === ours ? "" : `${fmt(r.median / ours.median, 2)}×`,
    ], W);
  }
  const t = TARGETS[g.label as keyof typeof TARGETS];
  const base = g.rows.find((r) => r.name === t.baseline);
  if (base) {
    const ratio = base.median / ours.median;
    verdicts.push({
      target: `${g.label}: ramroot rate ≥ ${t.factor}× ${t.baseline}`,
      measured: `${fmt(ratio, 2)}×`,
      met: ratio >= t.factor,
    });
  }
}
table += `\nstart-up (deno, WebAssembly compile, built-in initramfs): median ${
  fmt(startup[0]!.median, 3)
} s\n`;
table += `\npeak RSS (max of ${RSS_RUNS} runs)\n`;
const RW = [24, 12, 12, 14, 8];
table += line(["command", "RSS MiB", "archive MiB", "budget MiB", "RSS ÷ archive"], RW);
for (const r of rss) {
  table += line([
    r.name,
    fmt(r.peakBytes / MIB, 0),
    fmt(r.archiveBytes / MIB, 0),
    r.name.startsWith("ramroot unpack") ? fmt(r.budgetBytes / MIB, 0) : "",
    fmt(r.ratioToArchive, 2),
  ], RW);
  if (r.name.startsWith("ramroot unpack")) {
    verdicts.push({
      target: `${r.name}: peak RSS ≤ 1.2 × archive + 64 MiB (${fmt(r.budgetBytes / MIB, 0)} MiB)`,
      measured: `${fmt(r.peakBytes / MIB, 0)} MiB`,
      met: r.withinBudget,
    });
  }
}
table += "\ntargets\n";
for (const v of verdicts) {
  table += `  ${v.met ? "met    " : "MISSED "} ${v.target}: ${v.measured}\n`;
}
table +=
  `\nmachine: ${info.nproc} cores, ${info.cpu}, ${info.memoryGiB} GiB, Linux ${info.kernel}; ` +
  `deno ${info.deno} (V8 ${info.v8}), AssemblyScript ${info.assemblyscript}, ramroot ${info.revision}\n` +
  `load average: ${loadBefore} before, ${loadAfter} after\n`;
console.log(table);

const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const report = {
  date: new Date().toISOString(),
  machine: info,
  loadavg: { before: loadBefore, after: loadAfter },
  runs: RUNS,
  scratch: SCRATCH,
  corpus: corpus.map(({ path: _p, ...rest }) => rest),
  groups: groups.map((g) => ({ label: g.label, archive: g.archive.name, rows: g.rows })),
  startup: startup[0],
  rss,
  targets: verdicts,
};
const body = JSON.stringify(report, null, 2) + "\n";
await Deno.writeTextFile(`${RESULTS}compare-${stamp}.json`, body);
await Deno.writeTextFile(`${RESULTS}compare-latest.json`, body);
console.error(`wrote ${RESULTS}compare-${stamp}.json`);
