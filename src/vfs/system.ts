// A modelled machine: the kernel's filesystem types (tmpfs, ramfs, proc,
// nsfs, sysfs, mqueue, devtmpfs, disks), and the two starting points the
// mount oracles use: the host's sandbox and the initramfs root.

import { FsError } from "../errors.ts";
import type { KernelProfile } from "../profile.ts";
import type { Superblock } from "../superblock.ts";
import { CoreFs, type Filesystem, MAGIC, MemFs } from "./fs.ts";
import { Kernel, type Mount, type MountNamespace, type Path, type Task } from "./mount.ts";

/** Namespace inode numbers of the initial namespaces (`PROC_*_INIT_INO`). */
const INIT_INO: Record<string, number> = {
  ipc: 0xefffffff,
  uts: 0xeffffffe,
  user: 0xeffffffd,
  pid: 0xeffffffc,
  cgroup: 0xeffffffb,
  time: 0xeffffffa,
};

/** nsfs: one file per namespace, named `type:[inode]`. */
export class NsFs extends MemFs {
  readonly #mnt = new Map<number, MountNamespace>();
  readonly #files = new Map<unknown, number>();
  readonly #fixed: Record<string, number>;
  #nextIno = 0xf0000000;

  /** `initNetNsInode`: the initial network namespace's inode number (profile). */
  constructor(initNetNsInode: number) {
    super("nsfs", { magic: MAGIC.nsfs, rootMode: 0o555 });
    this.#fixed = { ...INIT_INO, net: initNetNsInode };
    if (initNetNsInode === this.#nextIno) this.#nextIno++;
  }

  /** The file of namespace `key` of type `type`. */
  fileFor(type: string, key: unknown, ns?: MountNamespace): number {
    const k = `${type}:${String(key)}`;
    let d = this.#files.get(ns ?? k);
    if (d === undefined) {
      const ino = (key === "init" ? this.#fixed[type] : undefined) ?? this.#nextIno++;
      d = this.add(this.root, `${type}:[${ino}]`, "f", 0o444);
      this.#files.set(ns ?? k, d);
      if (ns !== undefined) this.#mnt.set(d, ns);
    }
    return d;
  }

  /** The mount namespace a mount-namespace file stands for. */
  nsTarget(d: number): MountNamespace | undefined {
    return this.#mnt.get(d);
  }

  /** nsfs dentries print as `type:[inode]`, without a slash. */
  pathName(d: number): string {
    return new TextDecoder("latin1").decode(this.name(d));
  }
}

/** A modelled machine running one kernel profile. */
export class System {
  /** The kernel. */
  readonly kernel: Kernel;
  /** The profile. */
  readonly profile: KernelProfile;
  /** RAM in pages (tmpfs defaults and `size=N%`). */
  readonly ramPages: number;
  /** Block devices by name (`/dev/sda1`): their filesystems. */
  readonly devices: Map<string, Filesystem> = new Map();
  readonly #nsfs: NsFs;
  #nsfsMount: Mount | undefined;

  /** Sets up the filesystem types of `profile`. */
  constructor(profile: KernelProfile, ramPages = profile.ramPagesAfterBoot) {
    this.profile = profile;
    this.ramPages = ramPages;
    const k = new Kernel(profile.mounts);
    this.kernel = k;
    const opts = { totalRamPages: ramPages, inode64: profile.tmpfsInode64 };
    k.types.set("tmpfs", (_s, data) => CoreFs.tmpfs(data, opts));
    k.types.set("ramfs", (_s, data) => CoreFs.ramfs(data, opts));
    this.#nsfs = k.register(new NsFs(profile.mounts.initNetNsInode));
    const keyed = (make: () => MemFs | CoreFs) => {
      let fs: MemFs | CoreFs | undefined;
      return () => (fs ??= k.register(make()));
    };
    const proc = keyed(() => this.#makeProc());
    k.types.set("proc", proc);
    k.types.set("sysfs", keyed(() => new MemFs("sysfs", { magic: MAGIC.sysfs, rootMode: 0o555 })));
    k.types.set(
      "mqueue",
      keyed(() => new MemFs("mqueue", { magic: MAGIC.mqueue, rootMode: 0o1777 })),
    );
    k.types.set(
      "devtmpfs",
      keyed(() => CoreFs.tmpfs("mode=0755", { ...opts, fstype: "devtmpfs", showLimits: true })),
    );
    for (const t of ["ext4", "ext2", "vfat", "xfs", "btrfs", "squashfs", "iso9660"]) {
      k.types.set(t, (source) => {
        const fs = source === undefined ? undefined : this.devices.get(source);
        if (fs === undefined) {
          throw new FsError("ENOENT", {
            syscall: "mount",
            path: source ?? "",
            reason: `no ${t} device`,
          });
        }
        // the filesystem driver does not recognise another type's superblock
        if (fs.fstype !== t) {
          throw new FsError("EINVAL", {
            syscall: "mount",
            path: source!,
            reason: `${source} holds ${fs.fstype}, not ${t}`,
          });
        }
        return fs;
      });
    }
  }

  /** Adds a block device holding a filesystem of type `fstype`. */
  addDevice(name: string, fstype: string): MemFs {
    const fs = this.kernel.register(
      new MemFs(fstype, { magic: (MAGIC as Record<string, number>)[fstype] ?? 0 }),
    );
    this.devices.set(name, fs);
    return fs;
  }

  /** Adds a block device holding `fs` (a real root made from an image or a directory). */
  setDevice<F extends Filesystem>(name: string, fs: F): F {
    this.kernel.register(fs);
    this.devices.set(name, fs);
    return fs;
  }

  /** The nsfs file of a namespace, as a path on the internal nsfs mount. */
  nsPath(type: string, key: unknown, ns?: MountNamespace): Path {
    // the kernel's internal nsfs mount, made when first needed so that boot
    // mounts keep their ids (rootfs 1 before 7.0, nullfs 1 and rootfs 2 after)
    this.#nsfsMount ??= this.kernel.mountRoot(this.#nsfs, "nsfs");
    return { mnt: this.#nsfsMount, dentry: this.#nsfs.fileFor(type, key, ns) };
  }

  #makeProc(): MemFs {
    const proc = new MemFs("proc", { magic: MAGIC.proc, rootMode: 0o555 });
    const self = proc.add(proc.root, "self", "d", 0o555);
    const ns = proc.add(self, "ns", "d", 0o511);
    for (const type of ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"]) {
      proc.add(ns, type, "l", 0o777, {
        target: new Uint8Array(0),
        size: 0,
        magic: (task) => {
          const t = task as Task;
          return type === "mnt" ? this.nsPath("mnt", t.ns, t.ns) : this.nsPath(type, "init");
        },
      });
    }
    const fd = proc.add(self, "fd", "d", 0o500);
    for (let n = 0; n < 256; n++) {
      proc.add(fd, String(n), "l", 0o500, {
        target: new Uint8Array(0),
        size: 64,
        magic: (task) => (task as Task).fds.get(n)?.path,
      });
    }
    return proc;
  }

  /**
   * What `mount-ops.sh` sets up on a host: a private namespace whose root is
   * outside, a tmpfs `sandbox` (`size=64m,mode=0755`) mounted on a directory
   * of it, and a task chrooted into the sandbox.
   */
  sandbox(options = "size=64m,mode=0755"): Task {
    const k = this.kernel;
    const host = k.register(new MemFs("ext4", { magic: MAGIC.ext4 }));
    const tmp = host.add(host.root, "tmp", "d", 0o1777);
    host.add(tmp, "mount-ops.sandbox", "d", 0o700);
    const root = k.mountRoot(host, "/dev/root", 32);
    const ns = k.newNamespace(root);
    const task = k.newTask(ns, { mnt: root, dentry: root.root });
    task.mount("sandbox", "/tmp/mount-ops.sandbox", "tmpfs", 0, options);
    task.chdir("/tmp/mount-ops.sandbox");
    task.chroot(".");
    task.chdir("/");
    return task;
  }

  /**
   * The kernel's initial namespace with `rootfs` (the unpacked superblock) as
   * its root, or mounted on nullfs where the profile has nullfs; the init
   * task's root and cwd at the rootfs root.
   */
  initramfs(sb: Superblock, bootRamPages = this.profile.totalRamPages): Task {
    const k = this.kernel;
    const rootfs = k.register(
      CoreFs.of(sb, {
        fstype: "rootfs",
        totalRamPages: bootRamPages,
        inode64: this.profile.tmpfsInode64,
      }),
    );
    if (this.profile.nullfsRoot) {
      const nullfs = k.register(
        new MemFs("nullfs", { magic: MAGIC.nullfs, noUser: true, immutable: true }),
      );
      const bottom = k.mountRoot(nullfs, "nullfs");
      bottom.locked = true;
      const ns = k.newNamespace(bottom);
      const task = k.newTask(ns, { mnt: bottom, dentry: bottom.root });
      const m = k.mountRoot(rootfs, "rootfs");
      task.adopt(m, { mnt: bottom, dentry: bottom.root });
      task.chroot("/..");
      task.chdir("/");
      return task;
    }
    const m = k.mountRoot(rootfs, "rootfs");
    m.locked = this.profile.mounts.rootfsLocked;
    const ns = k.newNamespace(m);
    return k.newTask(ns, { mnt: m, dentry: m.root });
  }
}
