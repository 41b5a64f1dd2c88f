// Every CLI command the README shows runs as written (through main(), with
// the files it makes redirected into a temporary directory). The README's
// TypeScript block runs as a doc test (`deno test --doc README.md`).

import assert from "node:assert/strict";
import { main } from "../cli.ts";

const README = await Deno.readTextFile(new URL("../README.md", import.meta.url));

function commands(): string[][] {
  const out: string[][] = [];
  for (const block of README.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split("\n")) {
      const cmd = line.replace(/\s+#.*$/, "").trim();
      if (cmd.startsWith("deno run -A cli.ts ")) out.push(cmd.split(/\s+/).slice(4));
    }
  }
  return out;
}

Deno.test("README: every `deno run -A cli.ts` command succeeds", async () => {
  const cmds = commands();
  assert.ok(cmds.length >= 5, `found ${cmds.length} commands`);
  const dir = await Deno.makeTempDir();
  try {
    for (const args of cmds) {
      // files the README writes or reads by bare name live in the temp dir
      const mapped = args.map((a) => /^[\w.-]+\.(cpio|img)$/.test(a) ? `${dir}/${a}` : a);
      let err = "";
      const code = await main(mapped, {
        stdout: () => {},
        stderr: (t) => err += t,
        stdin: () => new Blob([]).stream(),
      });
      assert.equal(code, 0, `${args.join(" ")}: ${err}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("README: starts with the two commands a newcomer runs", () => {
  const first = /```sh\n([\s\S]*?)```/.exec(README)![1]!;
  assert.match(first, /^npx -y deno@2\.9\.6 run -A cli\.ts unpack\b/m);
  assert.match(first, /^npx -y deno@2\.9\.6 task test\b/m);
  const ci = Deno.readTextFileSync(new URL("../.ci/run", import.meta.url));
  assert.match(ci, /npx -y deno@2\.9\.6/);
  assert.match(ci, /task test/);
});

async function run(args: string[]): Promise<string> {
  let out = "";
  const code = await main(args, {
    stdout: (t) => out += t,
    stderr: (t) => out += t,
    stdin: () => new Blob([]).stream(),
  });
  assert.equal(code, 0, `${args.join(" ")}: ${out}`);
  return out;
}

Deno.test("README: shown outputs of `$ deno run -A cli.ts ...` are what the commands print", async () => {
  let checked = 0;
  // the boot model's blocks; the others quote runs on local real images
  const re = /```text\n\$ deno run -A cli\.ts ((?:boot|scenario) .*)\n([\s\S]*?)```/g;
  for (const block of README.matchAll(re)) {
    const shown = block[2]!;
    // blocks with "..." show excerpts of several runs
    if (shown.split("\n").some((l) => l === "...")) continue;
    assert.equal(await run(block[1]!.split(/\s+/)), shown, block[1]);
    checked++;
  }
  assert.ok(checked >= 2, `checked ${checked}`);
});

Deno.test("README: the mountinfo before and after a hand-off is what boot prints", async () => {
  const blocks = [...README.matchAll(/```text\n((?:\d+ \d+ \S+ .*\n)+)```/g)].map((m) => m[1]!);
  const legacy = await run(["boot", "--handoff", "util-linux"]);
  const nullfs = await run(["boot", "--design", "nullfs", "--handoff", "systemd"]);
  const indented = (s: string) => s.split("\n").filter((l) => l).map((l) => `  ${l}`).join("\n");
  const [before, afterLegacy, afterNullfs] = blocks;
  assert.ok(legacy.includes(`mountinfo of PID 1:\n${indented(before!)}\n`));
  assert.ok(legacy.includes(`mountinfo after:\n${indented(afterLegacy!)}\n`));
  assert.ok(nullfs.includes(`mountinfo after:\n${indented(afterNullfs!)}\n`));
});
