// The mount-ops script language and output format (src/ops.ts) against the
// rules of the oracle helper and against the recorded outputs in tests/mounts/.

import assert from "node:assert/strict";
import {
  binaryString,
  formatLs,
  formatSh,
  formatStat,
  formatStatfs,
  matchesExpectation,
  MOUNT_FLAGS,
  mountinfoBlock,
  needArgs,
  normalizeMountinfo,
  nullable,
  type OpOutcome,
  parseFlags,
  parseScript,
  runScript,
  type ScriptOp,
  tokenize,
  UMOUNT_FLAGS,
  wordBytes,
} from "../src/ops.ts";

const MOUNTS = new URL("./mounts/", import.meta.url);

function readBinary(url: URL): string {
  return binaryString(Deno.readFileSync(url));
}

function listTxt(dir: URL): string[] {
  const names: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile && e.name.endsWith(".txt")) names.push(e.name.slice(0, -4));
  }
  return names.sort();
}

Deno.test("tokenize: blanks, comments, quotes", () => {
  assert.deepEqual(tokenize("mkdir /a"), ["mkdir", "/a"]);
  assert.deepEqual(tokenize("  \t mkdir\t/a  \t"), ["mkdir", "/a"]);
  assert.deepEqual(tokenize(""), []);
  assert.deepEqual(tokenize(" \t "), []);
  assert.deepEqual(tokenize("# mkdir /a"), []);
  assert.deepEqual(tokenize("  #mkdir /a"), []);
  assert.deepEqual(tokenize("mkdir #x"), ["mkdir", "#x"]);
  assert.deepEqual(tokenize('"#x" y'), ["#x", "y"]);
  assert.deepEqual(tokenize('touch "a b"  c'), ["touch", "a b", "c"]);
  assert.deepEqual(tokenize('touch ""'), ["touch", ""]);
  // junk after the closing quote stays in the word; quotes inside a word are plain
  assert.deepEqual(tokenize('"ab"cd ef'), ["abcd", "ef"]);
  assert.deepEqual(tokenize('"a"b"c d" e'), ['ab"c', 'd"', "e"]);
  assert.deepEqual(tokenize('ab"cd ef"'), ['ab"cd', 'ef"']);
  // unterminated quote: the rest of the line
  assert.deepEqual(tokenize('x "ab  c'), ["x", "ab  c"]);
  // a backslash as the last char is kept
  assert.deepEqual(tokenize('"ab\\'), ["ab\\"]);
});

Deno.test("tokenize: escapes", () => {
  assert.deepEqual(tokenize('"a\\nb\\tc\\\\d\\"e\\qf"'), ['a\nb\tc\\d"eqf']);
  const [w] = tokenize('"\\x41\\x7e\\xff\\xA0"');
  assert.equal(w, "A~\xff\xa0");
  assert.deepEqual(wordBytes(w!), new Uint8Array([0x41, 0x7e, 0xff, 0xa0]));
  // strtol base 16 on the two chars after x: sign and one digit are fine
  assert.deepEqual(tokenize('"\\x-1"'), ["\xff"]);
  assert.deepEqual(tokenize('"\\x 9z"'), ["\x09z"]);
  // one hex digit: the escape still eats three chars, here the closing quote
  assert.deepEqual(tokenize('"\\x4" z'), ["\x04 z"]);
  // a NUL byte ends the word (C string)
  assert.deepEqual(tokenize('"ab\\x00cd" e'), ["ab", "e"]);
  assert.deepEqual(tokenize('"ab\\xg1cd"'), ["ab"]);
  // \x at the very end of the line
  assert.deepEqual(tokenize('"ab\\x'), ["ab"]);
});

Deno.test("tokenize: line ends, NUL, 31 words at most", () => {
  assert.deepEqual(tokenize("a\nb"), ["a", "b"]);
  assert.deepEqual(tokenize("a \nb"), ["a"]);
  assert.deepEqual(tokenize("a\0b c"), ["a"]);
  assert.deepEqual(tokenize('"a\nb" c'), ["a\nb", "c"]);
  const many = Array.from({ length: 40 }, (_, i) => `w${i}`);
  assert.deepEqual(tokenize(many.join(" ")), many.slice(0, 31));
  // raw non-ASCII bytes pass through
  assert.deepEqual(tokenize("touch /\xe9\xff"), ["touch", "/\xe9\xff"]);
});

Deno.test("wordBytes and binaryString round-trip; wider chars are refused", () => {
  const bytes = new Uint8Array(300).map((_, i) => i & 0xff);
  assert.deepEqual(wordBytes(binaryString(bytes)), bytes);
  assert.throws(() => wordBytes("\u0100"), RangeError);
});

Deno.test("parseScript: op numbers, shown text, expectations", () => {
  const text = [
    "# comment",
    "",
    "mkdir /a",
    "  \tmount\t- /a tmpfs => EINVAL",
    "=> OK",
    "umount /a =>",
    'bind "x y" /b => ENOENT|EINVAL trailing',
    "touch /c\t=> EROFS",
    "mkdir /e\0junk => EINVAL",
    "mkdir /d=>x",
  ].join("\n");
  const ops = parseScript(text);
  const rows = ops.map((o) => [o.line, o.opno, o.shown, o.argv, o.expect]);
  assert.deepEqual(rows, [
    [3, 1, "mkdir /a", ["mkdir", "/a"], undefined],
    [4, 2, "mount - /a tmpfs", ["mount", "-", "/a", "tmpfs"], "EINVAL"],
    [6, 3, "umount /a", ["umount", "/a"], "OK"],
    [7, 4, 'bind "x y" /b', ["bind", "x y", "/b"], "ENOENT|EINVAL"],
    // only " =>" cuts the shown text; the tab becomes a space afterwards
    [8, 5, "touch /c => EROFS", ["touch", "/c"], "EROFS"],
    [9, 6, "mkdir /e", ["mkdir", "/e"], undefined],
    [10, 7, "mkdir /d=>x", ["mkdir", "/d=>x"], undefined],
  ]);
  // a trailing newline adds no line; bytes are accepted too
  const bytes = new Uint8Array([...new TextEncoder().encode('touch "\\xff" /'), 0xe9, 10]);
  const [op] = parseScript(bytes);
  assert.deepEqual(op, {
    line: 1,
    opno: 1,
    shown: 'touch "\\xff" /\xe9',
    argv: ["touch", "\xff", "/\xe9"],
    expect: undefined,
  });
  assert.deepEqual(parseScript(""), []);
  assert.deepEqual(parseScript("\n\n# x\n"), []);
  // the shown text is cut to the helper's 8191-byte buffer before " =>" is searched
  const long = "x".repeat(8189) + " => EINVAL";
  const [big] = parseScript(`mkdir ${long}`);
  assert.equal(big!.shown, `mkdir ${"x".repeat(8185)}`);
  assert.equal(big!.expect, "EINVAL");
});

Deno.test("parseFlags: mount flag names, prefixes, numbers", () => {
  const p = (s: string | undefined) => parseFlags(MOUNT_FLAGS, s);
  assert.equal(p(undefined), 0);
  assert.equal(p(""), 0);
  assert.equal(p("-"), 0);
  assert.equal(p("ro"), 1);
  assert.equal(p("RDONLY"), 1);
  assert.equal(p("MS_RDONLY"), 1);
  assert.equal(p("ms_Bind,MS_REC"), 4096 | 16384);
  assert.equal(p("bind|rec"), 4096 | 16384);
  assert.equal(p("ro,,nosuid|"), 3);
  assert.equal(p("nodev,noexec,sync,remount,mandlock,dirsync"), 4 | 8 | 16 | 32 | 64 | 128);
  assert.equal(p("nosymfollow"), 256);
  assert.equal(p("noatime,nodiratime"), 1024 | 2048);
  assert.equal(p("move,silent"), 8192 | 32768);
  assert.equal(p("unbindable"), 1 << 17);
  assert.equal(p("private"), 1 << 18);
  assert.equal(p("slave"), 1 << 19);
  assert.equal(p("shared"), 1 << 20);
  assert.equal(p("relatime"), 1 << 21);
  assert.equal(p("strictatime"), 1 << 24);
  assert.equal(p("lazytime"), 1 << 25);
  assert.equal(p("MNT_ro"), 1); // either prefix in either table
  // numbers: strtoul base 0, whole piece
  assert.equal(p("0x20"), 32);
  assert.equal(p("0X20"), 32);
  assert.equal(p("010"), 8);
  assert.equal(p("10"), 10);
  assert.equal(p("0"), 0);
  assert.equal(p("+5"), 5);
  assert.equal(p(" 5"), 5);
  assert.equal(p("MS_"), 0); // prefix dropped, "" is the number 0
  assert.equal(p("0x"), undefined);
  assert.equal(p("08"), undefined);
  assert.equal(p("5x"), undefined);
  assert.equal(p("foo"), undefined);
  assert.equal(p("ro,foo"), undefined);
  assert.equal(p("MS_SYNCHRONOUS"), undefined); // the table says "sync"
  assert.equal(p("MS_NOUSER"), undefined);
  // values with bit 31 set stay unsigned
  assert.equal(p("0xC0ED0000"), 0xc0ed0000);
  assert.equal(p("0x80000000"), 2 ** 31);
  assert.equal(p("0xC0ED0000,ro,0x80000000"), 0xc0ed0001);
  assert.equal(p("2147483648|bind"), 2 ** 31 + 4096);
  // low 32 bits of the unsigned long
  assert.equal(p("-1"), 0xffffffff);
  assert.equal(p("0x1ffffffff"), 0xffffffff);
  assert.equal(p("0x100000001"), 1);
  assert.equal(p("99999999999999999999999"), 0xffffffff);
});

Deno.test("parseFlags: umount flag names", () => {
  const p = (s: string | undefined) => parseFlags(UMOUNT_FLAGS, s);
  assert.equal(p("force"), 1);
  assert.equal(p("detach"), 2);
  assert.equal(p("MNT_DETACH"), 2);
  assert.equal(p("ms_force"), 1);
  assert.equal(p("expire"), 4);
  assert.equal(p("nofollow,expire"), 12);
  assert.equal(p("UMOUNT_NOFOLLOW"), undefined);
  assert.equal(p("detach,ro"), undefined);
  assert.equal(p("0x10"), 16);
});

Deno.test("nullable and needArgs", () => {
  assert.equal(nullable(undefined), undefined);
  assert.equal(nullable("-"), undefined);
  assert.equal(nullable("NULL"), undefined);
  assert.equal(nullable("null"), "null");
  assert.equal(nullable(""), "");
  assert.equal(nullable("tmpfs"), "tmpfs");
  assert.deepEqual(needArgs(["mount", "a", "b"], 3), { result: "EINVAL", extra: "usage" });
  assert.equal(needArgs(["mount", "a", "b", "c"], 3), undefined);
  assert.equal(needArgs(["unshare"], 0), undefined);
});

Deno.test("matchesExpectation: alternatives split at |", () => {
  assert.ok(matchesExpectation("OK", "OK"));
  assert.ok(matchesExpectation("EBUSY|EINVAL", "EINVAL"));
  assert.ok(matchesExpectation("|EINVAL|", "EINVAL"));
  assert.ok(!matchesExpectation("EBUSY|EINVAL", "OK"));
  assert.ok(!matchesExpectation("", ""));
  assert.ok(!matchesExpectation("|", "OK"));
});

Deno.test("normalizeMountinfo: hand-made raw block", () => {
  const raw = [
    "21 1 0:5 / /dev rw,relatime shared:3 master:7 - devtmpfs devtmpfs rw,mode=755",
    "25 21 0:22 / /dev/pts rw master:3 - devpts devpts rw\n",
    "30  99 0:5 /x:1 /mnt  rw  shared:7 unbindable - devtmpfs devtmpfs rw,a:b",
    "1 0 0:2 / / rw - rootfs rootfs rw",
    "",
  ];
  assert.deepEqual(normalizeMountinfo(raw), [
    // parent 1 is the id of a later line: all ids are numbered first
    "1 4 dev1 / /dev rw,relatime shared:1 master:2 - devtmpfs devtmpfs rw,mode=755",
    // one numbering for all peer values: master:3 is the same group as shared:3
    "2 1 dev2 / /dev/pts rw master:1 - devpts devpts rw",
    "3 0 dev1 /x:1 /mnt rw shared:2 unbindable - devtmpfs devtmpfs rw,a:b",
    "4 0 dev3 / / rw - rootfs rootfs rw",
    "",
  ]);
  // a rootfs that is its own parent (as the VM reports it)
  assert.deepEqual(normalizeMountinfo(["1 1 0:2 / / rw - rootfs rootfs rw"]), [
    "1 1 dev1 / / rw - rootfs rootfs rw",
  ]);
  assert.deepEqual(mountinfoBlock(["7 3 0:9 / / rw - tmpfs x rw"]), [
    "#mountinfo-begin",
    "1 0 dev1 / / rw - tmpfs x rw",
    "#mountinfo-end",
  ]);
  assert.deepEqual(mountinfoBlock(["7 3 0:9 / / rw - tmpfs x rw"], true), [
    "#mountinfo-begin",
    "7 3 0:9 / / rw - tmpfs x rw",
    "#mountinfo-end",
  ]);
});

Deno.test("normalizeMountinfo: first pass reads ids like sscanf %31s", () => {
  const long = "9".repeat(32);
  // the first pass registers only 31 chars; the line's own token is new then
  assert.deepEqual(normalizeMountinfo([`${long} ${long} 0:1 / / rw - t t rw`]), [
    `2 2 dev1 / / rw - t t rw`,
  ]);
  // a leading tab is skipped by sscanf but is part of strtok's token
  assert.deepEqual(normalizeMountinfo(["\t5 5 0:1 / / rw - t t rw", "6 5 0:1 / /a rw - t t rw"]), [
    "3 1 dev1 / / rw - t t rw",
    "2 1 dev1 / /a rw - t t rw",
  ]);
});

Deno.test("runScript: result lines, extra, mismatches, alternatives, header", () => {
  const ops = parseScript([
    "mkdir /a",
    "mkdir /a => EEXIST",
    "umount /a => EINVAL|EBUSY",
    "umount / => OK",
    "mountinfo",
    "frob",
    "write /f 3",
    "ls / => |",
  ].join("\n"));
  const outcomes: OpOutcome[] = [
    { result: "OK" },
    { result: "EEXIST", extra: "" },
    { result: "EBUSY" },
    { result: "EINVAL", extra: "usage" },
    { result: "OK", lines: mountinfoBlock(["40 30 0:7 / / rw shared:9 - tmpfs sandbox rw"]) },
    { result: "UNKNOWN-OP" },
    { result: "OK", extra: "wrote=3\0junk" },
    { result: "OK", extra: formatLs(["f", "a"]) },
  ];
  const seen: ScriptOp[] = [];
  const out = runScript(
    ops,
    (op) => {
      seen.push(op);
      return outcomes[op.opno - 1]!;
    },
    () => ["40 30 0:7 / / rw shared:9 - tmpfs sandbox rw", "41 40 0:8 / /a rw - tmpfs tmpfs rw"],
    ["#sandbox\ttmpfs\tsize=64m,mode=0755"],
  );
  assert.deepEqual(seen, ops);
  assert.deepEqual(out.lines, [
    "#sandbox\ttmpfs\tsize=64m,mode=0755",
    "1\tmkdir /a\tOK",
    "2\tmkdir /a\tEEXIST",
    "3\tumount /a\tEBUSY",
    "4\tumount /\tEINVAL\tusage\tMISMATCH(expected OK)",
    "#mountinfo-begin",
    "1 0 dev1 / / rw shared:1 - tmpfs sandbox rw",
    "#mountinfo-end",
    "5\tmountinfo\tOK",
    "6\tfrob\tUNKNOWN-OP",
    "7\twrite /f 3\tOK\twrote=3",
    "8\tls /\tOK\ta f\tMISMATCH(expected |)",
    "#final-mountinfo",
    "1 0 dev1 / / rw shared:1 - tmpfs sandbox rw",
    "2 1 dev2 / /a rw - tmpfs tmpfs rw",
    "#ops\t8\tmismatches\t2",
  ]);
  assert.equal(out.ops, 8);
  assert.equal(out.mismatches, 2);
  // no header, no ops
  assert.deepEqual(runScript([], () => ({ result: "OK" }), () => []).lines, [
    "#final-mountinfo",
    "#ops\t0\tmismatches\t0",
  ]);
  // the extra column is cut to the helper's 4095-byte buffer
  const [op] = parseScript("sh x");
  const long = runScript([op!], () => ({ result: "OK", extra: "y".repeat(5000) }), () => []);
  assert.equal(long.lines[0], `1\tsh x\tOK\t${"y".repeat(4095)}`);
});

Deno.test("formatLs: bytewise order, no dot entries, the helper's 4096-byte buffer", () => {
  assert.equal(formatLs([]), "");
  assert.equal(formatLs([".", ".."]), "");
  assert.equal(formatLs(["b", "B", ".", "a", "\xe9", "_", "..", ".x"]), ".x B _ a b \xe9");
  // names are appended while fewer than 4094 bytes are used; cut at 4095
  const k = "k".repeat(1000);
  const four = formatLs([k, k, k, k, k]);
  assert.equal(four.length, 4095);
  assert.equal(four, [k, k, k, k].join(" ") + " " + k.slice(0, 91));
  const a4093 = "a".repeat(4093);
  assert.equal(formatLs([a4093, "b", "c"]), `${a4093} b`);
  const a4092 = "a".repeat(4092);
  assert.equal(formatLs([a4092, "bcd", "c"]), `${a4092} bc`);
  const a4094 = "a".repeat(4094);
  assert.equal(formatLs([a4094, "b"]), a4094);
  assert.equal(formatLs(["z".repeat(5000)]), "z".repeat(4095));
});

Deno.test("formatSh: escaping and the helper's buffers", () => {
  const out = new Uint8Array([...new TextEncoder().encode("hi\n\t\\\x7f~é"), 0]);
  assert.equal(formatSh(0, out), "exit=0 out=hi\\n\\x09\\x5c\\x7f~\\xc3\\xa9\\x00");
  assert.equal(formatSh(127, ""), "exit=127 out=");
  assert.equal(formatSh(130, "x\n"), "exit=130 out=x\\n");
  const long = formatSh(1, "y".repeat(3000));
  assert.equal(long, `exit=1 out=${"y".repeat(2047 - 11)}`);
});

Deno.test("formatStat and formatStatfs", () => {
  assert.equal(
    formatStat({ type: "f", mode: 0o100644, uid: 0, gid: 0, nlink: 1, size: 0 }),
    "type=f mode=0644 uid=0 gid=0 nlink=1 size=0",
  );
  assert.equal(
    formatStat({ type: "d", mode: 0o41777, uid: 1000, gid: 4294967295, nlink: 3, size: 60 }),
    "type=d mode=1777 uid=1000 gid=4294967295 nlink=3 size=60",
  );
  assert.equal(
    formatStat({ type: "l", mode: 0o7, uid: 0, gid: 0, nlink: 1, size: 2n ** 40n }),
    "type=l mode=0007 uid=0 gid=0 nlink=1 size=1099511627776",
  );
  assert.equal(
    formatStatfs({ magic: 0x1021994, bsize: 4096, blocks: 256, bfree: 255, files: 10, ffree: 9 }),
    "magic=0x1021994 bsize=4096 blocks=256 bfree=255 files=10 ffree=9",
  );
  assert.equal(
    formatStatfs({ magic: 0x858458f6, bsize: 4096, blocks: 0, bfree: 0, files: 0, ffree: 0 }),
    "magic=0x858458f6 bsize=4096 blocks=0 bfree=0 files=0 ffree=0",
  );
});

/** One recorded op of a golden output. */
interface Recorded {
  opno: number;
  shown: string;
  outcome: OpOutcome;
  mismatch: string | undefined;
}

/**
 * Splits a helper output (without prefixes) into the header, the recorded
 * ops, the final mountinfo and the mountinfo blocks.
 */
function splitOutput(lines: string[]) {
  const header: string[] = [];
  const ops: Recorded[] = [];
  const blocks: string[][] = [];
  let pending: string[] = [];
  let block: string[] | undefined;
  let final: string[] | undefined;
  let trailer: string | undefined;
  for (const line of lines) {
    if (final !== undefined) {
      if (line.startsWith("#ops\t")) trailer = line;
      else final.push(line);
    } else if (block !== undefined) {
      pending.push(line);
      if (line === "#mountinfo-end") {
        blocks.push(block);
        block = undefined;
      } else block.push(line);
    } else if (line === "#mountinfo-begin") {
      pending.push(line);
      block = [];
    } else if (line === "#final-mountinfo") {
      final = [];
    } else if (/^\d+\t/.test(line)) {
      const [n, shown, result, ...rest] = line.split("\t");
      let mismatch: string | undefined;
      const last = rest[rest.length - 1];
      if (last?.startsWith("MISMATCH(expected ")) {
        mismatch = last.slice("MISMATCH(expected ".length, -1);
        rest.pop();
      }
      const outcome: OpOutcome = { result: result! };
      if (rest.length) outcome.extra = rest.join("\t");
      if (pending.length) outcome.lines = pending;
      pending = [];
      ops.push({ opno: Number(n), shown: shown!, outcome, mismatch });
    } else {
      assert.equal(ops.length, 0, `unexpected line ${JSON.stringify(line)}`);
      header.push(line);
    }
  }
  assert.ok(final !== undefined && trailer !== undefined, "output is complete");
  return { header, ops, blocks, final, trailer };
}

/** Checks a recorded output against the script and replays it through runScript. */
function checkGolden(name: string, output: string[]) {
  const script = parseScript(readBinary(new URL(`ops/${name}.ops`, MOUNTS)));
  const g = splitOutput(output);
  assert.deepEqual(
    g.ops.map((o) => [o.opno, o.shown]),
    script.map((o) => [o.opno, o.shown]),
    `${name}: op numbers and texts`,
  );
  script.forEach((op, i) => {
    const rec = g.ops[i]!;
    const ok = op.expect === undefined || matchesExpectation(op.expect, rec.outcome.result);
    assert.equal(rec.mismatch, ok ? undefined : op.expect, `${name} op ${op.opno}: MISMATCH flag`);
  });
  for (const b of [...g.blocks, g.final]) {
    assert.deepEqual(normalizeMountinfo(b), b, `${name}: mountinfo block is normalized`);
  }
  const replay = runScript(script, (op) => g.ops[op.opno - 1]!.outcome, () => g.final, g.header);
  assert.deepEqual(replay.lines, output, `${name}: replayed output`);
  assert.equal(g.trailer, `#ops\t${replay.ops}\tmismatches\t${replay.mismatches}`);
  return g;
}

Deno.test("recorded host outputs: parseScript, normalized blocks, runScript replay", () => {
  const names = listTxt(new URL("golden/host/", MOUNTS));
  assert.ok(names.length > 50, "host goldens present");
  let blocks = 0;
  for (const name of names) {
    const text = readBinary(new URL(`golden/host/${name}.txt`, MOUNTS));
    const lines = text.split("\n");
    assert.equal(lines.pop(), "", `${name}: ends with a newline`);
    assert.match(lines[0]!, /^=== /);
    assert.equal(lines[1], "#sandbox\ttmpfs\tsize=64m,mode=0755");
    const g = checkGolden(name, lines.slice(1));
    blocks += g.blocks.length + 1;
  }
  assert.ok(blocks > names.length, "mountinfo blocks were checked");
});

Deno.test("recorded VM outputs: #op lines are the helper's output", () => {
  const names = listTxt(new URL("golden/vm-6.1/", MOUNTS));
  assert.ok(names.length > 40, "VM goldens present");
  for (const name of names) {
    const text = readBinary(new URL(`golden/vm-6.1/${name}.txt`, MOUNTS));
    const all = text.split("\n");
    const opLines = all.filter((l) => l.startsWith("#op\t")).map((l) => l.slice(4));
    checkGolden(name, opLines);
    // the raw mountinfo before the script: rootfs is its own parent
    const raw = all.filter((l) => l.startsWith("#mountinfo\t")).map((l) => l.slice(11));
    const norm = normalizeMountinfo(raw);
    assert.match(norm[0]!, /^1 1 dev1 \/ \/ rw - rootfs rootfs /, name);
    norm.forEach((l, i) => assert.match(l, new RegExp(`^${i + 1} 1 dev${i + 1} `), name));
  }
});
