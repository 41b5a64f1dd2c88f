/**
 * The ramroot command line: `unpack`, `list`, `pack`, `manifest`.
 *
 * ```sh
 * deno run -A cli.ts unpack            # the built-in sample, with its tree
 * deno run -A cli.ts unpack initrd.img
 * deno run -A cli.ts manifest --no-hash initrd.img
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  boot,
  bytesOf,
  compareDesigns,
  containerLeak,
  CpioError,
  type Design,
  DESIGNS,
  escapeBytes,
  formatBoot,
  formatCompare,
  formatLeak,
  FsError,
  handoff,
  type HandoffTool,
  type ListEntry,
  listSource,
  manifest,
  mountRealRoot,
  packList,
  populateRootfs,
  type ProfileName,
  PROFILES,
  type RootDevice,
  rootDeviceFrom,
  runOps,
  sampleImage,
  type Superblock,
  type UnpackSource,
} from "./mod.ts";

/** Where the CLI writes and reads; tests pass their own. */
export interface CliIo {
  /** Standard output. */
  stdout: (text: string) => void;
  /** Standard error. */
  stderr: (text: string) => void;
  /** Standard input, for `-`. */
  stdin: () => ReadableStream<Uint8Array>;
}

const enc = new TextEncoder();

function denoIo(): CliIo {
  return {
    stdout: (t) => writeAll(Deno.stdout, t),
    stderr: (t) => writeAll(Deno.stderr, t),
    stdin: () => Deno.stdin.readable,
  };
}

let pipeClosed = false;

function writeAll(w: { writeSync(p: Uint8Array): number }, text: string): void {
  // `ramroot list IMAGE | head`: the reader went away, the rest is not wanted
  if (pipeClosed) return;
  let b = enc.encode(text);
  try {
    while (b.length > 0) b = b.subarray(w.writeSync(b));
  } catch (e) {
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
    pipeClosed = true;
  }
}

const USAGE = `Usage: ramroot COMMAND [OPTIONS]

Commands:
  unpack [IMAGE...]     unpack as the kernel would (after its built-in initramfs)
                        and print a summary; no IMAGE: a built-in sample
      --tree            also print the tree    --quiet   print only errors
      --profile P       linux-6.1 (default), linux-6.12, linux-6.18, linux-7.0
      --cmdline WORDS   kernel command line (root= makes rootfs a ramfs)
      --single-thread   decode large members on this thread too
  list IMAGE            cpio -tv style listing of every archive in IMAGE [--json]
  segments [IMAGE...]   the image's members as the kernel walks them: offset,
                        length, compression, decompressed size, archives and
                        entries inside, and where the kernel stops and why
      --json --profile P --cmdline WORDS
  pack LIST -o OUT      build an archive from a gen_init_cpio list
      --format newc|crc  --mtime N  --align N
  manifest IMAGE...     the kernel oracle's path lines for the tree the kernel
                        would build, then #kmsg lines
      --profile P --cmdline WORDS --build-time N --boot-time N
      --rootfs-size SIZE --no-hash
  ops SCRIPT.ops         run a script of mount operations (the oracle's ops
                        language) against the model; prints what mount-ops.sh
                        or kernel-unpack.sh --ops prints; exit 3 on a mismatch
      --root sandbox|rootfs  a host's private tmpfs sandbox (default) or the
                        kernel's initramfs root (the rootfs after --initrd)
      --profile P       linux-6.18 (sandbox default), linux-6.1 (rootfs default)
      --initrd IMAGE    unpacked into rootfs first (repeatable)
      --cmdline WORDS   kernel command line (rootfs tmpfs or ramfs)
      --design D        how the root was built (with --root rootfs): legacy,
                        user-root, user-root-v6, user-root-v7, nullfs
  boot [IMAGE...]       boot as the kernel would, from the images to PID 1: the
                        kernel's log, init with its argv and envp, mountinfo;
                        no IMAGE: the built-in sample; exit 4 on a kernel panic
      --design D        legacy (default; nullfs on linux-7.0), user-root,
                        user-root-v6, user-root-v7, nullfs
      --profile P --cmdline WORDS --boot-time N
      --builtin CPIO    the built-in initramfs (default: the profile's list)
      --root-device PATH  a cpio image or a directory: the device root= names
                        (mounted by prepare_namespace when there is no init)
      --root-type T     its filesystem type (default ext4)
      --handoff TOOL    then switch to the root on /sysroot as TOOL does:
                        util-linux, busybox, systemd, runc, runc-no-pivot
      --compare         every design side by side: mountinfo, pivot_root,
                        each tool's hand-off, what the old root still holds
      --json
  scenario container-leak  a host on design D starts containers, unmounts a
                        USB stick and removes a dead container's netns: which
                        namespaces still pin what
      --design D --profile P --containers N --json
  IMAGE and SCRIPT may be - for standard input.
`;

/**
 * Runs the CLI with `args`; resolves to the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@ramroot/ramroot/cli";
 * let out = "";
 * const code = await main(["unpack", "--quiet"], {
 *   stdout: (t) => out += t, stderr: (t) => out += t, stdin: () => new Blob([]).stream(),
 * });
 * assert.equal(code, 0);
 * assert.equal(out, "");
 * ```
 */
export async function main(args: string[], io: CliIo = denoIo()): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "unpack":
        return await cmdUnpack(rest, io);
      case "segments":
        return await cmdSegments(rest, io);
      case "list":
        return await cmdList(rest, io);
      case "pack":
        return await cmdPack(rest, io);
      case "manifest":
        return await cmdManifest(rest, io);
      case "ops":
        return await cmdOps(rest, io);
      case "boot":
        return await cmdBoot(rest, io);
      case "scenario":
        return await cmdScenario(rest, io);
      case undefined:
      case "help":
      case "-h":
      case "--help":
        io.stdout(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.stderr(`ramroot: unknown command "${command}"\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof CpioError || e instanceof FsError || e instanceof RangeError) {
      io.stderr(`ramroot: ${e.message}\n`);
      return 1;
    }
    if (e instanceof TypeError && /Unknown option|Unexpected argument|requires/.test(e.message)) {
      io.stderr(`ramroot: ${e.message}\n`);
      return 2;
    }
    if (e instanceof Deno.errors.NotFound) {
      io.stderr(`ramroot: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

function sourceOf(arg: string, io: CliIo): UnpackSource {
  return arg === "-" ? io.stdin() : arg;
}

function profileOf(v: string | undefined, fallback: ProfileName = "linux-6.1"): ProfileName {
  const p = (v ?? fallback) as ProfileName;
  const names = Object.keys(PROFILES);
  if (!names.includes(p)) {
    throw new RangeError(`Unknown profile "${v}": expected one of ${names.join(", ")}`);
  }
  return p;
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new RangeError(`Invalid ${name} "${v}": expected an integer`);
  return n;
}

async function cmdUnpack(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      tree: { type: "boolean" },
      quiet: { type: "boolean" },
      "single-thread": { type: "boolean" },
      profile: { type: "string" },
      cmdline: { type: "string" },
    },
  });
  const sample = positionals.length === 0;
  const images: UnpackSource[] = sample ? [sampleImage()] : positionals.map((a) => sourceOf(a, io));
  const t0 = performance.now();
  const root = await populateRootfs(images, {
    profile: profileOf(values.profile),
    cmdline: values.cmdline ?? "",
    ...(values["single-thread"] ? { threads: false } : {}),
  });
  const ms = performance.now() - t0;
  if (values.quiet) {
    if (root.error) io.stderr(`ramroot: ${root.error.message}\n`);
    return root.error ? 1 : 0;
  }
  const r = root.initrd;
  const what = sample ? "built-in sample" : positionals.join(" + ");
  let out = `ramroot unpack: ${what}\n`;
  if (r) {
    const c = r.counts;
    out += `  read      ${r.inputBytes} bytes${
      r.segments.some((s) => s.compression !== "none")
        ? ` (${
          r.segments.filter((s) => s.compression !== "none").map((s) =>
            s.compression
          ).join(", ")
        } members)`
        : ""
    }\n`;
    out +=
      `  entries   ${r.entries} headers: ${c.files} files, ${c.dirs} dirs, ${c.symlinks} symlinks, ` +
      `${c.hardlinks} hard links, ${c.devices} devices, ${c.fifos} fifos, ${c.sockets} sockets, ` +
      `${c.trailers} trailers, ${c.skipped} skipped\n`;
    out += `  data      ${r.dataBytes} bytes of file data\n`;
    if (r.warningCount) {
      out += `  warnings  ${r.warningCount} (entries the kernel skips silently)\n`;
      for (const w of r.warnings.slice(-10)) {
        out += `    ${w.code} entry ${w.entry} at offset ${w.offset}${
          w.errno ? ` (${w.errno})` : ""
        }\n`;
      }
    }
  }
  out +=
    `  rootfs    ${root.fs.fstype} ${root.fs.options}; ${root.fs.statfs().usedBlocks} pages, ` +
    `${root.fs.statfs().usedFiles} inodes\n`;
  out += `  time      ${ms.toFixed(1)} ms\n`;
  out += `kernel log:\n`;
  for (const m of root.messages) out += `  <${m.level}> ${m.text}\n`;
  io.stdout(out);
  if (values.tree || sample) io.stdout(tree(root.fs));
  return root.error ? 1 : 0;
}

const modeStrings = new Map<number, string>();

function modeString(mode: number): string {
  let s = modeStrings.get(mode);
  if (s === undefined) {
    s = formatMode(mode);
    modeStrings.set(mode, s);
  }
  return s;
}

function formatMode(mode: number): string {
  const types: Record<number, string> = {
    0o140000: "s",
    0o120000: "l",
    0o100000: "-",
    0o060000: "b",
    0o040000: "d",
    0o020000: "c",
    0o010000: "p",
  };
  let s = types[mode & 0o170000] ?? "?";
  const rwx = "rwxrwxrwx";
  for (let k = 0; k < 9; k++) s += mode & (1 << (8 - k)) ? rwx[k] : "-";
  const a = s.split("");
  if (mode & 0o4000) a[3] = a[3] === "x" ? "s" : "S";
  if (mode & 0o2000) a[6] = a[6] === "x" ? "s" : "S";
  if (mode & 0o1000) a[9] = a[9] === "x" ? "t" : "T";
  return a.join("");
}

function tree(fs: Superblock): string {
  let out = "";
  for (const e of fs.walk("/")) {
    const s = e.stat;
    const depth = e.path === "/" ? 0 : e.pathBytes.filter((b) => b === 0x2f).length;
    const name = e.path === "/"
      ? "/"
      : escapeBytes(e.pathBytes.subarray(e.pathBytes.lastIndexOf(0x2f) + 1));
    const extra = s.type === "l"
      ? ` -> ${escapeBytes(fs.readlinkBytes(e.pathBytes))}`
      : s.rdev
      ? ` ${s.rdev.major}:${s.rdev.minor}`
      : s.type === "f"
      ? ` ${s.size}`
      : "";
    const links = s.type !== "d" && s.nlink > 1 ? ` [${s.nlink} links]` : "";
    out += `${modeString(s.mode)} ${String(s.uid).padStart(4)}:${String(s.gid).padEnd(4)} ${
      "  ".repeat(depth)
    }${name}${extra}${links}\n`;
  }
  return out;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const dates = new Map<number, string>();

// cpio -tv's date column, in UTC ("Sep 13  2020"); most entries share a few mtimes
function dateOf(mtime: number): string {
  const day = Math.floor(mtime / 86400);
  let s = dates.get(day);
  if (s === undefined) {
    const d = new Date(day * 86400000);
    s = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)}  ${d.getUTCFullYear()}`;
    dates.set(day, s);
  }
  return s;
}

function listLine(e: ListEntry): string {
  const size = e.type === "c" || e.type === "b"
    ? `${e.rdevMajor}, ${e.rdevMinor}`.padStart(8)
    : String(e.size).padStart(8);
  const target = e.target !== undefined ? ` -> ${e.target}` : "";
  return `${modeString(e.mode)} ${String(e.nlink).padStart(3)} ${String(e.uid).padEnd(8)} ${
    String(e.gid).padEnd(8)
  } ${size} ${dateOf(e.mtime)} ${escapeBytes(e.nameBytes)}${target}\n`;
}

async function cmdSegments(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      profile: { type: "string" },
      cmdline: { type: "string" },
    },
  });
  const sample = positionals.length === 0;
  const profile = profileOf(values.profile);
  // the whole boot-time unpack, so that the stop is where the kernel's is
  // (a full rootfs included)
  const images = sample ? [sampleImage()] : positionals.map((a) => sourceOf(a, io));
  const root = await populateRootfs(images, { profile, cmdline: values.cmdline ?? "" });
  const segments = root.initrd?.segments ?? [];
  const size = root.initrd?.inputBytes ?? 0;
  const e = root.error;
  const stop = e === null ? null : {
    message: e.kernelMessage,
    code: e.code,
    offset: e.offset,
    ...(e.member !== undefined ? { member: e.member } : {}),
  };
  if (values.json) {
    io.stdout(
      JSON.stringify({ image: positionals, size, profile, segments, stop }, null, 2) + "\n",
    );
    return e ? 1 : 0;
  }
  const rows = [
    ["#", "offset", "length", "compression", "output", "archives", "entries", "padding"],
  ];
  segments.forEach((g, i) => {
    rows.push([
      String(i + 1),
      String(g.offset),
      String(g.length),
      g.compression,
      String(g.output),
      String(g.archives),
      String(g.entries),
      String(g.padding),
    ]);
  });
  const widths = rows[0]!.map((_, k) => Math.max(...rows.map((r) => r[k]!.length)));
  const what = sample ? "built-in sample" : positionals.join(" + ");
  let out = `ramroot segments: ${what} (${size} bytes, ${profile})\n`;
  for (const r of rows) {
    out += "  " + r.map((c, k) => k === 3 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))
      .join("  ").trimEnd() +
      "\n";
  }
  if (stop === null) out += "kernel: unpacks the whole image\n";
  else {
    const where = stop.member !== undefined
      ? `offset ${stop.offset} of the member at ${stop.member}`
      : `offset ${stop.offset}`;
    out += `kernel: stops at ${where}: ${stop.message}\n`;
    const entry = e?.entry;
    if (entry?.name !== undefined) out += `  in entry ${entry.index} "${entry.name}"\n`;
  }
  io.stdout(out);
  return e ? 1 : 0;
}

async function cmdList(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" } },
  });
  if (positionals.length !== 1) {
    io.stderr("ramroot list: expected one IMAGE\n");
    return 2;
  }
  const lines: string[] = [];
  let size = 0;
  let error: CpioError | null = null;
  try {
    for await (const e of listSource(sourceOf(positionals[0]!, io))) {
      let line: string;
      if (values.json) {
        const { nameBytes: _n, ...rest } = e;
        line = JSON.stringify(rest) + "\n";
      } else {
        line = listLine(e);
      }
      lines.push(line);
      size += line.length;
      if (size >= 1 << 16) {
        io.stdout(lines.join(""));
        lines.length = 0;
        size = 0;
      }
    }
  } catch (e) {
    if (!(e instanceof CpioError)) throw e;
    error = e;
  }
  io.stdout(lines.join(""));
  if (error) {
    io.stderr(`ramroot: ${error.message}\n`);
    return 1;
  }
  return 0;
}

async function cmdPack(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      output: { type: "string", short: "o" },
      format: { type: "string" },
      mtime: { type: "string" },
      align: { type: "string" },
    },
  });
  if (positionals.length !== 1 || values.output === undefined) {
    io.stderr("ramroot pack: expected LIST -o OUT\n");
    return 2;
  }
  const format = values.format ?? "newc";
  if (format !== "newc" && format !== "crc") {
    throw new RangeError(`Invalid format "${format}": expected newc or crc`);
  }
  const listPath = positionals[0]!;
  const text = listPath === "-" ? await bytesOf(io.stdin()) : await Deno.readFile(listPath);
  const baseDir = listPath === "-" ? "." : listPath.replace(/[^/]*$/, "") || ".";
  const mtime = num(values.mtime, "mtime");
  const align = num(values.align, "align");
  const r = await packList(text, {
    format,
    baseDir,
    ...(mtime !== undefined ? { mtime } : {}),
    ...(align !== undefined ? { dataAlign: align } : {}),
  });
  for (const d of r.diagnostics) io.stderr(d.endsWith("\n") ? d : d + "\n");
  await Deno.writeFile(values.output, r.archive);
  return r.ok ? 0 : 1;
}

async function cmdManifest(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      profile: { type: "string" },
      cmdline: { type: "string" },
      "build-time": { type: "string" },
      "boot-time": { type: "string" },
      "rootfs-size": { type: "string" },
      "no-hash": { type: "boolean" },
    },
  });
  if (positionals.length === 0) {
    io.stderr("ramroot manifest: expected IMAGE...\n");
    return 2;
  }
  const buildTime = num(values["build-time"], "build time");
  const bootTime = num(values["boot-time"], "boot time");
  const root = await populateRootfs(positionals.map((a) => sourceOf(a, io)), {
    profile: profileOf(values.profile),
    cmdline: values.cmdline ?? "",
    ...(buildTime !== undefined ? { buildTime } : {}),
    ...(bootTime !== undefined ? { bootTime } : {}),
    ...(values["rootfs-size"] !== undefined ? { rootfsSize: values["rootfs-size"] } : {}),
  });
  let out = await manifest(root.fs, { hash: !values["no-hash"] });
  for (const m of root.messages) out += `#kmsg\t${m.level}\t${m.text}\n`;
  io.stdout(out);
  return 0;
}

async function cmdOps(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      root: { type: "string" },
      profile: { type: "string" },
      initrd: { type: "string", multiple: true },
      cmdline: { type: "string" },
      design: { type: "string" },
    },
  });
  if (positionals.length !== 1) {
    io.stderr("ramroot ops: expected one SCRIPT.ops\n");
    return 2;
  }
  const root = values.root ?? "sandbox";
  if (root !== "sandbox" && root !== "rootfs") {
    throw new RangeError(`Unknown root "${root}": expected sandbox or rootfs`);
  }
  if (root === "sandbox" && (values.initrd !== undefined || values.design !== undefined)) {
    throw new RangeError("--initrd and --design go with --root rootfs");
  }
  const design = values.design === undefined ? undefined : designOf(values.design);
  const script = await bytesOf(sourceOf(positionals[0]!, io));
  const out = await runOps(script, {
    root,
    ...(design !== undefined ? { design } : {}),
    profile: profileOf(
      values.profile,
      root === "sandbox" ? "linux-6.18" : design === "nullfs" ? "linux-7.0" : "linux-6.1",
    ),
    initrd: (values.initrd ?? []).map((a) => sourceOf(a, io)),
    cmdline: values.cmdline ?? "",
  });
  // the lines hold bytes as latin1 characters; names are shown as UTF-8
  const bytes = Uint8Array.from(out.lines.join("\n") + "\n", (c) => c.charCodeAt(0));
  io.stdout(new TextDecoder().decode(bytes));
  return out.mismatches > 0 ? 3 : 0;
}

function designOf(v: string): Design {
  if (!(DESIGNS as readonly string[]).includes(v)) {
    throw new RangeError(`Unknown design "${v}": expected one of ${DESIGNS.join(", ")}`);
  }
  return v as Design;
}

const TOOL_NAMES: readonly HandoffTool[] = [
  "util-linux",
  "busybox",
  "systemd",
  "runc",
  "runc-no-pivot",
];

async function cmdBoot(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      design: { type: "string" },
      profile: { type: "string" },
      cmdline: { type: "string" },
      "boot-time": { type: "string" },
      builtin: { type: "string" },
      "root-device": { type: "string" },
      "root-type": { type: "string" },
      handoff: { type: "string" },
      compare: { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  const design = values.design === undefined ? undefined : designOf(values.design);
  const images = positionals.length === 0
    ? [sampleImage()]
    : positionals.map((a) => sourceOf(a, io));
  const bootTime = num(values["boot-time"], "--boot-time") ?? 0;
  const builtin = values.builtin === undefined ? undefined : await Deno.readFile(values.builtin);
  const cmdline = values.cmdline ?? "";
  if (values.compare) {
    const cols = await compareDesigns({
      initrd: images,
      cmdline,
      bootTime,
      ...(values.profile !== undefined ? { profile: profileOf(values.profile) } : {}),
      ...(builtin !== undefined ? { builtin } : {}),
    });
    if (values.json) {
      io.stdout(
        JSON.stringify(
          cols.map((c) => ({
            design: c.design,
            profile: c.boot.profile.name,
            init: c.boot.init,
            panic: c.boot.panic,
            mountinfo: c.boot.mountinfo,
            hidden: c.hidden,
            pivotRoot: c.pivotRoot,
            detachRoot: c.detachRoot,
            handoffs: c.handoffs,
          })),
          null,
          2,
        ) + "\n",
      );
    } else io.stdout(formatCompare(cols));
    return 0;
  }
  let rootDevice: RootDevice | undefined;
  const devPath = values["root-device"];
  if (devPath !== undefined) {
    const root = /(?:^|\s)root=(\S+)/.exec(cmdline)?.[1] ?? "/dev/sda1";
    const st = await Deno.stat(devPath);
    rootDevice = await rootDeviceFrom(
      root,
      st.isDirectory ? { directory: devPath } : { image: devPath },
      values["root-type"] ?? "ext4",
    );
  }
  const r = await boot({
    ...(design !== undefined ? { design } : {}),
    ...(values.profile !== undefined
      ? { profile: profileOf(values.profile, design === "nullfs" ? "linux-7.0" : "linux-6.1") }
      : {}),
    cmdline,
    initrd: images,
    bootTime,
    ...(builtin !== undefined ? { builtin } : {}),
    ...(rootDevice !== undefined ? { rootDevice } : {}),
  });
  // the boot as it ended, before any hand-off changes the tree
  const bootText = formatBoot(r);
  let handed = undefined;
  if (values.handoff !== undefined && r.panic === null) {
    const tool = values.handoff as HandoffTool;
    if (!TOOL_NAMES.includes(tool)) {
      throw new RangeError(`Unknown tool "${tool}": expected one of ${TOOL_NAMES.join(", ")}`);
    }
    // the initramfs's init mounts the API filesystems and the real root first
    mountRealRoot(r, rootDevice);
    handed = handoff(r.task, tool, "/sysroot");
  }
  if (values.json) {
    io.stdout(
      JSON.stringify(
        {
          design: r.design,
          profile: r.profile.name,
          params: { ...r.params, messages: undefined },
          messages: r.messages,
          init: r.init,
          panic: r.panic,
          console: r.console,
          mountinfo: r.mountinfo,
          ...(handed !== undefined ? { handoff: handed } : {}),
        },
        null,
        2,
      ) + "\n",
    );
  } else {
    io.stdout(bootText);
    if (handed !== undefined) {
      io.stdout(`hand-off: ${handed.tool}${handed.ok ? "" : ` failed: ${handed.error}`}\n`);
      for (const st of handed.steps) {
        io.stdout(`  ${st.call} = ${st.result}${st.note ? `  (${st.note})` : ""}\n`);
      }
      const o = handed.oldRoot;
      io.stdout(
        `old root: ${o.fstype}, ${o.attached ? "still mounted" : "detached"}, ${
          o.visible ? "visible" : "not visible"
        }, ${o.bytes} bytes and ${o.inodes} inodes held\nmountinfo after:\n`,
      );
      for (const l of handed.mountinfo) io.stdout(`  ${l}\n`);
    }
  }
  return r.panic !== null ? 4 : 0;
}

async function cmdScenario(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      design: { type: "string" },
      profile: { type: "string" },
      containers: { type: "string" },
      json: { type: "boolean" },
    },
  });
  if (positionals.length !== 1 || positionals[0] !== "container-leak") {
    io.stderr("ramroot scenario: expected container-leak\n");
    return 2;
  }
  const design = designOf(values.design ?? "legacy");
  const n = num(values.containers, "--containers");
  if (n !== undefined && (n < 1 || n > 64)) {
    throw new RangeError(`--containers ${n}: expected 1 to 64`);
  }
  const r = await containerLeak({
    design,
    ...(values.profile !== undefined ? { profile: profileOf(values.profile) } : {}),
    ...(n !== undefined ? { containers: n } : {}),
  });
  io.stdout(values.json ? JSON.stringify(r, null, 2) + "\n" : formatLeak(r));
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
