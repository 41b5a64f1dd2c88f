// The built-in sample image of `ramroot unpack` with no arguments: a small
// initramfs shaped like a real one (an early uncompressed microcode archive,
// then the main archive, gzip-compressed, with /init, a busybox with applet hard links, a
// merged-/usr symlink, device nodes), made in code so nothing opaque ships.

import { gzipSync } from "node:zlib";
import { type CpioEntry, writeCpio } from "./writer.ts";

const T = 1700000000;
const enc = new TextEncoder();

/**
 * A stand-in for a program: a 64-bit ELF header with no program interpreter
 * (what the boot model's exec accepts), then `text`.
 */
export function programStandIn(text = ""): Uint8Array {
  const t = enc.encode(text);
  const out = new Uint8Array(64 + t.length);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  out.set(t, 64);
  return out;
}

/** Builds the sample image (a plain archive, then a gzip member; each archive with a trailer). */
export function sampleImage(): Uint8Array {
  const early: CpioEntry[] = [
    { name: "kernel", mode: 0o40755, mtime: T, nlink: 2 },
    { name: "kernel/x86", mode: 0o40755, mtime: T, nlink: 2 },
    { name: "kernel/x86/microcode", mode: 0o40755, mtime: T, nlink: 2 },
    {
      name: "kernel/x86/microcode/GenuineIntel.bin",
      mode: 0o100644,
      mtime: T,
      data: new Uint8Array(2048).fill(0x5a),
    },
  ];
  // exec accepts it when the sample is booted; the rest names what it stands for
  const busybox = programStandIn("busybox (sample stand-in)\n");
  const main: CpioEntry[] = [
    { name: ".", mode: 0o40755, mtime: T, nlink: 2 },
    { name: "usr", mode: 0o40755, mtime: T, nlink: 2 },
    { name: "usr/bin", mode: 0o40755, mtime: T, nlink: 2 },
    { name: "bin", mode: 0o120777, mtime: T, data: enc.encode("usr/bin") },
    { name: "usr/bin/sh", mode: 0o100755, mtime: T, nlink: 3, ino: 100 },
    { name: "usr/bin/mount", mode: 0o100755, mtime: T, nlink: 3, ino: 100 },
    { name: "usr/bin/busybox", mode: 0o100755, mtime: T, nlink: 3, ino: 100, data: busybox },
    { name: "dev", mode: 0o40755, mtime: T, nlink: 2 },
    { name: "dev/console", mode: 0o20600, mtime: T, rdevMajor: 5, rdevMinor: 1 },
    { name: "dev/null", mode: 0o20666, mtime: T, rdevMajor: 1, rdevMinor: 3 },
    { name: "etc", mode: 0o40755, mtime: T, nlink: 2 },
    { name: "etc/hostname", mode: 0o100644, mtime: T, data: enc.encode("ramroot\n") },
    { name: "proc", mode: 0o40555, mtime: T, nlink: 2 },
    { name: "sys", mode: 0o40555, mtime: T, nlink: 2 },
    { name: "run", mode: 0o40755, mtime: T, nlink: 2 },
    {
      name: "init",
      mode: 0o100755,
      mtime: T,
      data: enc.encode(
        "#!/bin/sh\nmount -t proc proc /proc\nmount -t sysfs sysfs /sys\nexec switch_root /root /sbin/init\n",
      ),
    },
  ];
  // the main archive compressed, as mkinitramfs and dracut ship it
  const a = writeCpio(early, { padTo: 512 });
  const b = new Uint8Array(gzipSync(writeCpio(main, { padTo: 512 }), { level: 9 }));
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
