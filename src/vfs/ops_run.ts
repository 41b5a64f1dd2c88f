// Runs mount-ops scripts (the oracle's language) against the model: the same
// output `mount-ops.sh` and `kernel-unpack.sh --ops` print.

import { FsError } from "../errors.ts";
import {
  binaryString,
  formatLs,
  formatStat,
  formatStatfs,
  MOUNT_FLAGS,
  mountinfoBlock,
  needArgs,
  nullable,
  type OpOutcome,
  type OpsOutput,
  parseFlags,
  parseScript,
  runScript,
  type ScriptOp,
  UMOUNT_FLAGS,
  wordBytes,
} from "../ops.ts";
import { getProfile, type KernelProfile, type ProfileName } from "../profile.ts";
import { boot, type Design } from "../boot/boot.ts";
import type { UnpackSource } from "../unpack.ts";
import { MS, type Task } from "./mount.ts";
import { System } from "./system.ts";

/** Where a script starts. */
export type OpsRoot = "sandbox" | "rootfs";

/** Options of {@linkcode runOps}. */
export interface OpsOptions {
  /**
   * `"sandbox"`: what `mount-ops.sh` sets up on a host (a private tmpfs
   * `sandbox` with a parent outside the chroot); `"rootfs"`: the kernel's
   * initramfs root after unpacking `initrd`. @default {"sandbox"}
   */
  root?: OpsRoot;
  /** Kernel profile. @default {"linux-6.18" for the sandbox, "linux-6.1" for rootfs} */
  profile?: ProfileName | KernelProfile;
  /** Images unpacked into rootfs (`root: "rootfs"`). */
  initrd?: UnpackSource[];
  /** Kernel command line (rootfs type). @default {""} */
  cmdline?: string;
  /** RAM of the modelled machine in pages, after boot. @default {the profile's `ramPagesAfterBoot`} */
  ramPages?: number;
  /** RAM in pages when rootfs was created (its size). @default {the profile's `totalRamPages`} */
  rootfsRamPages?: number;
  /** Mount options of the sandbox tmpfs. @default {"size=64m,mode=0755"} */
  sandboxOptions?: string;
  /** Boot time for the rootfs. @default {0} */
  bootTime?: number;
  /** How the root was built (`root: "rootfs"`). @default {"nullfs" on linux-7.0, else "legacy"} */
  design?: Design;
}

/** A started script environment: the system and the task that runs the ops. */
export interface OpsEnvironment {
  /** The modelled machine. */
  system: System;
  /** The task running the script. */
  task: Task;
  /** Lines printed before the ops. */
  header: string[];
}

/** Sets up the machine and the task a script runs in. */
export async function opsEnvironment(options: OpsOptions = {}): Promise<OpsEnvironment> {
  const root = options.root ?? "sandbox";
  const profile = getProfile(
    options.profile ??
      (root === "sandbox" ? "linux-6.18" : options.design === "nullfs" ? "linux-7.0" : "linux-6.1"),
  );
  if (root === "sandbox") {
    const system = new System(profile, options.ramPages ?? profile.ramPagesAfterBoot);
    const opts = options.sandboxOptions ?? "size=64m,mode=0755";
    return { system, task: system.sandbox(opts), header: [`#sandbox\ttmpfs\t${opts}`] };
  }
  // the script runs as the initramfs's init, as the oracle's probe does
  const booted = await boot({
    ...(options.design !== undefined ? { design: options.design } : {}),
    profile: {
      ...profile,
      totalRamPages: options.rootfsRamPages ?? profile.totalRamPages,
      ramPagesAfterBoot: options.ramPages ?? profile.ramPagesAfterBoot,
    },
    cmdline: options.cmdline ?? "",
    initrd: options.initrd ?? [],
    bootTime: options.bootTime ?? 0,
    probe: true,
  });
  const header = booted.panic === null ? [] : [`#panic\t${booted.panic}`];
  return { system: booted.system, task: booted.task, header };
}

/**
 * Runs a script of mount operations (oracle FORMAT.md §2) against the model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runOps } from "@ramroot/ramroot";
 * const out = await runOps("mkdir /new\ntmpfs /new size=1m\npivot_root /new /new => EINVAL\n");
 * assert.equal(out.mismatches, 1); // pivot_root(/new, /new) works from a sandbox
 * ```
 */
export async function runOps(
  script: string | Uint8Array,
  options: OpsOptions = {},
): Promise<OpsOutput> {
  const env = await opsEnvironment(options);
  const ops = parseScript(script);
  const held: number[] = [];
  return runScript(
    ops,
    (op) => execOp(env.task, op, held),
    () => env.task.mountinfo(),
    env.header,
  );
}

function octal(word: string | undefined, fallback: number): number {
  if (word === undefined) return fallback;
  const m = /^\s*([0-7]*)/.exec(word)!;
  return m[1] === "" ? 0 : parseInt(m[1]!, 8);
}

/** C `strtoll(s, NULL, 0)`: leading number in base 0, 0 if none. */
function cNumber(word: string): number {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(word);
  if (m === null) return 0;
  const body = m[2]!;
  const v = /^0[xX]/.test(body)
    ? parseInt(body.slice(2), 16)
    : body.startsWith("0")
    ? parseInt(body, 8) || 0
    : Number(body);
  return m[1] === "-" ? -v : v;
}

/** Runs one op on `task`; `held` are the descriptors `open` keeps. */
export function execOp(task: Task, op: ScriptOp, held: number[]): OpOutcome {
  const a = op.argv;
  const p = (k: number) => wordBytes(a[k]!);
  const ok: OpOutcome = { result: "OK" };
  const need = (k: number) => needArgs(a, k);
  try {
    switch (a[0]) {
      case "mkdir":
        return need(1) ?? (task.mkdir(p(1), octal(a[2], 0o755)), ok);
      case "rmdir":
        return need(1) ?? (task.rmdir(p(1)), ok);
      case "unlink":
        return need(1) ?? (task.unlink(p(1)), ok);
      case "touch":
        return need(1) ?? (task.touch(p(1), octal(a[2], 0o644)), ok);
      case "symlink":
        return need(2) ?? (task.symlink(p(1), p(2)), ok);
      case "link":
        return need(2) ?? (task.link(p(1), p(2)), ok);
      case "rename":
        return need(2) ?? (task.rename(p(1), p(2)), ok);
      case "write": {
        const u = need(2);
        if (u) return u;
        const r = task.write(p(1), Math.max(0, cNumber(a[2]!)));
        return { result: r.error ?? "OK", extra: `wrote=${r.written}` };
      }
      case "mkfiles": {
        const u = need(2);
        if (u) return u;
        const want = cNumber(a[2]!);
        let i = 0;
        let result = "OK";
        for (; i < want; i++) {
          try {
            task.touch(wordBytes(a[1]! + String(i)), 0o644, true);
          } catch (e) {
            if (!(e instanceof FsError)) throw e;
            result = e.code;
            break;
          }
        }
        return { result, extra: `created=${i}` };
      }
      case "mount": {
        const u = need(3);
        if (u) return u;
        const fl = parseFlags(MOUNT_FLAGS, a[4]);
        if (fl === undefined) return { result: "EINVAL", extra: "bad flags" };
        const src = nullable(a[1]);
        const type = nullable(a[3]);
        const data = a.length > 5 ? nullable(a[5]) : undefined;
        task.mount(src === undefined ? undefined : wordBytes(src), p(2), type, fl, data);
        return ok;
      }
      case "tmpfs":
      case "ramfs": {
        const u = need(1);
        if (u) return u;
        const fl = parseFlags(MOUNT_FLAGS, a[3]);
        if (fl === undefined) return { result: "EINVAL" };
        task.mount(a[0], p(1), a[0], fl, a.length > 2 ? nullable(a[2]) : undefined);
        return ok;
      }
      case "bind":
      case "rbind":
        return need(2) ??
          (task.mount(p(1), p(2), undefined, MS.BIND | (a[0] === "rbind" ? MS.REC : 0)), ok);
      case "move":
        return need(2) ?? (task.mount(p(1), p(2), undefined, MS.MOVE), ok);
      case "remount": {
        const u = need(1);
        if (u) return u;
        const fl = parseFlags(MOUNT_FLAGS, a[2]);
        if (fl === undefined) return { result: "EINVAL" };
        task.mount(
          undefined,
          p(1),
          undefined,
          (fl | MS.REMOUNT) >>> 0,
          a.length > 3 ? nullable(a[3]) : undefined,
        );
        return ok;
      }
      case "umount": {
        const u = need(1);
        if (u) return u;
        const fl = parseFlags(UMOUNT_FLAGS, a[2]);
        if (fl === undefined) return { result: "EINVAL" };
        task.umount2(p(1), fl | 0);
        return ok;
      }
      case "chroot":
        return need(1) ?? (task.chroot(p(1)), ok);
      case "chdir":
      case "cd":
        return need(1) ?? (task.chdir(p(1)), ok);
      case "pivot_root":
        return need(2) ?? (task.pivotRoot(p(1), p(2)), ok);
      case "make-private":
      case "make-shared":
      case "make-slave":
      case "make-unbindable":
      case "make-rprivate":
      case "make-rshared":
      case "make-rslave":
      case "make-runbindable": {
        const u = need(1);
        if (u) return u;
        const KINDS: Record<string, number> = {
          private: MS.PRIVATE,
          shared: MS.SHARED,
          slave: MS.SLAVE,
          unbindable: MS.UNBINDABLE,
        };
        const kind = a[0]!.slice("make-".length);
        const rec = !(kind in KINDS);
        const fl = KINDS[rec ? kind.slice(1) : kind]!;
        task.mount(undefined, p(1), undefined, fl | (rec ? MS.REC : 0));
        return ok;
      }
      case "unshare":
        task.unshare();
        return ok;
      case "open": {
        const u = need(1);
        if (u) return u;
        const fd = task.open(p(1));
        if (held.length < 64) held.push(fd);
        return ok;
      }
      case "close-all":
        while (held.length > 0) task.close(held.pop()!);
        return ok;
      case "getcwd":
        return { result: "OK", extra: `cwd=${task.getcwd()}` };
      case "stat": {
        const u = need(1);
        if (u) return u;
        return { result: "OK", extra: formatStat(task.lstat(p(1))) };
      }
      case "statfs": {
        const u = need(1);
        if (u) return u;
        return { result: "OK", extra: formatStatfs(task.statfs(p(1))) };
      }
      case "ls": {
        const u = need(1);
        if (u) return u;
        return { result: "OK", extra: formatLs(task.readdir(p(1)).map(binaryString)) };
      }
      case "mountinfo":
        return { result: "OK", lines: mountinfoBlock(task.mountinfo(), a[1] === "raw") };
      case "sh":
        return need(1) ?? { result: "ENOSYS", extra: "the model runs no shell" };
      default:
        return { result: "UNKNOWN-OP" };
    }
  } catch (e) {
    if (e instanceof FsError) return { result: e.code };
    throw e;
  }
}
