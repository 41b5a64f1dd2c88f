// Side by side on real compressed initramfs images: `ramroot unpack` (the
// whole process, into memory) against bsdtar and a decompressor piped into
// GNU cpio, each extracting into a fresh directory on /dev/shm, plus the
// decompressor alone. One hyperfine run per image; peak RSS of ramroot from
// /usr/bin/time -v against the budget 1.3 × decompressed size + 64 MiB.
//
//   deno run -A bench/compare_real.ts [--runs N] [IMAGE...]
//
// Without IMAGE: the Debian installer's initrd.gz (debian-installer-12-netboot-amd64)
// and the mkinitramfs images of tests/real/make-images.sh, when present.
// Needs hyperfine, bsdtar, cpio, gzip/zstd/xz... and time; installs nothing.

import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "10" },
    scratch: { type: "string", default: "/dev/shm/ramroot-bench-real" },
  },
});
const RUNS = Number(values.runs);
const SCRATCH = values.scratch;
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const RESULTS = new URL("./results/", import.meta.url).pathname;
const DENO = Deno.execPath();
const MIB = 1024 * 1024;

// tests/real/make-images.sh's output (RAMROOT_REAL_IMAGES, as for the tests)
const REAL = Deno.env.get("RAMROOT_REAL_IMAGES")?.replace(/\/?$/, "/") ??
  new URL("../tests/real/images/", import.meta.url).pathname;
const DEFAULT_IMAGES = [
  "/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/initrd.gz",
  `${REAL}mkinitramfs-zstd.img`,
  `${REAL}mkinitramfs-gzip.img`,
];

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

// the command that writes the image's cpio stream to stdout
const DECOMPRESSORS: Record<string, string> = {
  gzip: "gzip -dc",
  zstd: "zstd -dcq",
  xz: "xz -dc",
  lzma: "xz -dc --format=lzma",
  bzip2: "bzip2 -dc",
  lz4: "lz4 -dc",
  lzo: "lzop -dc",
};

interface Segment {
  offset: number;
  length: number;
  compression: string;
  output: number;
}

async function segmentsOf(image: string): Promise<{ segments: Segment[]; size: number }> {
  const r = await new Deno.Command(DENO, {
    args: ["run", "-A", CLI, "segments", "--json", image],
    stdout: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(r.stdout));
}

async function peakRss(argv: string[]): Promise<number> {
  let peak = 0;
  for (let k = 0; k < 3; k++) {
    const p = await new Deno.Command("/usr/bin/time", {
      args: ["-v", ...argv],
      stdout: "null",
      stderr: "piped",
    }).output();
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(
      new TextDecoder().decode(p.stderr),
    );
    if (!m) throw new Error(`/usr/bin/time failed for ${argv.join(" ")}`);
    peak = Math.max(peak, Number(m[1]) * 1024);
  }
  return peak;
}

await Deno.mkdir(RESULTS, { recursive: true });
const images = positionals.length > 0 ? positionals : DEFAULT_IMAGES.filter((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});
const report: unknown[] = [];
for (const image of images) {
  const { segments, size } = await segmentsOf(image);
  const decompressed = segments.reduce((a, s) => a + s.output, 0);
  const members = segments.filter((s) => s.compression !== "none");
  // the baseline pipeline: plain segments with cat, members with their decompressor
  const parts = segments.map((s) => {
    const cut = `tail -c +${s.offset + 1} ${q(image)} | head -c ${s.length}`;
    return s.compression === "none" ? cut : `${cut} | ${DECOMPRESSORS[s.compression]}`;
  });
  const stream = parts.length === 1 && segments[0]!.offset === 0 &&
      segments[0]!.length === size
    ? (segments[0]!.compression === "none"
      ? `cat ${q(image)}`
      : `${DECOMPRESSORS[segments[0]!.compression]} < ${q(image)}`)
    : `{ ${parts.join("; ")}; }`;
  const dir = q(SCRATCH);
  const prepare = `rm -rf ${dir} && mkdir -p ${dir}`;
  const cmds: [string, string][] = [
    ["ramroot unpack", `${q(DENO)} run -A ${q(CLI)} unpack --quiet ${q(image)}`],
    ["bsdtar -xf", `cd ${dir} && bsdtar -xf ${q(image)}`],
    [`decompress | cpio -idm`, `cd ${dir} && ${stream} | cpio -idm --quiet`],
    [`decompress > /dev/null`, `${stream} > /dev/null`],
  ];
  const json = `${RESULTS}hyperfine-real-${image.split("/").pop()}.json`;
  const args = ["--warmup", "1", "--runs", String(RUNS), "--export-json", json, "--style", "basic"];
  args.push("--prepare", prepare, "--cleanup", `rm -rf ${dir}`);
  for (const [n, c] of cmds) args.push("-n", n, c);
  console.error(`\n== ${image}: ${size} bytes, ${members.map((m) => m.compression).join("+")}`);
  const child = new Deno.Command("hyperfine", { args, stdout: "piped", stderr: "inherit" }).spawn();
  await child.stdout.pipeTo(Deno.stderr.writable, { preventClose: true });
  await child.status;
  const data = JSON.parse(await Deno.readTextFile(json)) as { results: { median: number }[] };
  const rss = await peakRss([DENO, "run", "-A", CLI, "unpack", "--quiet", image]);
  const budget = 1.3 * decompressed + 64 * MIB;
  const row = {
    image,
    size,
    decompressed,
    members: members.map((m) => m.compression),
    medians: Object.fromEntries(cmds.map(([n], k) => [n, data.results[k]!.median])),
    ramrootPeakRss: rss,
    rssBudget: budget,
    withinBudget: rss <= budget,
  };
  report.push(row);
  console.log(
    `\n${image} (${(size / 1e6).toFixed(1)} MB -> ${(decompressed / 1e6).toFixed(1)} MB)`,
  );
  for (const [n] of cmds) console.log(`  ${n.padEnd(26)} ${row.medians[n]!.toFixed(3)} s`);
  console.log(
    `  ramroot peak RSS           ${(rss / MIB).toFixed(1)} MiB (budget ${
      (budget / MIB).toFixed(1)
    } MiB: ${row.withinBudget ? "met" : "MISSED"})`,
  );
}
await Deno.writeTextFile(
  `${RESULTS}compare-real-latest.json`,
  JSON.stringify(report, null, 2) + "\n",
);
