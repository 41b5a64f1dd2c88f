// The problem the 2021 "user root" series set out to solve (boot.md §5.1,
// §7.5; mounts.md §10 d): a host that runs from its initramfs starts
// containers; where pivot_root is impossible the runtime chroots instead, and
// every container's mount namespace keeps a copy of every host mount — a USB
// stick the host unmounted stays in use, a dead container's network
// namespace cannot be freed.

import { packList } from "../gen_list.ts";
import { programStandIn } from "../sample.ts";
import type { KernelProfile, ProfileName } from "../profile.ts";
import type { Filesystem } from "../vfs/fs.ts";
import { MNT, type Mount, type MountNamespace, type Task } from "../vfs/mount.ts";
import { boot, type Design } from "./boot.ts";
import { handoff, type HandoffTool } from "./handoff.ts";

/** Options of {@linkcode containerLeak}. */
export interface ContainerLeakOptions {
  /** Design of the host's root. @default {"legacy"} */
  design?: Design;
  /** Kernel profile. @default {the design's} */
  profile?: ProfileName | KernelProfile;
  /** Containers started one after another. @default {3} */
  containers?: number;
}

/** A superblock the scenario follows: the USB stick or a network namespace. */
export interface PinnedSuperblock {
  /** `usb /dev/sdb1 (vfat)` or `netns <container id>`. */
  name: string;
  /** What it is. */
  kind: "usb" | "netns";
  /** The host unmounted it (the USB stick) or removed it (a dead container's netns). */
  releasedByHost: boolean;
  /** Mount namespaces that still hold a mount of it, by name (`host`, a container id). */
  pinnedBy: string[];
  /** Nothing holds it any more: the device can be unplugged, the netns is freed. */
  free: boolean;
}

/** A superblock the host released that some namespace still pins. */
export interface Leak {
  /** As in {@linkcode PinnedSuperblock.name}. */
  name: string;
  /** The namespaces that pin it. */
  pinnedBy: string[];
}

/** What the scenario found. */
export interface ContainerLeakResult {
  /** The host's design. */
  design: Design;
  /** The kernel profile. */
  profile: string;
  /** The root switch the runtime used for the containers. */
  tool: HandoffTool;
  /** Why it used that tool (the probe's answer). */
  why: string;
  /** The containers started, in order; the first one exits before the host cleans up. */
  containers: { id: string; exited: boolean; mounts: number }[];
  /** What the host did, with the model's answers. */
  steps: { call: string; result: string }[];
  /** Every superblock followed. */
  superblocks: PinnedSuperblock[];
  /** The ones the host released but some namespace still pins. */
  leaks: Leak[];
}

/** Deterministic container ids, shaped like Docker's short ids. */
function containerId(i: number): string {
  let x = (0x9e3779b9 * (i + 1)) >>> 0;
  let s = "";
  for (let k = 0; k < 12; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += ((x >>> 16) & 15).toString(16);
  }
  return s;
}

const HOST_LIST = `dir /bin 0755 0 0
dir /dev 0755 0 0
dir /proc 0555 0 0
dir /sys 0555 0 0
dir /media 0755 0 0
dir /media/usb 0755 0 0
dir /var 0755 0 0
dir /var/run 0755 0 0
dir /var/run/docker 0700 0 0
dir /var/run/docker/netns 0755 0 0
dir /var/lib 0755 0 0
dir /var/lib/docker 0711 0 0
`;

/**
 * Runs the scenario: boot a host under `design` from an initramfs, mount a
 * USB stick, start containers with the runtime's root switch, then unmount
 * the stick and remove the first (dead) container's network namespace, and
 * see what is still pinned where.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { containerLeak } from "@ramroot/ramroot";
 * const legacy = await containerLeak({ design: "legacy" });
 * assert.equal(legacy.tool, "runc-no-pivot");
 * assert.ok(legacy.leaks.some((l) => l.name.startsWith("usb")));
 * const nullfs = await containerLeak({ design: "nullfs" });
 * assert.deepEqual(nullfs.leaks, []);
 * ```
 */
export async function containerLeak(
  options: ContainerLeakOptions = {},
): Promise<ContainerLeakResult> {
  const design = options.design ?? "legacy";
  const n = options.containers ?? 3;
  const ids = Array.from({ length: n }, (_, i) => containerId(i));
  let list = HOST_LIST;
  // the host's /init and a program for it: a static executable is enough
  list += "file /init /init.bin 0755 0 0\n";
  for (const id of ids) {
    list += `dir /var/lib/docker/${id} 0710 0 0\ndir /var/lib/docker/${id}/rootfs 0755 0 0\n`;
    list += `dir /var/lib/docker/${id}/rootfs/proc 0555 0 0\n`;
    list += `file /var/lib/docker/${id}/rootfs/init /init.bin 0755 0 0\n`;
  }
  const image = (await packList(list, { mtime: 0, readFile: () => programStandIn() })).archive;
  const booted = await boot({
    design,
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    initrd: [image],
  });
  if (booted.init === null) throw new Error(`the host did not boot: ${booted.panic}`);
  const sys = booted.system;
  const k = sys.kernel;
  const host = booted.task;
  const steps: { call: string; result: string }[] = [];
  const run = (call: string, f: () => void): string => {
    let result = "OK";
    try {
      f();
    } catch (e) {
      if (!(e instanceof Error && "code" in e)) throw e;
      result = String((e as { code: string }).code);
    }
    steps.push({ call, result });
    return result;
  };
  // the host's init: proc, sysfs, the USB stick
  run(`mount("proc", "/proc", "proc", 0)`, () => host.mount("proc", "/proc", "proc", 0));
  run(`mount("sysfs", "/sys", "sysfs", 0)`, () => host.mount("sysfs", "/sys", "sysfs", 0));
  const usb = sys.addDevice("/dev/sdb1", "vfat");
  run(
    `mount("/dev/sdb1", "/media/usb", "vfat", 0)`,
    () => host.mount("/dev/sdb1", "/media/usb", "vfat", 0),
  );

  const names = new Map<MountNamespace, string>([[host.ns, "host"]]);
  const netns = new Map<string, { fs: Filesystem; dentry: number }>();
  const tasks: Task[] = [];
  let tool: HandoffTool = "runc";
  let why = "";
  for (const [i, id] of ids.entries()) {
    // dockerd: the container's network namespace, bound under /var/run/docker/netns
    const target = `/var/run/docker/netns/${id}`;
    host.touch(target, 0o444);
    const ns = sys.nsPath("net", `container:${id}`);
    netns.set(id, { fs: ns.mnt.fs, dentry: ns.dentry });
    run(`mount("/proc/<pid>/ns/net", "${target}", NULL, MS_BIND)`, () => {
      host.adopt(k.newMount(ns.mnt.fs, ns.dentry, "nsfs"), host.resolve(target, false));
    });
    // runc's init: a new mount namespace, then the root switch
    const rootfs = `/var/lib/docker/${id}/rootfs`;
    let t = k.newTask(host.ns, host.fs.root);
    let r = handoff(t, tool, rootfs, { init: "/init" });
    if (i === 0 && !r.ok) {
      // the runtime cannot pivot on this host: Docker sets DOCKER_RAMDISK
      const failed = r.steps.find((s) => s.call.startsWith("pivot_root"));
      why = `pivot_root(".", ".") = ${
        failed?.result ?? "failed"
      }: runc --no-pivot (DOCKER_RAMDISK)`;
      exitTask(k, t);
      tool = "runc-no-pivot";
      t = k.newTask(host.ns, host.fs.root);
      r = handoff(t, tool, rootfs, { init: "/init" });
    } else if (i === 0) {
      why = `pivot_root(".", ".") = OK`;
    }
    if (!r.ok) throw new Error(`container ${id}: ${r.error}`);
    names.set(t.ns, id);
    tasks.push(t);
  }

  // the USB stick is unmounted on the host; the first container exits and
  // dockerd removes its network namespace
  run(`umount2("/media/usb", 0)`, () => host.umount2("/media/usb", 0));
  exitTask(k, tasks[0]!);
  const dead = ids[0]!;
  run(
    `umount2("/var/run/docker/netns/${dead}", MNT_DETACH)`,
    () => host.umount2(`/var/run/docker/netns/${dead}`, MNT.DETACH),
  );
  run(
    `unlink("/var/run/docker/netns/${dead}")`,
    () => host.unlink(`/var/run/docker/netns/${dead}`),
  );

  const live = new Set<MountNamespace>();
  for (const t of k.tasks) live.add(t.ns);
  const holders = (pin: (m: Mount) => boolean): string[] => {
    const out: string[] = [];
    for (const ns of live) {
      for (const m of ns.mounts) {
        if (pin(m)) {
          out.push(names.get(ns) ?? `mnt:${ns.seq}`);
          break;
        }
      }
    }
    return out;
  };
  const superblocks: PinnedSuperblock[] = [];
  const usbBy = holders((m) => m.fs === usb);
  superblocks.push({
    name: "usb /dev/sdb1 (vfat)",
    kind: "usb",
    releasedByHost: true,
    pinnedBy: usbBy,
    free: usbBy.length === 0,
  });
  for (const id of ids) {
    const nsf = netns.get(id)!;
    const by = holders((m) => m.fs === nsf.fs && m.root === nsf.dentry);
    // a running container is in its own network namespace
    const running = id !== dead;
    superblocks.push({
      name: `netns ${id}`,
      kind: "netns",
      releasedByHost: id === dead,
      pinnedBy: running ? [...by, `${id} (its process)`] : by,
      free: !running && by.length === 0,
    });
  }
  const leaks = superblocks
    .filter((s) => s.releasedByHost && s.pinnedBy.length > 0)
    .map((s) => ({ name: s.name, pinnedBy: s.pinnedBy }));
  return {
    design,
    profile: booted.profile.name,
    tool,
    why,
    containers: ids.map((id, i) => ({
      id,
      exited: i === 0,
      mounts: tasks[i]!.ns.mounts.size,
    })),
    steps,
    superblocks,
    leaks,
  };
}

/** A process exits: it leaves the task list; its namespace dies with its last task. */
function exitTask(k: { tasks: Set<Task> }, t: Task): void {
  k.tasks.delete(t);
}
