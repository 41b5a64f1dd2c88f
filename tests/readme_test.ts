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
