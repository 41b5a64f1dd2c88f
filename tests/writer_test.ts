import assert from "node:assert/strict";
import { type CpioEntry, CpioWriter, writeCpio, type WriteOptions } from "../src/writer.ts";
import { type DecodedHeader, decodeHeader, FIELDS } from "./_util/newc.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

type Header = DecodedHeader;

/** Decodes the header at `at`, checking each field is exactly 8 hex digits. */
function header(archive: Uint8Array, at: number): Header {
  return decodeHeader(archive, at);
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

// gen_init_cpio's fixed device numbers, used by the spec's worked examples.
const GIC = { devMajor: 3, devMinor: 1 };

Deno.test("writeCpio() reproduces the spec's worked examples", async (t) => {
  // SHA-256s are those of the real gen_init_cpio (Linux 6.1, same code path as
  // the newest tool for these lists). The spec's §8 lists different hashes
  // for 8.1 and 8.2, which its own byte tables and the real tool contradict.
  await t.step("§8.1 default list, -t 0", async () => {
    const archive = writeCpio([
      { ...GIC, name: "dev", mode: 0o40755, nlink: 2, ino: 721 },
      { ...GIC, name: "dev/console", mode: 0o20600, ino: 722, rdevMajor: 5, rdevMinor: 1 },
      { ...GIC, name: "root", mode: 0o40700, nlink: 2, ino: 723 },
    ]);
    assert.equal(archive.length, 512);
    assert.equal(
      await sha256(archive),
      "0735e8cce5a602ba322a266a62f2c3fa6529bfcab819b3ae888d1cec46966afe",
    );
    assert.equal(
      header(archive, 0).raw,
      "070701000002D1000041ED000000000000000000000002000000000000000000000003" +
        "00000001000000000000000000000004" + "00000000",
    );
    assert.equal(dec.decode(archive.subarray(110, 116)), "dev\0\0\0");
    const console = header(archive, 116);
    assert.deepEqual(
      [console.ino, console.mode, console.nlink, console.rdevmajor, console.rdevminor],
      [0x2d2, 0o20600, 1, 5, 1],
    );
    assert.equal(console.namesize, 12);
    assert.equal(header(archive, 240).mode, 0o40700);
    const trailer = header(archive, 356);
    assert.deepEqual([trailer.ino, trailer.mode, trailer.nlink, trailer.namesize], [0, 0, 1, 11]);
    assert.equal(dec.decode(archive.subarray(466, 480)), "TRAILER!!!\0\0\0\0");
    assert.ok(archive.subarray(480).every((b) => b === 0));
  });

  await t.step("§8.2 checksums and hard links, -t 0 -c", async () => {
    const archive = writeCpio([
      { ...GIC, name: "a", mode: 0o100644, nlink: 2, ino: 721 },
      { ...GIC, name: "b", mode: 0o100644, nlink: 2, ino: 721, data: enc.encode("ASDF") },
      { ...GIC, name: "l", mode: 0o120777, ino: 722, data: enc.encode("a\0") },
    ], { format: "crc" });
    assert.equal(archive.length, 512);
    assert.equal(
      await sha256(archive),
      "6deec6a006f3d71b6a41fbeda09c615d182b9396409322c6067316997a8b8091",
    );
    const [a, b, l] = [header(archive, 0), header(archive, 112), header(archive, 228)];
    assert.deepEqual([a.magic, a.filesize, a.chksum], ["070702", 0, 0]);
    assert.deepEqual([b.filesize, b.chksum], [4, 0x11e]);
    assert.deepEqual([l.mode, l.filesize, l.chksum], [0o120777, 2, 0]);
    assert.equal(header(archive, 344).magic, "070702");
  });

  await t.step("§8.3 alignment by name padding, -t 0 -a 4096", () => {
    const archive = writeCpio([
      { ...GIC, name: "big", mode: 0o100644, ino: 721, namePad: 3982, data: new Uint8Array(5120) },
    ]);
    assert.equal(header(archive, 0).namesize, 3986);
    assert.equal(header(archive, 9216).namesize, 11);
    assert.equal(archive.length, 9728);
  });
});

interface EncodeCase {
  name: string;
  entries: CpioEntry[];
  options?: WriteOptions;
  want: (archive: Uint8Array) => void;
}

const ENCODE_CASES: EncodeCase[] = [
  {
    name: "defaults: zero fields, nlink 1, trailer, 512 padding",
    entries: [{ name: "x", mode: 0o100644 }],
    want: (archive) => {
      const h = header(archive, 0);
      assert.deepEqual(
        FIELDS.map((f) => h[f]),
        [0, 0o100644, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 0],
      );
      assert.equal(archive.length, 512);
      assert.equal(dec.decode(archive.subarray(112 + 110, 112 + 120)), "TRAILER!!!");
    },
  },
  {
    name: "every field at its maximum prints as FFFFFFFF",
    entries: [{
      name: "m",
      mode: 0xffffffff,
      uid: 0xffffffff,
      gid: 0xffffffff,
      nlink: 0xffffffff,
      mtime: 0xffffffff,
      ino: 0xffffffff,
      devMajor: 0xffffffff,
      devMinor: 0xffffffff,
      rdevMajor: 0xffffffff,
      rdevMinor: 0xffffffff,
    }],
    options: { trailer: false, padTo: 0 },
    want: (archive) => {
      assert.equal(header(archive, 0).raw.slice(6, 54), "FFFFFFFF".repeat(6));
      assert.equal(header(archive, 0).raw.slice(62, 94), "FFFFFFFF".repeat(4));
      assert.equal(archive.length, 112);
    },
  },
  {
    name: "upperHex false writes lowercase digits",
    entries: [{ name: "d", mode: 0o40755, ino: 0xabcdef }],
    options: { upperHex: false, padTo: 0 },
    want: (archive) => assert.equal(header(archive, 0).raw.slice(6, 22), "00abcdef000041ed"),
  },
  {
    name: "crc: the check is the byte sum mod 2^32, for regular files only",
    entries: [
      { name: "f", mode: 0o100600, data: new Uint8Array(300).fill(0xff) },
      { name: "s", mode: 0o120777, data: enc.encode("target") },
      { name: "d", mode: 0o40755, data: new Uint8Array([1, 2, 3]) },
      { name: "e", mode: 0o100600 },
    ],
    options: { format: "crc" },
    want: (archive) => {
      let at = 0;
      const checks: number[] = [];
      for (let i = 0; i < 4; i++) {
        const h = header(archive, at);
        checks.push(h.chksum);
        at += Math.ceil((110 + h.namesize) / 4) * 4;
        at += Math.ceil(h.filesize / 4) * 4;
      }
      assert.deepEqual(checks, [300 * 255, 0, 0, 0]);
    },
  },
  {
    name: "crc: the sum wraps at 2^32",
    entries: [{ name: "w", mode: 0o100600, data: new Uint8Array(16_843_010).fill(0xff) }],
    options: { format: "crc", trailer: false, padTo: 0 },
    // 16843010 * 255 = 4294967550 = 2^32 + 254
    want: (archive) => assert.equal(header(archive, 0).chksum, 254),
  },
  {
    name: "name and data padding to 4 bytes",
    entries: [
      { name: "abcd", mode: 0o100644, data: enc.encode("x") },
      { name: "", mode: 0o40755 },
    ],
    options: { trailer: false, padTo: 0 },
    want: (archive) => {
      // 110 + "abcd\0" = 115 -> 116; data 1 byte -> 120; 110 + "\0" = 231 -> 232
      assert.equal(archive.length, 232);
      assert.equal(archive[116], 0x78);
      assert.equal(header(archive, 120).namesize, 1);
    },
  },
  {
    name: "namePad adds NULs counted in namesize, then pads to 4",
    entries: [{ name: "n", mode: 0o100644, namePad: 5, data: enc.encode("DATA") }],
    options: { trailer: false, padTo: 0 },
    want: (archive) => {
      assert.equal(header(archive, 0).namesize, 7);
      // 110 + 7 = 117 -> 120
      assert.equal(dec.decode(archive.subarray(120, 124)), "DATA");
      assert.ok(archive.subarray(110, 120).every((b, i) => i === 0 ? b === 0x6e : b === 0));
    },
  },
  {
    name: "Uint8Array names are written as given",
    entries: [{ name: new Uint8Array([0xff, 0xfe, 0x2f, 0x80]), mode: 0o100644 }],
    options: { trailer: false, padTo: 0 },
    want: (archive) => {
      assert.equal(header(archive, 0).namesize, 5);
      assert.deepEqual([...archive.subarray(110, 115)], [0xff, 0xfe, 0x2f, 0x80, 0]);
    },
  },
  {
    name: "string names are UTF-8",
    entries: [{ name: "café", mode: 0o40755 }],
    options: { trailer: false, padTo: 0 },
    want: (archive) => assert.equal(header(archive, 0).namesize, 6),
  },
  {
    name: "trailer false and padTo 0 give just the entries",
    entries: [],
    options: { trailer: false, padTo: 0 },
    want: (archive) => assert.equal(archive.length, 0),
  },
  {
    name: "padTo 1 means no padding",
    entries: [],
    options: { padTo: 1 },
    want: (archive) => assert.equal(archive.length, 124),
  },
  {
    name: "padTo 4096 without a trailer",
    entries: [{ name: "x", mode: 0o100644 }],
    options: { trailer: false, padTo: 4096 },
    want: (archive) => {
      assert.equal(archive.length, 4096);
      assert.ok(archive.subarray(112).every((b) => b === 0));
    },
  },
  {
    name: "crc trailer uses magic 070702",
    entries: [],
    options: { format: "crc" },
    want: (archive) => assert.equal(header(archive, 0).magic, "070702"),
  },
];

Deno.test("writeCpio() encodes entries", async (t) => {
  for (const c of ENCODE_CASES) {
    await t.step(c.name, () => c.want(writeCpio(c.entries, c.options)));
  }
});

Deno.test("CpioWriter streams the same bytes as writeCpio()", () => {
  const entries: CpioEntry[] = [
    { name: "dir", mode: 0o40755, nlink: 2 },
    { name: "dir/file", mode: 0o100644, data: enc.encode("odd") },
    { name: "dir/link", mode: 0o120777, data: enc.encode("file") },
  ];
  const writer = new CpioWriter({ format: "crc" });
  const chunks = entries.map((e) => writer.add(e));
  assert.equal(writer.offset, chunks.reduce((n, c) => n + c.length, 0));
  chunks.push(writer.finish());
  assert.equal(writer.offset, 512);
  const joined = new Uint8Array(512);
  let at = 0;
  for (const c of chunks) {
    joined.set(c, at);
    at += c.length;
  }
  assert.deepEqual(joined, writeCpio(entries, { format: "crc" }));
  assert.throws(() => writer.add(entries[0]!), TypeError);
  assert.throws(() => writer.finish(), TypeError);
});

Deno.test("writeCpio() accepts any iterable", () => {
  function* gen(): Generator<CpioEntry> {
    yield { name: "a", mode: 0o100644 };
  }
  assert.deepEqual(writeCpio(gen()), writeCpio([{ name: "a", mode: 0o100644 }]));
});

const BAD: { name: string; entries: unknown; options?: unknown; error: typeof Error }[] = [
  { name: "entries not iterable", entries: 42, error: TypeError },
  { name: "entries null", entries: null, error: TypeError },
  { name: "entry null", entries: [null], error: TypeError },
  { name: "name a number", entries: [{ name: 1, mode: 0 }], error: TypeError },
  { name: "mode missing", entries: [{ name: "x" }], error: TypeError },
  { name: "mode a string", entries: [{ name: "x", mode: "755" }], error: TypeError },
  { name: "uid a bigint", entries: [{ name: "x", mode: 0, uid: 1n }], error: TypeError },
  { name: "data a string", entries: [{ name: "x", mode: 0, data: "abc" }], error: TypeError },
  { name: "options not an object", entries: [], options: "crc", error: TypeError },
  { name: "format not a string", entries: [], options: { format: 1 }, error: TypeError },
  { name: "trailer not a boolean", entries: [], options: { trailer: 1 }, error: TypeError },
  { name: "upperHex not a boolean", entries: [], options: { upperHex: "no" }, error: TypeError },
  { name: "padTo a string", entries: [], options: { padTo: "512" }, error: TypeError },
  { name: "mode negative", entries: [{ name: "x", mode: -1 }], error: RangeError },
  { name: "mode 2^32", entries: [{ name: "x", mode: 2 ** 32 }], error: RangeError },
  { name: "mtime fractional", entries: [{ name: "x", mode: 0, mtime: 1.5 }], error: RangeError },
  { name: "gid NaN", entries: [{ name: "x", mode: 0, gid: NaN }], error: RangeError },
  { name: "ino Infinity", entries: [{ name: "x", mode: 0, ino: Infinity }], error: RangeError },
  { name: "nlink 2^32", entries: [{ name: "x", mode: 0, nlink: 2 ** 32 }], error: RangeError },
  {
    name: "rdevMinor negative",
    entries: [{ name: "x", mode: 0, rdevMinor: -1 }],
    error: RangeError,
  },
  { name: "name with a NUL", entries: [{ name: "a\0b", mode: 0 }], error: RangeError },
  {
    name: "namesize over 2^32 - 1",
    entries: [{ name: "ab", mode: 0, namePad: 0xffffffff - 2 }],
    error: RangeError,
  },
  { name: "unknown format", entries: [], options: { format: "odc" }, error: RangeError },
  { name: "padTo negative", entries: [], options: { padTo: -512 }, error: RangeError },
  { name: "padTo fractional", entries: [], options: { padTo: 0.5 }, error: RangeError },
];

Deno.test("writeCpio() rejects bad input with TypeError or RangeError", async (t) => {
  for (const c of BAD) {
    await t.step(c.name, () => {
      assert.throws(
        () => writeCpio(c.entries as Iterable<CpioEntry>, c.options as WriteOptions),
        c.error,
      );
    });
  }
});

Deno.test("writeCpio() error messages name the entry and field", () => {
  assert.throws(
    () => writeCpio([{ name: "etc/passwd", mode: 0o100644, uid: -1 }]),
    { name: "RangeError", message: /"etc\/passwd": uid must be an integer in \[0, 0xffffffff\]/ },
  );
});
