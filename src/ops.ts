// The mount-operation script language of the oracle (`FORMAT.md` §2) and the
// exact text its `ops` command prints, without anything that executes the
// operations: the runner plugs in an executor (the kernel, or the model).
//
// Byte semantics: scripts are bytes, and `\xHH` may produce any byte. Every
// string here that stands for script text, a word, a path or a line of output
// is a "binary string": one char per byte, each char 0..255 (what
// `TextDecoder("latin1")`-style decoding gives; see `binaryString` and
// `wordBytes`). Where the C helper works on NUL-terminated strings, a NUL byte
// ends the string here too.

/** Longest `shown` text: the helper formats it into an 8192-byte buffer. */
const SHOWN_MAX = 8191;
/** Longest extra column: the helper's extra buffer has 4096 bytes. */
const EXTRA_LEN = 4096;
/** The helper's word array has 32 slots, one of them the terminating NULL. */
const MAX_WORDS = 31;

/** A blank between words: space or tab. */
function isBlank(c: string | undefined): boolean {
  return c === " " || c === "\t";
}

/** C `isspace` in the C locale. */
function isCSpace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\v" || c === "\f" || c === "\r";
}

/** Cuts a binary string at its first NUL, as a C string ends there. */
function cString(s: string): string {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
}

/** ASCII-only lower case (C `tolower` in the C locale). */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** Value of a digit in bases up to 36, or 99 for anything else. */
function digitValue(c: string | undefined): number {
  if (c === undefined) return 99;
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return 99;
}

/**
 * C `strtol`/`strtoul` as far as the helper uses them: leading `isspace`
 * skipped, an optional sign, base 0 (`0x` → 16, leading `0` → 8, else 10) or
 * base 16 (optional `0x`). Returns the magnitude (saturated at 2^64 - 1, like
 * `strtoul` on overflow), the sign and where parsing stopped (0 when no digit
 * was found, as C sets `end` back to the start then).
 */
function cStrtoul(
  s: string,
  base: 0 | 16,
): { value: bigint; negative: boolean; end: number } {
  let i = 0;
  while (isCSpace(s[i])) i++;
  let negative = false;
  if (s[i] === "+" || s[i] === "-") {
    negative = s[i] === "-";
    i++;
  }
  let b: number = base;
  const hexPrefix = s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X") &&
    digitValue(s[i + 2]) < 16;
  if ((b === 0 || b === 16) && hexPrefix) {
    b = 16;
    i += 2;
  } else if (b === 0) {
    b = s[i] === "0" ? 8 : 10;
  }
  const start = i;
  const max = (1n << 64n) - 1n;
  let value = 0n;
  while (digitValue(s[i]) < b) {
    value = value * BigInt(b) + BigInt(digitValue(s[i]));
    if (value > max) value = max;
    i++;
  }
  if (i === start) return { value: 0n, negative: false, end: 0 };
  return { value, negative, end: i };
}

/**
 * Converts bytes to a binary string (one char per byte, 0..255), the form in
 * which this module handles script text and words.
 *
 * @param bytes the raw bytes, e.g. a script file's contents
 * @returns a string whose char codes are the bytes
 */
export function binaryString(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

/**
 * The bytes of a word (or any binary string) from `tokenize`.
 *
 * @param word a binary string: every char code is a byte 0..255
 * @returns one byte per char
 * @throws {RangeError} if a char code is above 255 (not a binary string)
 */
export function wordBytes(word: string): Uint8Array {
  const out = new Uint8Array(word.length);
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c > 255) throw new RangeError(`not a binary string: char ${c} at ${i}`);
    out[i] = c;
  }
  return out;
}

/**
 * Splits one script line into words, as the oracle helper does.
 *
 * Words are separated by blanks (space, tab). A `#` at the start of the first
 * word makes the line a comment (no words). A word starting with `"` is
 * quoted up to the next unescaped `"`: inside, `\n`, `\t`, `\xHH` (up to two
 * hex digits, parsed like C `strtol` base 16, taken modulo 256) and
 * `\<other>` (that char) are escapes; anything directly after the closing
 * quote up to the next blank is kept in the same word. Quotes inside an
 * unquoted word are ordinary chars. At most 31 words are returned; the rest
 * of the line is ignored. The line ends at its first NUL; a `\n` ends an
 * unquoted word (and the line, when it is where a word would start).
 *
 * Words are binary strings (one char per byte, see {@link wordBytes}). A word
 * whose escapes produce a NUL byte ends there, as the helper's C strings do.
 * Where the helper would read past the end of the line (`\x` as the last one
 * or two chars of the line), this version stops at the end.
 *
 * @param line one line of a script, as a binary string
 * @returns the words
 */
export function tokenize(line: string): string[] {
  const s = cString(line);
  const n = s.length;
  const words: string[] = [];
  let p = 0;
  while (p < n) {
    while (isBlank(s[p])) p++;
    if (p >= n || s[p] === "\n") break;
    if (words.length === 0 && s[p] === "#") break;
    if (words.length >= MAX_WORDS) break;
    if (s[p] === '"') {
      let word = "";
      let q = p + 1;
      while (q < n && s[q] !== '"') {
        if (s[q] === "\\" && q + 1 < n) {
          q++;
          const esc = s[q];
          if (esc === "n") {
            word += "\n";
            q++;
          } else if (esc === "t") {
            word += "\t";
            q++;
          } else if (esc === "x") {
            const hex = (s[q + 1] ?? "") + (q + 1 < n ? s[q + 2] ?? "" : "");
            const r = cStrtoul(hex, 16);
            const v = Number(BigInt.asUintN(8, r.negative ? -r.value : r.value));
            word += String.fromCharCode(v);
            q = Math.min(q + 3, n);
          } else {
            word += esc;
            q++;
          }
        } else {
          word += s[q];
          q++;
        }
      }
      if (s[q] === '"') q++;
      p = q;
      while (p < n && !isBlank(s[p]) && s[p] !== "\n") word += s[p++];
      if (p < n) p++;
      words.push(cString(word));
    } else {
      const start = p;
      while (p < n && !isBlank(s[p]) && s[p] !== "\n") p++;
      words.push(s.slice(start, p));
      if (p < n) p++;
    }
  }
  return words;
}

/** One operation of a script. */
export interface ScriptOp {
  /** 1-based line number in the script (every line counts, comments too). */
  line: number;
  /** 1-based operation number, as printed in the first output column. */
  opno: number;
  /**
   * The op text printed in the second column: the line without leading
   * blanks, cut at the first `" =>"` (space, then `=>`), tabs replaced by
   * spaces. It is printed raw (no escaping).
   */
  shown: string;
  /** The words before `=>` (at least one); `argv[0]` is the op name. */
  argv: string[];
  /**
   * The expected result after `=>` (`"OK"` if `=>` is the last word), which
   * may list alternatives separated by `|`; `undefined` without `=>`.
   */
  expect: string | undefined;
}

/**
 * Parses a whole script into operations, as the helper's `ops` command reads
 * it: lines are split at `\n` (a last line without `\n` counts), each line
 * ends at its first NUL, words come from {@link tokenize}, the first word
 * `=>` separates the operation from its expectation (the word after it;
 * further words are ignored). Lines without words, and lines with nothing
 * before `=>`, are skipped and get no operation number.
 *
 * @param text the script: a binary string (read the file as latin1 so that
 *   bytes round-trip) or the raw bytes
 * @returns the operations in order
 */
export function parseScript(text: string | Uint8Array): ScriptOp[] {
  const src = typeof text === "string" ? text : binaryString(text);
  const lines = src.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const ops: ScriptOp[] = [];
  lines.forEach((raw, i) => {
    const line = cString(raw);
    let shown = line.replace(/^[ \t]+/, "").slice(0, SHOWN_MAX);
    const arrow = shown.indexOf(" =>");
    if (arrow >= 0) shown = shown.slice(0, arrow);
    shown = shown.replaceAll("\t", " ");
    let argv = tokenize(line);
    let expect: string | undefined;
    const at = argv.indexOf("=>");
    if (at >= 0) {
      expect = argv[at + 1] ?? "OK";
      argv = argv.slice(0, at);
    }
    if (argv.length === 0) return;
    ops.push({ line: i + 1, opno: ops.length + 1, shown, argv, expect });
  });
  return ops;
}

/** One flag name of a {@link parseFlags} table. */
export interface FlagName {
  /** Lower-case name, without `MS_`/`MNT_` prefix. */
  readonly name: string;
  /** The flag's bit(s). */
  readonly value: number;
}

/** Flag names of `mount`, `tmpfs`/`ramfs` and `remount` (the helper's list). */
export const MOUNT_FLAGS: readonly FlagName[] = Object.freeze([
  { name: "ro", value: 1 },
  { name: "rdonly", value: 1 },
  { name: "nosuid", value: 2 },
  { name: "nodev", value: 4 },
  { name: "noexec", value: 8 },
  { name: "sync", value: 16 },
  { name: "remount", value: 32 },
  { name: "mandlock", value: 64 },
  { name: "dirsync", value: 128 },
  { name: "nosymfollow", value: 256 },
  { name: "noatime", value: 1024 },
  { name: "nodiratime", value: 2048 },
  { name: "bind", value: 4096 },
  { name: "move", value: 8192 },
  { name: "rec", value: 16384 },
  { name: "silent", value: 32768 },
  { name: "unbindable", value: 1 << 17 },
  { name: "private", value: 1 << 18 },
  { name: "slave", value: 1 << 19 },
  { name: "shared", value: 1 << 20 },
  { name: "relatime", value: 1 << 21 },
  { name: "strictatime", value: 1 << 24 },
  { name: "lazytime", value: 1 << 25 },
].map((f) => Object.freeze(f)));

/** Flag names of `umount` (`umount2(2)`). */
export const UMOUNT_FLAGS: readonly FlagName[] = Object.freeze([
  { name: "force", value: 1 },
  { name: "detach", value: 2 },
  { name: "expire", value: 4 },
  { name: "nofollow", value: 8 },
].map((f) => Object.freeze(f)));

/**
 * Parses a flags word as the helper does. `undefined`, `""` and `"-"` give 0.
 * Otherwise the word is split at `,` and `|` (empty pieces skipped); a piece
 * may start with `MS_` or `MNT_` (any case, either prefix for either table),
 * which is dropped; the rest is a name of `table` (any case) or a number as
 * C `strtoul(piece, &end, 0)` reads it (`0x` hex, leading `0` octal, else
 * decimal; leading white space and a sign allowed; a negative number wraps
 * around) that must use the whole piece — so `MS_` alone is the number 0.
 *
 * The C value is an `unsigned long`; this returns its low 32 bits as an
 * unsigned number (0..2^32-1), which is all that mount(2) and umount2(2)
 * look at.
 *
 * @param table {@link MOUNT_FLAGS} or {@link UMOUNT_FLAGS}
 * @param text the flags word (a binary string), or `undefined` when absent
 * @returns the flags, or `undefined` for "bad flags" (the helper's -1)
 */
export function parseFlags(
  table: readonly FlagName[],
  text: string | undefined,
): number | undefined {
  if (text === undefined || text === "" || text === "-") return 0;
  let out = 0;
  for (const piece of cString(text).split(/[,|]/)) {
    if (piece === "") continue;
    let t = piece;
    const lower = asciiLower(t);
    if (lower.startsWith("ms_") || lower.startsWith("mnt_")) t = t.slice(t.indexOf("_") + 1);
    const name = asciiLower(t);
    let found = false;
    for (const f of table) {
      if (f.name === name) {
        out = (out | f.value) >>> 0;
        found = true;
      }
    }
    if (!found) {
      const r = cStrtoul(t, 0);
      if (r.end !== t.length) return undefined;
      const v = BigInt.asUintN(64, r.negative ? -r.value : r.value);
      out = (out | Number(BigInt.asUintN(32, v))) >>> 0;
    }
  }
  return out;
}

/**
 * The helper's treatment of optional string arguments: absent, `"-"` and
 * `"NULL"` stand for a NULL pointer.
 *
 * @param word an argument word, or `undefined` when absent
 * @returns the word, or `undefined` for NULL
 */
export function nullable(word: string | undefined): string | undefined {
  return word === undefined || word === "-" || word === "NULL" ? undefined : word;
}

/** What executing one operation printed and returned. */
export interface OpOutcome {
  /** `"OK"`, an errno name (e.g. `"EINVAL"`), or `"UNKNOWN-OP"`. */
  result: string;
  /**
   * The extra column (e.g. `wrote=5`, `usage`); absent or empty prints none.
   * Cut at a NUL and at 4095 bytes, the size of the helper's buffer.
   */
  extra?: string;
  /** Lines printed before the result line, e.g. a `#mountinfo-begin` block. */
  lines?: string[];
}

/** The complete output of running a script. */
export interface OpsOutput {
  /** Output lines, without line terminators. */
  lines: string[];
  /** Number of operations run. */
  ops: number;
  /** Number of operations whose result did not match the expectation. */
  mismatches: number;
}

/**
 * The helper's answer when an operation has fewer than `k` arguments.
 *
 * @param argv the operation's words (`argv[0]` is the op name)
 * @param k the number of arguments required
 * @returns `EINVAL` with extra `usage`, or `undefined` when there are enough
 */
export function needArgs(argv: readonly string[], k: number): OpOutcome | undefined {
  return argv.length < k + 1 ? { result: "EINVAL", extra: "usage" } : undefined;
}

/**
 * Whether a result satisfies an expectation: one of the `|`-separated
 * alternatives (empty ones ignored) equals it.
 *
 * @param expect the expectation word, e.g. `"EBUSY|EINVAL"`
 * @param result the result, e.g. `"EINVAL"`
 * @returns true on a match
 */
export function matchesExpectation(expect: string, result: string): boolean {
  return expect.split("|").some((alt) => alt !== "" && alt === result);
}

/**
 * Runs parsed operations through an executor and renders the helper's output:
 * the `header` lines; for each operation the lines of its outcome, then
 * `N<TAB>shown<TAB>RESULT[<TAB>extra][<TAB>MISMATCH(expected X)]`; then
 * `#final-mountinfo`, the normalized final mountinfo and
 * `#ops<TAB>N<TAB>mismatches<TAB>M`.
 *
 * @param ops the operations, from {@link parseScript}
 * @param exec executes one operation
 * @param finalMountinfo returns the mountinfo lines after the last
 *   operation, raw or already normalized: they are passed through
 *   {@link normalizeMountinfo}, which leaves normalized lines unchanged
 * @param header lines printed first, e.g. `#sandbox\ttmpfs\tsize=64m,mode=0755`
 * @returns the output lines and counts
 */
export function runScript(
  ops: readonly ScriptOp[],
  exec: (op: ScriptOp) => OpOutcome,
  finalMountinfo: () => string[],
  header: readonly string[] = [],
): OpsOutput {
  const lines = [...header];
  let mismatches = 0;
  for (const op of ops) {
    const outcome = exec(op);
    if (outcome.lines) lines.push(...outcome.lines);
    let row = `${op.opno}\t${op.shown}\t${outcome.result}`;
    const extra = cString(outcome.extra ?? "").slice(0, EXTRA_LEN - 1);
    if (extra !== "") row += `\t${extra}`;
    if (op.expect !== undefined && !matchesExpectation(op.expect, outcome.result)) {
      row += `\tMISMATCH(expected ${op.expect})`;
      mismatches++;
    }
    lines.push(row);
  }
  lines.push("#final-mountinfo", ...normalizeMountinfo(finalMountinfo()));
  lines.push(`#ops\t${ops.length}\tmismatches\t${mismatches}`);
  return { lines, ops: ops.length, mismatches };
}

/** Index (1-based) of `key` in `keys`, appending it when new. */
function numberOf(keys: string[], key: string): number {
  const i = keys.indexOf(key);
  if (i >= 0) return i + 1;
  keys.push(key);
  return keys.length;
}

/**
 * Normalizes `/proc/self/mountinfo` lines as the helper prints them (not in
 * `raw` mode). Each line is cut at its first `\n` and split into fields at
 * spaces (runs of spaces count as one, as with `strtok`); the fields are
 * joined with single spaces. Then:
 *
 * - field 1, the mount id, is renumbered 1, 2, … in order of first
 *   appearance (all lines' ids are numbered before any line is printed);
 * - field 2, the parent id, is mapped the same way, or 0 if it is not the id
 *   of any line;
 * - field 3, `major:minor`, becomes `devN`, numbered by first appearance;
 * - the optional fields from field 7 up to the `-` separator: `tag:value`
 *   becomes `tag:N`, where N numbers the values by first appearance (one
 *   numbering for all tags, so `shared:5` and `master:5` get the same N);
 * - all other fields are unchanged.
 *
 * @param raw mountinfo lines (binary strings)
 * @returns the normalized lines, one per input line
 */
export function normalizeMountinfo(raw: readonly string[]): string[] {
  const lines = raw.map((l) => cString(l.split("\n", 1)[0] ?? ""));
  const ids: string[] = [];
  for (const line of lines) {
    // sscanf("%31s"): skip white space, then at most 31 non-space chars
    const m = /^[ \t\n\v\f\r]*([^ \t\n\v\f\r]{1,31})/.exec(line);
    if (m?.[1] !== undefined) numberOf(ids, m[1]);
  }
  const devs: string[] = [];
  const peers: string[] = [];
  return lines.map((line) => {
    let afterDash = false;
    return line.split(" ").filter((t) => t !== "").map((tok, field) => {
      if (field === 0) return String(numberOf(ids, tok));
      if (field === 1) return String(ids.indexOf(tok) + 1);
      if (field === 2) return `dev${numberOf(devs, tok)}`;
      if (field >= 6 && !afterDash) {
        if (tok === "-") {
          afterDash = true;
          return tok;
        }
        const colon = tok.indexOf(":");
        if (colon >= 0) return `${tok.slice(0, colon)}:${numberOf(peers, tok.slice(colon + 1))}`;
      }
      return tok;
    }).join(" ");
  });
}

/**
 * The lines the `mountinfo [raw]` operation prints before its result line.
 *
 * @param raw the current mountinfo lines
 * @param keepRaw true for `mountinfo raw` (lines printed as they are)
 * @returns `#mountinfo-begin`, the (normalized) lines, `#mountinfo-end`
 */
export function mountinfoBlock(raw: readonly string[], keepRaw = false): string[] {
  const body = keepRaw
    ? raw.map((l) => cString(l.split("\n", 1)[0] ?? ""))
    : normalizeMountinfo(raw);
  return ["#mountinfo-begin", ...body, "#mountinfo-end"];
}

/** Bytewise comparison of binary strings (`strcmp`, or `strcoll` in the C locale). */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The extra column of `ls`: the names sorted bytewise (`alphasort` in the C
 * locale), without `.` and `..`, joined with single spaces. Like the helper,
 * names are appended only while fewer than 4094 bytes are used, and the text
 * is cut at 4095 bytes (its buffer), possibly in the middle of a name.
 *
 * @param names the directory entries (binary strings), in any order
 * @returns the extra column
 */
export function formatLs(names: readonly string[]): string {
  const sorted = [...names].sort(compareBytes);
  let out = "";
  let used = 0;
  for (const name of sorted) {
    if (name === "." || name === ".." || used + 2 >= EXTRA_LEN) continue;
    const piece = (used ? " " : "") + cString(name);
    out += piece.slice(0, Math.max(0, EXTRA_LEN - 1 - out.length));
    used += piece.length;
  }
  return out;
}

/**
 * The extra column of `sh`: `exit=N out=OUTPUT`, where OUTPUT is what the
 * command wrote to stdout and stderr with `\n` written as `\n` and other
 * bytes below 0x20 or from 0x7f, and `\`, as `\xHH`. As in the helper,
 * output bytes are taken only while fewer than 4091 bytes of escaped text
 * exist, and the whole column is cut at 2047 bytes.
 *
 * @param exit the exit status, or 128 + signal number
 * @param output the command's output (bytes, or a binary string)
 * @returns the extra column
 */
export function formatSh(exit: number, output: Uint8Array | string): string {
  const bytes = typeof output === "string" ? wordBytes(output) : output;
  let esc = "";
  for (const c of bytes) {
    if (esc.length + 5 >= EXTRA_LEN) break;
    if (c === 0x0a) esc += "\\n";
    else if (c < 0x20 || c >= 0x7f || c === 0x5c) esc += `\\x${c.toString(16).padStart(2, "0")}`;
    else esc += String.fromCharCode(c);
  }
  return `exit=${exit} out=${esc}`.slice(0, 2047);
}

/** Unsigned decimal of a C integer of `bits` bits. */
function unsigned(v: number | bigint, bits: number): string {
  return BigInt.asUintN(bits, BigInt(v)).toString();
}

/**
 * The extra column of `stat` (from lstat(2)):
 * `type=f mode=0644 uid=0 gid=0 nlink=1 size=0`.
 *
 * @param s `type`: the helper's letter (`f d l c b p s`, `?` otherwise);
 *   `mode`: the mode (only the permission bits 07777 are printed, as 4+
 *   octal digits); the rest as the kernel reports them
 * @returns the extra column
 */
export function formatStat(s: {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  nlink: number | bigint;
  size: number | bigint;
}): string {
  const mode = (s.mode & 0o7777).toString(8).padStart(4, "0");
  return `type=${s.type} mode=${mode} uid=${unsigned(s.uid, 32)} gid=${unsigned(s.gid, 32)} ` +
    `nlink=${unsigned(s.nlink, 64)} size=${BigInt.asIntN(64, BigInt(s.size))}`;
}

/**
 * The extra column of `statfs`:
 * `magic=0x1021994 bsize=4096 blocks=N bfree=N files=N ffree=N` (magic in
 * lower-case hex without padding).
 *
 * @param s the statfs(2) fields
 * @returns the extra column
 */
export function formatStatfs(s: {
  magic: number | bigint;
  bsize: number | bigint;
  blocks: number | bigint;
  bfree: number | bigint;
  files: number | bigint;
  ffree: number | bigint;
}): string {
  const magic = BigInt.asUintN(64, BigInt(s.magic)).toString(16);
  return `magic=0x${magic} bsize=${BigInt.asIntN(64, BigInt(s.bsize))} ` +
    `blocks=${unsigned(s.blocks, 64)} bfree=${unsigned(s.bfree, 64)} ` +
    `files=${unsigned(s.files, 64)} ffree=${unsigned(s.ffree, 64)}`;
}
