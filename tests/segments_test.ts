// `ramroot segments` and UnpackResult.segments against the kernel oracle's
// own segment walker (cpio-segments.py), recorded once for images built here:
//
//   deno run -A tests/segments_test.ts --record   (needs ../shared/oracle or RAMROOT_ORACLE)

import assert from "node:assert/strict";
import { gzipSync } from "fflate";
import { type CpioEntry, type Segment, Tmpfs, unpack, writeCpio } from "../mod.ts";
import { main } from "../cli.ts";
import { concat } from "./_util/newc.ts";
import { pad4 } from "./_util/gzip.ts";

const enc = new TextEncoder();
const GOLDEN = new URL("golden/segments.json", import.meta.url);

function archive(prefix: string, n: number): Uint8Array {
  const entries: CpioEntry[] = [{ name: prefix, mode: 0o40755, nlink: 2, mtime: 1700000000 }];
  for (let i = 0; i < n; i++) {
    entries.push({
      name: `${prefix}/f${i}`,
      mode: 0o100644,
      mtime: 1700000000,
      data: enc.encode(`${prefix} ${i}\n`.repeat(i + 1)),
    });
  }
  return writeCpio(entries);
}

const zeros = (n: number) => new Uint8Array(n);
const gz = (b: Uint8Array) => gzipSync(b, { level: 6, mtime: 0 });

/** Images whose segments the oracle described. */
export const IMAGES: Record<string, () => Uint8Array> = {
  "plain": () => archive("a", 3),
  "plain-two-archives": () => concat([archive("a", 2), archive("b", 2)]),
  "leading-zeros": () => concat([zeros(12), archive("a", 2)]),
  "early-then-gzip": () => concat([archive("kernel", 1), gz(archive("main", 5))]),
  "early-gzip-pad-plain": () =>
    concat([archive("kernel", 1), pad4(gz(archive("main", 5))), zeros(8), archive("late", 1)]),
  "gzip-gzip": () => concat([gz(archive("a", 4)), gz(archive("b", 4))]),
  "gzip-two-archives": () => gz(concat([archive("a", 2), zeros(16), archive("b", 3)])),
  "gzip-trailing-zeros": () => concat([gz(archive("a", 2)), zeros(64)]),
};

function describe(segments: Segment[]) {
  return segments.map((s) => ({
    offset: s.offset,
    length: s.length,
    compression: s.compression,
    output: s.output,
    archives: s.archives,
    entries: s.entries,
    padding: s.padding,
  }));
}

if (import.meta.main && Deno.args.includes("--record")) {
  const oracle = Deno.env.get("RAMROOT_ORACLE") ??
    new URL("../../shared/oracle", import.meta.url).pathname;
  const dir = await Deno.makeTempDir();
  const out: Record<string, unknown> = {};
  for (const [name, make] of Object.entries(IMAGES)) {
    const path = `${dir}/${name}.img`;
    await Deno.writeFile(path, make());
    const r = await new Deno.Command("python3", {
      args: [`${oracle}/cpio-segments.py`, "--json", path],
    }).output();
    const j = JSON.parse(new TextDecoder().decode(r.stdout));
    out[name] = j.segments.map((s: Record<string, number | string>) => ({
      offset: s.offset,
      length: s.length,
      compression: s.compression,
      output: s.uncompressed,
      archives: s.archives,
      entries: s.entries,
      padding: s.trailing_zeros ?? 0,
    }));
  }
  await Deno.remove(dir, { recursive: true });
  await Deno.writeTextFile(GOLDEN, JSON.stringify(out, null, 1) + "\n");
  console.log(`wrote ${Object.keys(out).length} images to tests/golden/segments.json`);
} else {
  Deno.test("segments equal the oracle's walk of each image", async (t) => {
    const golden = JSON.parse(await Deno.readTextFile(GOLDEN));
    assert.deepEqual(Object.keys(golden).sort(), Object.keys(IMAGES).sort());
    for (const [name, make] of Object.entries(IMAGES)) {
      await t.step(name, async () => {
        const r = await unpack(new Tmpfs(), make());
        assert.deepEqual(describe(r.segments), golden[name]);
      });
    }
  });

  Deno.test("segments: a stop inside the walk is reported with the segments before it", async () => {
    // a plain archive right after a gzip member of odd length is not at a
    // 4-aligned offset: its '0' goes to the compression detector
    const image = concat([gz(archive("a", 1)), archive("b", 1)]);
    assert.notEqual(gz(archive("a", 1)).length % 4, 0);
    const out: string[] = [];
    const code = await main(["segments", "--json", "-"], {
      stdout: (t) => out.push(t),
      stderr: () => {},
      stdin: () => new Blob([image as Uint8Array<ArrayBuffer>]).stream(),
    });
    assert.equal(code, 1);
    const j = JSON.parse(out.join(""));
    assert.equal(j.segments.length, 1);
    assert.equal(j.segments[0].compression, "gzip");
    assert.equal(j.stop.message, "invalid magic at start of compressed archive");
    assert.equal(j.stop.offset, j.segments[0].length);
  });

  Deno.test("segments: the text table", async () => {
    const image = IMAGES["early-gzip-pad-plain"]!();
    const out: string[] = [];
    const code = await main(["segments", "-"], {
      stdout: (t) => out.push(t),
      stderr: () => {},
      stdin: () => new Blob([image as Uint8Array<ArrayBuffer>]).stream(),
    });
    assert.equal(code, 0);
    const lines = out.join("").split("\n");
    assert.match(lines[1]!, /#\s+offset\s+length\s+compression\s+output\s+archives\s+entries/);
    assert.match(lines[2]!, /^\s+1\s+0\s+\d+\s+none\s/);
    assert.match(lines[3]!, /^\s+2\s+\d+\s+\d+\s+gzip\s+\d+\s+1\s+6\s+\d+$/);
    assert.match(lines[4]!, /^\s+3\s+\d+\s+\d+\s+none\s+\d+\s+1\s+2\s+0$/);
    assert.equal(lines[5], "kernel: unpacks the whole image");
  });
}
