// Runs cases.ts through the kernel's own bunzip2() and writes
// kernel_outcomes.json, one line of kernel/harness.c's output per case.
//
//   deno run -A tests/vectors/bzip2/record_kernel.ts LINUX_TREE
//
// LINUX_TREE holds lib/decompress_bunzip2.c (only that file is used); needs a
// C compiler with AddressSanitizer (gcc). The harness and the kernel's code
// are built here and never committed.

import { CASE_VECTORS, kernelCases } from "./cases.ts";

const here = new URL(".", import.meta.url).pathname;
const tree = Deno.args[0];
if (tree === undefined) {
  console.error("usage: record_kernel.ts LINUX_TREE");
  Deno.exit(2);
}
const source = `${tree}/lib/decompress_bunzip2.c`;
const tmp = await Deno.makeTempDir();
const exe = `${tmp}/harness`;
const cc = await new Deno.Command("cc", {
  args: [
    "-O2",
    "-fwrapv",
    "-fno-strict-aliasing",
    "-fsanitize=address",
    "-w",
    "-DSTATIC=static",
    "-I",
    `${here}kernel`,
    `-DBUNZIP2="${source}"`,
    "-o",
    exe,
    `${here}kernel/harness.c`,
  ],
}).output();
if (!cc.success) {
  console.error(new TextDecoder().decode(cc.stderr));
  Deno.exit(1);
}

const vectors: Record<string, Uint8Array> = {};
for (const v of CASE_VECTORS) vectors[v] = Deno.readFileSync(`${here}${v}`);
const cases = kernelCases(vectors);
const child = new Deno.Command(exe, {
  stdin: "piped",
  stdout: "piped",
  stderr: "null",
  env: { ASAN_OPTIONS: "detect_leaks=0" },
}).spawn();
const writer = child.stdin.getWriter();
const writing = (async () => {
  for (const c of cases) {
    const head = new DataView(new ArrayBuffer(8));
    head.setUint32(0, c.input.length, true);
    head.setUint32(4, c.accept, true);
    await writer.write(new Uint8Array(head.buffer));
    await writer.write(c.input);
  }
  await writer.close();
})();
const out = await child.output();
await writing;
await Deno.remove(tmp, { recursive: true });
const lines = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
if (lines.length !== cases.length) {
  console.error(`${lines.length} outcomes for ${cases.length} cases`);
  Deno.exit(1);
}
const outcomes = cases.map((c, i) => [c.name, lines[i]!]);
await Deno.writeTextFile(
  `${here}kernel_outcomes.json`,
  "[\n" + outcomes.map((o) => "  " + JSON.stringify(o)).join(",\n") + "\n]\n",
);
await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", `${here}kernel_outcomes.json`] })
  .output();
console.log(`recorded ${outcomes.length} outcomes`);
