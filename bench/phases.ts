// Where the time of `ramroot unpack ARCHIVE` goes, phase by phase. Each phase
// runs in a fresh process (so no phase inherits another's memory or GC debt)
// and is timed inside the process and around it:
//
//   read      the reads unpack() makes: 1 MiB at a time, async, nothing else
//   floor     read + copy every byte into a fresh WebAssembly memory: the
//             first-touch page faults and one copy any in-memory store pays
//   unpack    unpack() into a ramfs, i.e. read + parse + tree + data copy
//
//   deno run -A bench/phases.ts [--runs N] ARCHIVE...

import { parseArgs } from "node:util";
import { Ramfs, unpack } from "../mod.ts";

const PHASES = ["read", "floor", "unpack"] as const;
type Phase = typeof PHASES[number];

async function runPhase(phase: Phase, path: string): Promise<number> {
  const t0 = performance.now();
  if (phase === "unpack") {
    await unpack(new Ramfs({ now: 0 }), path, { now: 0 });
    return performance.now() - t0;
  }
  const size = (await Deno.stat(path)).size;
  const memory = phase === "floor"
    ? new WebAssembly.Memory({ initial: Math.ceil(size / 65536), maximum: 65536 })
    : null;
  const dest = memory ? new Uint8Array(memory.buffer) : null;
  using file = await Deno.open(path);
  const buf = new Uint8Array(1 << 20);
  let at = 0;
  while (true) {
    const n = await file.read(buf);
    if (n === null) break;
    dest?.set(buf.subarray(0, n), at);
    at += n;
  }
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

if (Deno.args[0] === "--child") {
  const ms = await runPhase(Deno.args[1] as Phase, Deno.args[2]!);
  console.log(ms.toFixed(1));
} else {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { runs: { type: "string", default: "5" } },
  });
  const runs = Number(values.runs);
  const self = new URL(import.meta.url).pathname;
  for (const path of positionals) {
    const size = (await Deno.stat(path)).size;
    console.log(`${path}: ${(size / 1e6).toFixed(1)} MB, median of ${runs} processes`);
    console.log(
      `  ${"phase".padEnd(8)} ${"in process".padStart(12)} ${"whole process".padStart(14)}`,
    );
    for (const phase of PHASES) {
      const inner: number[] = [];
      const outer: number[] = [];
      for (let k = 0; k < runs; k++) {
        const t = performance.now();
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", self, "--child", phase, path],
          stderr: "inherit",
        }).output();
        outer.push(performance.now() - t);
        if (!out.success) throw new Error(`phase ${phase} failed`);
        inner.push(Number(new TextDecoder().decode(out.stdout)));
      }
      console.log(
        `  ${phase.padEnd(8)} ${median(inner).toFixed(0).padStart(9)} ms ${
          median(outer).toFixed(0).padStart(11)
        } ms`,
      );
    }
  }
}
