// The WebAssembly core must load wherever ramroot is imported from: a local
// checkout, a remote import (the repository served over http on 127.0.0.1),
// and a `deno compile` binary. The module ships as base64 inside a TS file,
// so loading never reads a file or fetches anything at run time.

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const SCRIPT = (from: string) => `
import { Tmpfs, unpack, writeCpio } from "${from}";
const fs = new Tmpfs({ now: 1700000000 });
await unpack(fs, writeCpio([{ name: "ok", mode: 0o100644, data: new TextEncoder().encode("yes") }]));
console.log(new TextDecoder().decode(fs.readFile("/ok")));
`;

async function run(
  args: string[],
  cwd?: string,
): Promise<{ code: number; out: string; stdout: string }> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    ...(cwd ? { cwd } : {}),
  });
  const o = await cmd.output();
  const dec = new TextDecoder();
  const stdout = dec.decode(o.stdout);
  return { code: o.code, out: stdout + dec.decode(o.stderr), stdout };
}

Deno.test("mod.ts loads and unpacks with no permissions at all (no file or network access at run time)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, SCRIPT(new URL("mod.ts", ROOT).href));
    const r = await run(["run", "--no-prompt", "--no-config", `${dir}/main.ts`]);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.stdout.trim(), "yes");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mod.ts loads from a remote import served on 127.0.0.1", async () => {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    async (req) => {
      const path = decodeURIComponent(new URL(req.url).pathname);
      if (path.includes("..")) return new Response("no", { status: 403 });
      try {
        const body = await Deno.readFile(new URL("." + path, ROOT));
        return new Response(body, { headers: { "content-type": "application/typescript" } });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  const dir = await Deno.makeTempDir();
  try {
    const origin = `127.0.0.1:${server.addr.port}`;
    await Deno.writeTextFile(`${dir}/main.ts`, SCRIPT(`http://${origin}/mod.ts`));
    const r = await run([
      "run",
      "--no-config",
      "--no-lock",
      `--allow-import=${origin}`,
      `${dir}/main.ts`,
    ]);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.stdout.trim(), "yes");
  } finally {
    ac.abort();
    await server.finished;
    await Deno.remove(dir, { recursive: true });
  }
});

// `deno compile` needs the denort runtime, which Deno downloads; where it
// cannot (no network), point DENORT_BIN at a denort binary to run this.
const denort = Deno.env.get("DENORT_BIN");
Deno.test({
  name: "mod.ts works inside a `deno compile` binary (needs DENORT_BIN)",
  ignore: !denort,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/main.ts`, SCRIPT(new URL("mod.ts", ROOT).href));
      const c = await run(["compile", "--no-config", "-o", `${dir}/app`, `${dir}/main.ts`]);
      assert.equal(c.code, 0, c.out);
      const o = await new Deno.Command(`${dir}/app`, { stdout: "piped" }).output();
      assert.equal(new TextDecoder().decode(o.stdout).trim(), "yes");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
