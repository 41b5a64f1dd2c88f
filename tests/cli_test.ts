// The CLI as a user runs it: main() with captured output, for every command
// and the options the README shows; listings compared with GNU cpio and bsdtar.

import assert from "node:assert/strict";
import { main } from "../cli.ts";
import { gunzipSync, gzipSync } from "node:zlib";
import { sampleImage, writeCpio } from "../mod.ts";

const enc = new TextEncoder();

async function cli(args: string[], stdin: Uint8Array = new Uint8Array()) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: (t) => stdout += t,
    stderr: (t) => stderr += t,
    stdin: () => new Blob([stdin as Uint8Array<ArrayBuffer>]).stream(),
  });
  return { code, stdout, stderr };
}

const IMAGE = writeCpio([
  { name: ".", mode: 0o40755, mtime: 1600000000 },
  { name: "bin", mode: 0o40755, mtime: 1600000000 },
  { name: "bin/sh", mode: 0o100755, mtime: 1600000000, data: enc.encode("#!sh\n") },
  { name: "sh", mode: 0o120777, mtime: 1600000000, data: enc.encode("bin/sh") },
  { name: "null", mode: 0o20666, mtime: 1600000000, rdevMajor: 1, rdevMinor: 3 },
]);

async function tempImage(bytes: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".cpio" });
  await Deno.writeFile(path, bytes);
  return path;
}

Deno.test("main(['unpack']) unpacks the built-in sample and prints its tree", async () => {
  const r = await cli(["unpack"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ramroot unpack: built-in sample/);
  assert.match(r.stdout, /<6> Trying to unpack rootfs image as initramfs\.\.\./);
  assert.match(r.stdout, /lrwxrwxrwx .* bin -> usr\/bin/);
  assert.match(r.stdout, /busybox 90 \[3 links\]/);
  assert.match(r.stdout, /kernel\/x86|microcode/);
});

Deno.test("main(['unpack', IMAGE]) summarizes; --tree adds the tree; --quiet prints nothing", async () => {
  const path = await tempImage(IMAGE);
  try {
    const r = await cli(["unpack", path]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /2 files|1 files/);
    assert.match(r.stdout, /1 symlinks/);
    assert.doesNotMatch(r.stdout, / sh -> bin\/sh/);
    const t = await cli(["unpack", "--tree", path]);
    assert.match(t.stdout, / sh -> bin\/sh/);
    assert.match(t.stdout, /crw-rw-rw- .* null 1:3/);
    const q = await cli(["unpack", "--quiet", path]);
    assert.deepEqual([q.code, q.stdout, q.stderr], [0, "", ""]);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("main(['unpack', '-']) reads standard input; a kernel error exits 1 with its message", async () => {
  const r = await cli(["unpack", "--tree", "-"], IMAGE);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /bin\/sh|sh -> bin\/sh/);
  const odc = enc.encode("070707" + "0".repeat(200));
  const bad = await cli(["unpack", "-"], odc);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stdout,
    /Initramfs unpacking failed: incorrect cpio method used: use -H newc option/,
  );
});

Deno.test("main(['manifest']) prints the oracle's path lines and #kmsg lines", async () => {
  const path = await tempImage(IMAGE);
  try {
    const r = await cli(["manifest", "--build-time", "5", "--boot-time", "7", path]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines[0], "/\td\t0755\t0\t0\t5\t140\t1600000000\t-\t1\t-\t-\t-");
    assert.ok(lines.includes("/dev/console\tc\t0600\t0\t0\t1\t0\t5\t5:1\t3\t-\t-\t-"));
    assert.ok(lines.some((l) => l.startsWith("/sh\tl\t0777\t0\t0\t1\t6\t1600000000\t-\t")));
    assert.equal(lines.at(-1), "#kmsg\t6\tTrying to unpack rootfs image as initramfs...");
    const noHash = await cli(["manifest", "--no-hash", path]);
    assert.match(noHash.stdout, /^\/bin\/sh\tf\t0755\t.*\t-$/m);
    const ramfs = await cli(["manifest", "--cmdline", "root=/dev/sda1", "--no-hash", path]);
    assert.match(ramfs.stdout, /^\/\td\t0755\t0\t0\t5\t0\t/);
    const small = await cli(["manifest", "--rootfs-size", "0", "--no-hash", path]);
    assert.equal(small.code, 0);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("main(['pack']) writes what the list says; list reads it back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/hello.txt`, "hello\n");
    await Deno.writeTextFile(
      `${dir}/x.list`,
      "dir /etc 0755 0 0\nfile /etc/hello hello.txt 0644 0 0\nslink /hi etc/hello 0777 0 0\n",
    );
    const p = await cli(["pack", `${dir}/x.list`, "-o", `${dir}/x.cpio`, "--mtime", "0"]);
    assert.equal(p.code, 0, p.stderr);
    const bytes = await Deno.readFile(`${dir}/x.cpio`);
    assert.equal(bytes.length % 512, 0);
    const l = await cli(["list", `${dir}/x.cpio`]);
    assert.equal(l.code, 0);
    assert.match(l.stdout, /^-rw-r--r-- +1 0 +0 +6 Jan {2}1 {2}1970 etc\/hello$/m);
    assert.match(l.stdout, /^lrwxrwxrwx +1 .* hi -> etc\/hello$/m);
    const j = await cli(["list", "--json", `${dir}/x.cpio`]);
    const rows = j.stdout.trimEnd().split("\n").map((s) => JSON.parse(s));
    assert.deepEqual(rows.map((r) => r.name), ["etc", "etc/hello", "hi"]);
    assert.equal(rows[1].size, 6);
    const crc = await cli(["pack", `${dir}/x.list`, "-o", `${dir}/c.cpio`, "--format", "crc"]);
    assert.equal(crc.code, 0);
    assert.equal(
      new TextDecoder().decode((await Deno.readFile(`${dir}/c.cpio`)).slice(0, 6)),
      "070702",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main() rejects unknown commands, options and profiles with exit code 2 or 1", async () => {
  assert.equal((await cli(["frobnicate"])).code, 2);
  assert.equal((await cli(["unpack", "--bogus"])).code, 2);
  assert.equal((await cli(["manifest", "--profile", "linux-2.4", "x"])).code, 1);
  assert.equal((await cli(["list"])).code, 2);
  const missing = await cli(["unpack", "/nonexistent/initrd.img"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such file|not found|nonexistent/i);
});

const has = (tool: string) => {
  try {
    return new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
};

for (const [tool, args] of [["cpio", ["-it", "--quiet"]], ["bsdtar", ["-tf", "-"]]] as const) {
  Deno.test({
    name: `list names equal ${tool} ${args.join(" ")} on the sample's main archive`,
    ignore: !has(tool),
    async fn() {
      // cpio and bsdtar stop at the first trailer: compare one archive
      const image = sampleImage();
      const text = new TextDecoder("latin1").decode(image);
      const cut = Math.ceil((text.indexOf("TRAILER!!!") + 11) / 512) * 512;
      const first = image.subarray(0, cut);
      const main = image.subarray(cut); // a gzip member: GNU cpio reads it decompressed
      for (const [part, plain] of [[first, first], [main, gunzipSync(main)]]) {
        const o = await new Deno.Command(tool, { args: [...args], stdin: "piped", stdout: "piped" })
          .spawn();
        const w = o.stdin.getWriter();
        await w.write(plain!);
        await w.close();
        const theirs = new TextDecoder().decode((await o.output()).stdout).trimEnd().split("\n");
        const r = await cli(["list", "--json", "-"], part!);
        const ours = r.stdout.trimEnd().split("\n").map((s) => JSON.parse(s).name);
        assert.deepEqual(ours, theirs);
      }
    },
  });
}

Deno.test("main(['unpack', '--single-thread', IMAGE]) builds the same tree as two threads", async () => {
  // a gzip member of about 5 MiB: large enough to be decoded on a second thread
  const noise = new Uint8Array(5 << 20);
  for (let i = 0, v = 1; i < noise.length; i++) {
    noise[i] = (v = (Math.imul(v, 1103515245) + 12345) >>> 0) >>> 24;
  }
  const image = gzipSync(writeCpio([{ name: "big", mode: 0o100644, data: noise }]), { level: 1 });
  assert.ok(image.length > 4 << 20);
  const path = await Deno.makeTempFile({ prefix: "ramroot-cli-" });
  try {
    await Deno.writeFile(path, image);
    const two = await cli(["manifest", path]);
    const one = await cli(["unpack", "--single-thread", "--tree", path]);
    const both = await cli(["unpack", "--tree", path]);
    assert.equal(one.code, 0);
    assert.match(two.stdout, /^\/big\tf\t0644\t0\t0\t1\t5242880\t/m);
    const tree = (r: { stdout: string }) => r.stdout.slice(r.stdout.indexOf("kernel log:"));
    assert.equal(tree(one), tree(both));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("main(['ops', ...]) runs a mount script in a sandbox and from rootfs", async () => {
  const script = enc.encode("mkdir /new\ntmpfs /new size=1m\nchdir /new\npivot_root . . => OK\n");
  const sandbox = await cli(["ops", "-"], script);
  assert.equal(sandbox.code, 0, sandbox.stderr);
  assert.match(sandbox.stdout, /^#sandbox\ttmpfs\tsize=64m,mode=0755\n1\tmkdir \/new\tOK\n/);
  assert.match(sandbox.stdout, /\n4\tpivot_root \. \.\tOK\n#final-mountinfo\n/);
  // from a 6.1 initramfs the root has no parent: EINVAL, a mismatch, exit 3
  const rootfs = await cli(["ops", "--root", "rootfs", "-"], script);
  assert.equal(rootfs.code, 3);
  assert.match(rootfs.stdout, /\n4\tpivot_root \. \.\tEINVAL\tMISMATCH\(expected OK\)\n/);
  assert.match(
    rootfs.stdout,
    /\n1 1 dev1 \/ \/ rw - rootfs rootfs rw,size=486444k,nr_inodes=121611,inode64\n/,
  );
  // with nullfs under rootfs (7.0) it works
  const nullfs = await cli(["ops", "--root", "rootfs", "--profile", "linux-7.0", "-"], script);
  assert.equal(nullfs.code, 0, nullfs.stdout);
  // an image unpacked first is visible to the script
  const path = await tempImage(IMAGE);
  const withImage = await cli(
    ["ops", "--root", "rootfs", "--initrd", path, "-"],
    enc.encode("ls /bin\n"),
  );
  assert.match(withImage.stdout, /^1\tls \/bin\tOK\tsh\n/);
  await Deno.remove(path);
  const bad = await cli(["ops", "--root", "moon", "-"], script);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Unknown root "moon"/);
  assert.equal((await cli(["ops", "--initrd", "x", "-"], script)).code, 1);
});

Deno.test("boot: the sample under legacy, user-root and nullfs; a panic is exit 4", async () => {
  const legacy = await cli(["boot"]);
  assert.equal(legacy.code, 0, legacy.stderr);
  assert.match(legacy.stdout, /^design legacy, profile linux-6\.1$/m);
  assert.match(legacy.stdout, /^init: \/init \(rdinit\)$/m);
  assert.match(legacy.stdout, /^ {2}1 1 0:2 \/ \/ rw - rootfs rootfs rw,size=486444k/m);
  const ur = await cli(["boot", "--design", "user-root", "--cmdline", "rootflags=size=8m a"]);
  assert.match(ur.stdout, /^ {2}2 1 \S+ \/ \/ rw,relatime - tmpfs none rw,size=8192k,/m);
  assert.match(ur.stdout, /^ {2}argv: \["\/init","a"\]$/m);
  const n = await cli(["boot", "--design", "nullfs", "--json"]);
  const j = JSON.parse(n.stdout);
  assert.equal(j.profile, "linux-7.0");
  assert.ok(
    j.messages.some((m: { text: string }) => m.text === "VFS: Finished mounting rootfs on nullfs"),
  );
  // an image without init: prepare_namespace, no built-in block filesystem on 6.1
  const path = await tempImage(IMAGE);
  try {
    const p = await cli(["boot", path]);
    assert.equal(p.code, 4);
    assert.match(p.stdout, /^panic: VFS: Unable to mount root fs on unknown-block\(0,0\)$/m);
    // with a root device and a kernel that can mount it (7.0's profile)
    const dev = await tempImage(writeCpio([
      { name: "sbin", mode: 0o40755, mtime: 0 },
      { name: "sbin/init", mode: 0o100755, mtime: 0, data: enc.encode("#!/sbin/init\n") },
    ]));
    const r = await cli([
      "boot",
      "--design",
      "nullfs",
      "--cmdline",
      "root=/dev/vda1 init=/sbin/init",
      "--root-device",
      dev,
      path,
    ]);
    // /sbin/init is a script whose interpreter is itself: ELOOP, as execve says
    assert.match(r.stdout, /VFS: Mounted root \(ext4 filesystem\) readonly on device 254:1\./);
    assert.match(r.stdout, /VFS: Pivoted into new rootfs/);
    assert.match(r.stdout, /panic: Requested init \/sbin\/init failed \(error -40\)\./);
    await Deno.remove(dev);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("boot --handoff and --compare; scenario container-leak as a table and JSON", async () => {
  const h = await cli(["boot", "--handoff", "systemd"]);
  assert.match(h.stdout, /^ {2}pivot_root\("\.", "\."\) = EINVAL/m);
  assert.match(h.stdout, /^ {2}mount\("\.", "\/", NULL, MS_MOVE\) = OK$/m);
  const c = await cli(["boot", "--compare", "--json"]);
  const cols = JSON.parse(c.stdout);
  assert.deepEqual(
    cols.map((x: { design: string; pivotRoot: string }) => `${x.design} ${x.pivotRoot}`),
    ["legacy EINVAL", "user-root OK", "user-root-v6 OK", "user-root-v7 OK", "nullfs OK"],
  );
  const t = await cli(["scenario", "container-leak"]);
  assert.match(t.stdout, /^usb \/dev\/sdb1 \(vfat\) +yes +\S+, \S+ +LEAK: device still in use$/m);
  assert.match(t.stdout, /^leaks: 2$/m);
  const j = JSON.parse(
    (await cli(["scenario", "container-leak", "--design", "user-root", "--json"])).stdout,
  );
  assert.deepEqual(j.leaks, []);
  assert.equal((await cli(["scenario", "other"])).code, 2);
  assert.equal((await cli(["boot", "--design", "nope"])).code, 1);
  assert.equal((await cli(["boot", "--design", "nullfs", "--profile", "linux-6.1"])).code, 1);
});

Deno.test('ops --root rootfs --design: pivot_root(".", ".") from each design\'s initramfs root', async () => {
  const script = "tests/mounts/examples/pivot-dot.ops";
  const line = async (...a: string[]) =>
    (await cli(["ops", "--root", "rootfs", ...a, script])).stdout.split("\n")
      .find((l) => l.includes("pivot_root . ."));
  const img = await tempImage(IMAGE);
  try {
    assert.match((await line("--design", "legacy", "--initrd", img))!, /EINVAL$/);
    assert.match((await line("--design", "user-root", "--initrd", img))!, /OK$/);
    // the seed makes its second mount only for an external image
    assert.match((await line("--design", "user-root"))!, /EINVAL$/);
    assert.match((await line("--design", "user-root-v7"))!, /OK$/);
    assert.match((await line("--design", "nullfs"))!, /OK$/);
  } finally {
    await Deno.remove(img);
  }
  assert.equal((await cli(["ops", "--design", "legacy", script])).code, 1);
});
