// What `ramroot boot`, `boot --compare` and `scenario container-leak` print,
// and the side-by-side comparison of the designs.

import type { KernelProfile, ProfileName } from "../profile.ts";
import { bytesOf, type UnpackSource } from "../unpack.ts";
import { CoreFs } from "../vfs/fs.ts";
import { MNT } from "../vfs/mount.ts";
import {
  boot,
  type BootOptions,
  type BootResult,
  type Design,
  DESIGNS,
  type RootDevice,
} from "./boot.ts";
import { handoff, type HandoffResult, type HandoffTool } from "./handoff.ts";
import type { ContainerLeakResult } from "./scenario.ts";

/** What an initramfs's init mounts before it looks for the real root. */
const API_MOUNTS: [string, string][] = [
  ["/dev", "devtmpfs"],
  ["/proc", "proc"],
  ["/sys", "sysfs"],
  ["/run", "tmpfs"],
];

/** The hand-off tools `boot --compare` runs, in order. */
export const TOOLS: readonly HandoffTool[] = ["util-linux", "busybox", "systemd", "runc"];

/** The text report of one boot. */
export function formatBoot(r: BootResult): string {
  const out: string[] = [];
  out.push(`design ${r.design}, profile ${r.profile.name}`);
  out.push(`command line: ${r.params.cmdline}`);
  out.push("kernel log:");
  for (const m of r.messages) if (m.level < 7) out.push(`  <${m.level}>${m.text}`);
  if (r.panic !== null) {
    out.push(`panic: ${r.panic}`);
  } else if (r.init !== null) {
    out.push(`init: ${r.init.path} (${r.init.from})`);
    out.push(`  argv: ${JSON.stringify(r.init.argv)}`);
    out.push(`  envp: ${JSON.stringify(r.init.envp)}`);
  }
  out.push(`console: ${r.console ? "/dev/console is fds 0, 1, 2" : "none (no stdio)"}`);
  out.push("mountinfo of PID 1:");
  for (const l of r.mountinfo) out.push(`  ${l}`);
  const hidden = hiddenMounts(r);
  if (hidden.length > 0) {
    out.push("mounts PID 1 cannot see (outside its root):");
    for (const l of hidden) out.push(`  ${l}`);
  }
  return out.join("\n") + "\n";
}

/** Mounts of PID 1's namespace that its mountinfo does not show. */
export function hiddenMounts(r: BootResult): string[] {
  const shown = new Set(r.mountinfo.map((l) => Number(l.split(" ")[0])));
  const out: string[] = [];
  for (const m of r.task.ns.mounts) {
    if (shown.has(m.id)) continue;
    const parent = m.parent === null ? "none" : String(m.parent.id);
    out.push(`${m.id} on ${parent}: ${m.fs.fstype} ${m.source}, ${heldBytes(m.fs)} bytes held`);
  }
  return out;
}

/**
 * What an initramfs's init does before it hands over: devtmpfs, proc, sysfs
 * and a tmpfs on /run, then the real root on /sysroot (the device's
 * filesystem, or a small tmpfs with /sbin/init).
 * @throws {FsError} when one of the mounts fails
 */
export function mountRealRoot(r: BootResult, device?: RootDevice): void {
  const t = r.task;
  for (const [dir, type] of API_MOUNTS) {
    if (attempt(() => t.lstat(dir)) !== "OK") t.mkdir(dir, 0o755);
    t.mount(type, dir, type, 0, type === "tmpfs" ? "mode=0755" : undefined);
  }
  t.mkdir("/sysroot");
  if (device !== undefined) {
    r.system.setDevice(device.name, device.fs);
    t.mount(device.name, "/sysroot", device.fs.fstype, 0);
    return;
  }
  t.mount("sysroot", "/sysroot", "tmpfs", 0, "size=16m,mode=0755");
  for (const d of ["sbin", "dev", "proc", "sys", "run"]) t.mkdir(`/sysroot/${d}`);
  t.touch("/sysroot/sbin/init", 0o755);
}

/** Bytes of file data a filesystem holds (used pages for tmpfs and ramfs). */
export function heldBytes(fs: unknown): number {
  // a disk, proc or sysfs holds no memory of its own in the model
  return fs instanceof CoreFs ? fs.sb.statfs().usedBlocks * 4096 : 0;
}

/** One design's column in {@linkcode compareDesigns}. */
export interface DesignComparison {
  /** The design. */
  design: Design;
  /** The boot as it ends (PID 1 runs, or the panic). */
  boot: BootResult;
  /** Mounts PID 1 cannot see, with the memory they hold. */
  hidden: string[];
  /** `pivot_root(".", ".")` from a mount below PID 1's root. */
  pivotRoot: string;
  /** `umount2("/", MNT_DETACH)` by PID 1. */
  detachRoot: string;
  /** Each tool's hand-off to a real root mounted on `/sysroot`, on a fresh boot. */
  handoffs: Record<string, HandoffResult | string>;
}

/** Options of {@linkcode compareDesigns}. */
export interface CompareOptions {
  /** The images. */
  initrd?: UnpackSource[];
  /** The command line. */
  cmdline?: string;
  /** The profile for the designs before 7.0. @default {"linux-6.1"} */
  profile?: ProfileName | KernelProfile;
  /** The profile for nullfs. @default {"linux-7.0"} */
  nullfsProfile?: ProfileName | KernelProfile;
  /** Built-in archive. */
  builtin?: Uint8Array;
  /** Boot time. */
  bootTime?: number;
}

/**
 * Boots the same images and command line under every design and probes
 * each result: pivot_root, detaching the root, and each tool's hand-off.
 */
export async function compareDesigns(options: CompareOptions = {}): Promise<DesignComparison[]> {
  // one source read many times: keep the bytes
  const images: Uint8Array[] = [];
  for (const i of options.initrd ?? []) images.push(await bytesOf(i));
  const out: DesignComparison[] = [];
  for (const design of DESIGNS) {
    const opts: BootOptions = {
      design,
      profile: design === "nullfs"
        ? (options.nullfsProfile ?? "linux-7.0")
        : (options.profile ?? "linux-6.1"),
      initrd: images,
      cmdline: options.cmdline ?? "",
      ...(options.builtin !== undefined ? { builtin: options.builtin } : {}),
      ...(options.bootTime !== undefined ? { bootTime: options.bootTime } : {}),
    };
    const b = await boot(opts);
    const c: DesignComparison = {
      design,
      boot: b,
      hidden: hiddenMounts(b),
      pivotRoot: "",
      detachRoot: "",
      handoffs: {},
    };
    if (b.panic !== null) {
      c.pivotRoot = c.detachRoot = "(panic)";
      for (const t of TOOLS) c.handoffs[t] = "(panic)";
      out.push(c);
      continue;
    }
    {
      const p = await boot(opts);
      const t = p.task;
      c.pivotRoot = attempt(() => {
        t.mkdir("/.probe");
        t.mount("tmpfs", "/.probe", "tmpfs", 0, "size=1m");
        t.chdir("/.probe");
        t.pivotRoot(".", ".");
      });
    }
    {
      const p = await boot(opts);
      c.detachRoot = attempt(() => p.task.umount2("/", MNT.DETACH));
    }
    for (const tool of TOOLS) {
      const p = await boot(opts);
      const t = p.task;
      const setup = attempt(() => mountRealRoot(p));
      c.handoffs[tool] = setup !== "OK"
        ? `(setup failed: ${setup})`
        : handoff(t, tool, "/sysroot", { init: "/sbin/init" });
    }
    out.push(c);
  }
  return out;
}

function attempt(f: () => void): string {
  try {
    f();
    return "OK";
  } catch (e) {
    if (e instanceof Error && "code" in e) return String((e as { code: string }).code);
    throw e;
  }
}

/** How a hand-off went, in a few words. */
export function handoffSummary(h: HandoffResult | string): string {
  if (typeof h === "string") return h;
  const pivot = h.steps.find((s) => s.call.startsWith("pivot_root"));
  if (!h.ok) {
    const failed = [...h.steps].reverse().find((s) => s.result !== "OK");
    return `fails${failed ? ` (${failed.call.replace(/\(.*$/, "")} ${failed.result})` : ""}`;
  }
  const how = pivot === undefined
    ? "MS_MOVE"
    : pivot.result === "OK"
    ? "pivot_root"
    : `MS_MOVE (pivot_root ${pivot.result})`;
  const kib = `${Math.ceil(h.oldRoot.bytes / 1024)} KiB`;
  const left = h.oldRoot.attached
    ? `old root kept${h.oldRoot.visible ? "" : ", hidden"}: ${kib}`
    : h.oldRoot.bytes === 0
    ? "old root freed"
    : `old root detached: ${kib}`;
  return `${how}; ${left}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((x, i) => x.padEnd(widths[i]!)).join("  ").trimEnd());
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return lines;
}

/** The side-by-side text of {@linkcode compareDesigns}: one row per design. */
export function formatCompare(cols: DesignComparison[]): string {
  const lines = table([
    [
      "design",
      "profile",
      "init",
      "PID 1's root",
      "parent",
      "hidden",
      "pivot_root(.,.)",
      "umount2(/,DETACH)",
    ],
    ...cols.map((c) => {
      const root = c.boot.task.fs.root.mnt;
      return [
        c.design,
        c.boot.profile.name,
        c.boot.init?.path ?? "panic",
        `${root.fs.fstype} (mount ${root.id})`,
        root.parent === null ? "none" : `mount ${root.parent.id}`,
        String(c.hidden.length),
        c.pivotRoot,
        c.detachRoot,
      ];
    }),
  ]);
  lines.push("", "hand-off to a root on /sysroot, and what the old root still holds:", "");
  lines.push(
    ...table([
      ["design", ...TOOLS],
      ...cols.map((c) => [c.design, ...TOOLS.map((t) => handoffSummary(c.handoffs[t]!))]),
    ]),
  );
  for (const c of cols) {
    lines.push("", `mountinfo of PID 1 (${c.design}):`);
    for (const l of c.boot.mountinfo) lines.push(`  ${l}`);
    for (const l of c.hidden) lines.push(`  hidden: ${l}`);
  }
  return lines.join("\n") + "\n";
}

/** The table of `ramroot scenario container-leak`. */
export function formatLeak(r: ContainerLeakResult): string {
  const out: string[] = [];
  out.push(`host: design ${r.design}, profile ${r.profile}`);
  out.push(`runtime root switch: ${r.tool} (${r.why})`);
  out.push(
    `containers: ${
      r.containers.map((c) => `${c.id}${c.exited ? " (exited)" : ""} ${c.mounts} mounts`).join(
        ", ",
      )
    }`,
  );
  out.push("host:");
  for (const s of r.steps) out.push(`  ${s.call} = ${s.result}`);
  const head = ["superblock", "released by host", "still pinned by", "state"];
  const rows = r.superblocks.map((s) => [
    s.name,
    s.releasedByHost ? "yes" : "no",
    s.pinnedBy.length === 0 ? "-" : s.pinnedBy.join(", "),
    s.free
      ? (s.kind === "usb" ? "device can be released" : "netns freed")
      : s.releasedByHost
      ? (s.kind === "usb" ? "LEAK: device still in use" : "LEAK: netns cannot be freed")
      : "in use",
  ]);
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((x) => x[i]!.length)));
  out.push("");
  for (const x of all) out.push(x.map((c, i) => c.padEnd(w[i]!)).join("  ").trimEnd());
  out.push("", `leaks: ${r.leaks.length}`);
  return out.join("\n") + "\n";
}
