// The boot model against what Debian's 6.1 and 6.12 kernels did
// (tests/boot/golden-vm-*/, recorded by tests/boot/vm/record.sh): the log
// lines, init's argv and envp, the rootfs, the console check, the missing-init
// and not-a-cpio branches, retain_initrd.
//
// The kernel booted the oracle's segment before the archive: its bytes count
// in "Freeing initrd memory" and in /sys/firmware/initrd's size, so those
// numbers are checked as "the oracle's segment plus the archive".

import assert from "node:assert/strict";
import { boot, type BootResult, getProfile, packList, type ProfileName } from "../mod.ts";

const dir = new URL("./boot/", import.meta.url).pathname;
const vm = dir + "vm/";
const read = (p: string) => Deno.readTextFileSync(p);

interface Case {
  name: string;
  kernels: string;
  kind: string;
  archive: string;
  ops: string;
  paths: string[];
  args: string;
}

const record = read(vm + "record.sh");
const table = /cases='\n([\s\S]*?)'/.exec(record)![1]!;
const cases: Case[] = table.split("\n").filter((l) => l.includes("|")).map((l) => {
  const [name, kernels, kind, archive, ops, paths, args] = l.split("|");
  return {
    name: name!,
    kernels: kernels!,
    kind: kind!,
    archive: archive!,
    ops: ops!,
    paths: paths!.split(" ").filter((x) => x !== ""),
    args: args ?? "",
  };
});

async function archive(name: string): Promise<Uint8Array> {
  if (name.endsWith(".img")) return Deno.readFileSync(vm + name);
  const spec = name.replace(/\.cpio$/, ".spec");
  const a = (await packList(Deno.readFileSync(vm + spec), { baseDir: vm, mtime: 0 })).archive;
  // the oracle's cpiogen.py ends the archive after the trailer; gen_init_cpio
  // pads it to 512 bytes
  const t = new TextDecoder("latin1").decode(a).lastIndexOf("TRAILER!!!");
  return a.subarray(0, (t + 11 + 3) & ~3);
}

/** The oracle's fixed kmsg filter (FORMAT.md), case-insensitive. */
const KMSG =
  /initramfs|initrd|unpack|rootfs|cpio|junk|decompress|compress|looks like|VFS: Cannot|VFS: Unable|Failed to execute|Run \/|No working init|Kernel panic|initial console|bad data checksum|broken padding|Command line/i;
/** record.sh's filter of the console log of a boot that panicked. */
const CONSOLE = new RegExp(/console_re='([^']*)'/.exec(record)![1]!);

function freeing(text: string): string {
  return text.replace(/(Freeing initrd memory: )\d+K$/, "$1NK");
}

/** What `sh "... tr '\0' '\n' < FILE"` printed: `[item]` per line. */
function items(op: string | undefined): string[] {
  const out = /out=(.*)$/.exec(op ?? "")?.[1] ?? "";
  return out.split("\\n").filter((x) => x !== "").map((x) => x.replace(/^\[(.*)\]$/, "$1"));
}

const CMDLINE = "console=ttyS0 rdinit=/.oracle/init panic=-1";

for (const [tag, profileName] of [["6.1", "linux-6.1"], ["6.12", "linux-6.12"]] as const) {
  const goldens = `${dir}golden-vm-${tag}/`;
  for (const c of cases) {
    const file = `${goldens}${c.name}.txt`;
    let text: string;
    try {
      text = read(file);
    } catch {
      continue;
    }
    Deno.test(`boot ${tag}: ${c.name}`, async () => {
      const img = await archive(c.archive);
      await (c.kind === "panic"
        ? comparePanic(text, img, c, profileName)
        : compareReport(text, img, c, profileName));
    });
  }
}

function oracleBytes(text: string): number {
  return Number(/#oracle-segment\tfirst\t(\d+) bytes/.exec(text)?.[1] ?? 2912300);
}

async function compareReport(
  text: string,
  img: Uint8Array,
  c: Case,
  profileName: ProfileName,
): Promise<void> {
  const lines = text.split("\n");
  const rootLine = lines.find((l) => l.startsWith("#mountinfo\t1 1 "))!.slice(
    "#mountinfo\t".length,
  );
  // rootfs was sized early in that boot: its default nr_inodes is half the RAM then
  const inodes = /nr_inodes=(\d+)/.exec(rootLine); // absent when written as "*"
  const base = getProfile(profileName);
  const profile = inodes ? { ...base, totalRamPages: Number(inodes[1]) * 2 } : base;
  const r = await boot({
    profile,
    cmdline: `${CMDLINE} ${c.args}`.trimEnd() + (c.args === "" ? " " : ""),
    initrd: [img],
    probe: true,
  });
  assert.equal(r.panic, null);
  // the log, with the initrd's size checked separately
  const want = lines.filter((l) => l.startsWith("#kmsg\t")).map((l) => l.slice(6));
  const got = r.messages.filter((m) => KMSG.test(m.text)).map((m) => `${m.level}\t${m.text}`);
  assert.deepEqual(got.map(freeing), want.map(freeing));
  const freed = want.find((l) => l.includes("Freeing initrd memory"));
  if (freed !== undefined) {
    const k = Number(/(\d+)K$/.exec(freed)![1]);
    assert.equal(k, Math.ceil((oracleBytes(text) + img.length) / 4096) * 4);
  }
  assertRootfs(r, rootLine, lines);
  // init's argv (after the busybox that runs the script) and envp
  const ops = lines.filter((l) => l.startsWith("#op\t"));
  const argvOp = ops.find((l) => l.includes("/proc/1/cmdline"));
  if (argvOp !== undefined) {
    assert.deepEqual(r.init!.argv, items(argvOp).slice(2));
    assert.deepEqual(r.init!.envp, items(ops.find((l) => l.includes("/proc/1/environ"))));
  }
  // the paths the report lists
  for (const path of c.paths) {
    const m = lines.find((l) => l.startsWith(`${path}\t`));
    let st;
    try {
      st = r.task.lstat(path);
    } catch {
      st = undefined;
    }
    if (m === undefined) {
      assert.equal(st, undefined, `${path} is not in the kernel's tree`);
      continue;
    }
    const [, type, mode] = m.split("\t");
    assert.equal(st?.type, type, path);
    assert.equal((st!.mode & 0o7777).toString(8).padStart(4, "0"), mode, path);
  }
  // /sys/firmware/initrd (sysfs.ops)
  const fwOp = ops.find((l) => l.includes("ls /.oracle/new/firmware"));
  if (fwOp !== undefined) {
    const listed = items(fwOp).includes("initrd");
    const sysfs = r.system.kernel.types.get("sysfs")!(undefined, undefined);
    const enc = new TextEncoder();
    const fw = sysfs.lookup(sysfs.root, enc.encode("firmware"));
    const node = fw ? sysfs.lookup(fw, enc.encode("initrd")) : 0;
    assert.equal(node !== 0, listed, "/sys/firmware/initrd");
    if (listed) {
      const stat = ops.find((l) => l.includes("stat -c"))!;
      const [mode, , , bytes] = /out=(\S+) (\d+) (\d+) (\d+)/.exec(stat)!.slice(1);
      assert.equal(mode, "-r--r-----");
      // the whole initrd: the oracle's segment and the archive
      assert.ok(Number(bytes) > oracleBytes(text));
      assert.equal(sysfs.stat(node).size, img.length);
    }
  }
}

/** record.sh writes numbers of six digits or more (they follow the RAM) as `*`. */
function matches(got: string, want: string): boolean {
  const re = want.split("*").map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("\\d{6,}k?");
  return new RegExp(`^${re}$`).test(got);
}

function assertRootfs(r: BootResult, rootLine: string, lines: string[]): void {
  assert.ok(matches(r.mountinfo[0]!, rootLine), `${r.mountinfo[0]} is not ${rootLine}`);
  const st = lines.find((l) => /^#op\t\d+\tstatfs \/\t/.test(l));
  if (st === undefined) return;
  const want = /magic=(\S+) bsize=\d+ blocks=(\S+) bfree=\S+ files=(\S+)/.exec(st)!;
  const got = r.task.statfs("/");
  assert.equal(`0x${got.magic.toString(16)}`, want[1]);
  assert.ok(matches(String(got.blocks), want[2]!), `blocks ${got.blocks}`);
  assert.ok(matches(String(got.files), want[3]!), `files ${got.files}`);
}

async function comparePanic(
  text: string,
  img: Uint8Array,
  c: Case,
  profileName: ProfileName,
): Promise<void> {
  const want = text.split("\n");
  const end = want.findIndex((l) => l.startsWith("Kernel panic"));
  const r = await boot({
    profile: profileName,
    cmdline: `${CMDLINE} ${c.args}`,
    initrd: [img],
  });
  assert.notEqual(r.panic, null);
  const from = r.messages.findIndex((m) => m.text.startsWith("Trying to unpack"));
  const got = r.messages.slice(from)
    .filter((m) => m.level < 7 && (m.text === "" || CONSOLE.test(m.text)))
    .map((m) => m.text);
  assert.deepEqual(got.map(freeing), want.slice(0, end + 1).map(freeing));
}
