// The kernel command line as init/main.c and kernel/params.c read it: words
// split with double quotes, `__setup` handlers matched by prefix, flag-style
// handlers that refuse a value, and everything unknown handed to init
// (spec: boot.md §1, §3.9).

import type { KernelMessage } from "../unpack.ts";
import type { KernelProfile } from "../profile.ts";

/** CONFIG_INIT_ENV_ARG_LIMIT on x86: the size of init's argv and envp tables. */
export const MAX_INIT_ARGS = 32;

/** Where the root device name is kept: `saved_root_name[64]`. */
const ROOT_NAME_MAX = 63;

/** What the command line says about the boot. */
export interface BootParams {
  /** The words as the kernel logged them. */
  cmdline: string;
  /** `root=` (at most 63 characters), or "" when not given. */
  root: string;
  /** `rootfstype=`, when given. */
  rootfstype?: string;
  /** `rootflags=`, when given. */
  rootflags?: string;
  /** `initramfs_options=` on kernels that know it. */
  initramfsOptions?: string;
  /** `rdinit=`, when given. */
  rdinit?: string;
  /** `init=`, when given. */
  init?: string;
  /** `ro` (the default) or `rw`: the real root's mount flags. */
  readonly: boolean;
  /** `retain_initrd`. */
  retainInitrd: boolean;
  /** `initramfs_async=` (default true). */
  initramfsAsync: boolean;
  /** `noinitrd`. */
  noinitrd: boolean;
  /** `rootwait` or `rootwait=`. */
  rootwait: boolean;
  /** `rootdelay=` in seconds. */
  rootdelay: number;
  /** argv of init before the program name is put in argv[0] (`argv_init`). */
  argv: string[];
  /** envp of init (`envp_init`): `HOME=/`, `TERM=linux`, then the words with `=`. */
  envp: string[];
  /** `panic_later`: too many arguments or variables. */
  panic?: string;
  /** Log lines the parsing prints. */
  messages: KernelMessage[];
}

/**
 * What a `__setup` handler does with the rest of its word: true = handled,
 * false = "not mine" (the search goes on; a word nobody handles is passed to
 * init).
 */
type Setup = (rest: string, p: BootParams) => boolean;

/** A handler that takes no value: `ro`, `rw`, `rootwait`, `retain_initrd`. */
function flag(set: (p: BootParams) => void): Setup {
  return (rest, p) => {
    if (rest !== "") return false;
    set(p);
    return true;
  };
}

function clearArgs(p: BootParams): void {
  p.argv.length = 1;
}

/**
 * The `__setup` table entries ramroot knows, in the order the search meets
 * them. Entries are prefixes: `ro` is tried on `rootwait` too, and refuses.
 */
function setupTable(profile: KernelProfile): [string, Setup][] {
  const t: [string, Setup][] = [
    ["root=", (r, p) => (p.root = r.slice(0, ROOT_NAME_MAX), true)],
    ["rootwait=", (r, p) => (p.rootwait = /^\d+$/.test(r), true)],
    ["rootwait", flag((p) => (p.rootwait = true))],
    ["rootflags=", (r, p) => (p.rootflags = r, true)],
    ["rootfstype=", (r, p) => (p.rootfstype = r, true)],
    ["rootdelay=", (r, p) => (p.rootdelay = parseInt(r, 10) || 0, true)],
    ["ro", flag((p) => (p.readonly = true))],
    ["rw", flag((p) => (p.readonly = false))],
    ["noinitrd", (_r, p) => (p.noinitrd = true, true)],
    ["rdinit=", (r, p) => (p.rdinit = r, clearArgs(p), true)],
    ["init=", (r, p) => (p.init = r, clearArgs(p), true)],
    ["retain_initrd", flag((p) => (p.retainInitrd = true))],
    ["initramfs_async=", (r, p) => (p.initramfsAsync = kstrtobool(r) ?? p.initramfsAsync, true)],
    ["console=", () => true],
    ["nomodeset", () => true],
    ["selinux=", () => true],
    ["apparmor=", () => true],
    ["security=", () => true],
    ["lsm=", () => true],
    ["reboot=", () => true],
    ["nosoftlockup", () => true],
    ["transparent_hugepage=", () => true],
  ];
  if (profile.initramfsOptions) {
    t.push(["initramfs_options=", (r, p) => (p.initramfsOptions = r, true)]);
  }
  return t;
}

/**
 * Parameters handled before the `__setup` search (`early_param`) or by the
 * kernel's own parameter table (`core_param`, no dot): the kernel consumes
 * them, init never sees them.
 */
const EARLY = new Set([
  "quiet",
  "debug",
  "loglevel",
  "earlyprintk",
  "earlycon",
  "mem",
  "memmap",
  "nokaslr",
  "noapic",
  "nolapic",
  "acpi",
  "iommu",
  "intel_iommu",
  "amd_iommu",
  "mitigations",
  "nosmp",
  "maxcpus",
  "nr_cpus",
  "initrd",
  "initrdmem",
  "nopti",
  "pti",
  "efi",
  "noefi",
  "hugepages",
  "crashkernel",
  "bootconfig",
]);
const CORE = new Set([
  "panic",
  "panic_on_warn",
  "panic_print",
  "pause_on_oops",
  "initcall_debug",
  "crash_kexec_post_notifiers",
]);

/** kstrtobool: y/Y/1/on and n/N/0/off. */
function kstrtobool(s: string): boolean | undefined {
  const c = s[0];
  if (c === "y" || c === "Y" || c === "1") return true;
  if (c === "n" || c === "N" || c === "0") return false;
  if (c === "o" || c === "O") {
    const d = s[1];
    if (d === "n" || d === "N") return true;
    if (d === "f" || d === "F") return false;
  }
  return undefined;
}

/** `-` and `_` are the same in parameter names (parameqn). */
function sameName(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] === "-" ? "_" : a[i];
    const y = b[i] === "-" ? "_" : b[i];
    if (x !== y) return false;
  }
  return true;
}

interface Word {
  param: string;
  val: string | undefined;
}

/** next_arg(): one word, with `"` quoting; the value loses its own quotes. */
function words(line: string): { before: Word[]; after: Word[] | null } {
  const out: Word[] = [];
  let i = 0;
  const n = line.length;
  const space = (c: string | undefined) => c === " " || c === "\t" || c === "\n";
  while (true) {
    while (i < n && space(line[i])) i++;
    if (i >= n) return { before: out, after: null };
    let start = i;
    let quoted = false;
    let inQuote = false;
    if (line[i] === '"') {
      start = ++i;
      quoted = inQuote = true;
    }
    let equals = -1;
    for (; i < n; i++) {
      const c = line[i];
      if (space(c) && !inQuote) break;
      if (equals < 0 && c === "=") equals = i;
      if (c === '"') inQuote = !inQuote;
    }
    let end = i;
    let word: Word;
    if (equals < 0) {
      if (quoted && end > start && line[end - 1] === '"') end--;
      word = { param: line.slice(start, end), val: undefined };
    } else {
      let vs = equals + 1;
      let ve = end;
      if (line[vs] === '"') {
        vs++;
        if (ve > vs && line[ve - 1] === '"') ve--;
      } else if (quoted && ve > vs && line[ve - 1] === '"') ve--;
      word = { param: line.slice(start, equals), val: line.slice(vs, ve) };
    }
    if (word.val === undefined && word.param === "--") {
      return { before: out, after: words(line.slice(i)).before };
    }
    out.push(word);
  }
}

/**
 * Parses a kernel command line as the kernel does before it starts init.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getProfile, parseCmdline } from "@ramroot/ramroot";
 * const p = parseCmdline("root=/dev/sda1 quiet splash lang=de -- single", getProfile("linux-6.1"));
 * assert.equal(p.root, "/dev/sda1");
 * assert.deepEqual(p.argv, ["init", "splash", "single"]);
 * assert.deepEqual(p.envp, ["HOME=/", "TERM=linux", "lang=de"]);
 * ```
 */
export function parseCmdline(cmdline: string, profile: KernelProfile): BootParams {
  const p: BootParams = {
    cmdline,
    root: "",
    readonly: true,
    retainInitrd: false,
    initramfsAsync: true,
    noinitrd: false,
    rootwait: false,
    rootdelay: 0,
    argv: ["init"],
    envp: ["HOME=/", "TERM=linux"],
    messages: [],
  };
  const table = setupTable(profile);
  const { before, after } = words(cmdline);
  for (const w of before) {
    const line = w.val === undefined ? w.param : `${w.param}=${w.val}`;
    if (CORE.has(w.param)) continue; // core_param: the kernel's own table
    // obsolete_checksetup(): early parameters were handled already; __setup
    // handlers are tried in order on every prefix match
    if (EARLY.has(w.param.replaceAll("-", "_"))) continue;
    let handled = false;
    for (const [name, fn] of table) {
      if (line.length < name.length || !sameName(line.slice(0, name.length), name)) continue;
      if (fn(line.slice(name.length), p)) {
        handled = true;
        break;
      }
    }
    if (handled) continue;
    if (w.param.includes(".")) continue; // a module parameter nobody claimed
    if (p.panic !== undefined) continue;
    if (w.val !== undefined) {
      // an environment variable replaces one of the same name
      let i = 0;
      for (; i < p.envp.length; i++) {
        if (p.envp[i]!.startsWith(`${w.param}=`)) break;
      }
      if (i === MAX_INIT_ARGS) p.panic = `Too many boot env vars at \`${line}'`;
      p.envp[i] = line;
    } else {
      if (p.argv.length === MAX_INIT_ARGS) p.panic = `Too many boot init vars at \`${line}'`;
      p.argv.push(line);
    }
  }
  // the unknown words are reported before the words after "--" are added
  if (p.panic === undefined && (p.argv.length > 1 || p.envp.length > 2)) {
    const unknown = [...p.argv.slice(1), ...p.envp.slice(2)].join(" ");
    p.messages.push({
      level: 5,
      text: `Unknown kernel command line parameters "${unknown}", will be passed to user space.`,
    });
  }
  // after "--": every word is an argument of init, `=` or not
  for (const w of after ?? []) {
    const line = w.val === undefined ? w.param : `${w.param}=${w.val}`;
    if (p.argv.length === MAX_INIT_ARGS) {
      p.panic ??= `Too many boot init vars at \`${line}'`;
      continue;
    }
    p.argv.push(line);
  }
  return p;
}

/** The real root's device: how `root=` names it (`name_to_dev_t`). */
export function deviceNumber(name: string): [number, number] | null {
  let m = /^(?:\/dev\/)?([sh]d)([a-z])(\d*)$/.exec(name);
  if (m) return [m[1] === "sd" ? 8 : 3, (m[2]!.charCodeAt(0) - 97) * 16 + Number(m[3] || 0)];
  m = /^(?:\/dev\/)?vd([a-z])(\d*)$/.exec(name);
  if (m) return [254, (m[1]!.charCodeAt(0) - 97) * 16 + Number(m[2] || 0)];
  m = /^(?:\/dev\/)?nvme\d+n\d+(?:p(\d+))?$/.exec(name);
  if (m) return [259, Number(m[1] ?? 0)];
  m = /^(?:\/dev\/)?ram(\d*)$/.exec(name);
  if (m) return [1, Number(m[1] || 0)];
  m = /^(\d+):(\d+)$/.exec(name);
  if (m) return [Number(m[1]), Number(m[2])];
  m = /^[0-9a-fA-F]+$/.exec(name);
  if (m) {
    const v = parseInt(name, 16);
    return [v >> 8, v & 0xff];
  }
  return null;
}
