#!/bin/sh
# Makes the bzip2 test vectors with the real bzip2 tool and records what the
# tool itself decompresses them to (vectors.json), so tests never need the tool.
#   sh tests/vectors/bzip2/make.sh        (needs bzip2 and python3: apt-get install bzip2)
#
#   hello.bz2    bzip2 -9 of "hello\n": one block, one partial output buffer
#   empty.bz2    bzip2 -9 of nothing: the header and the end-of-stream magic
#   text1.bz2    bzip2 -1 of 220 KiB of text, tables and noise: three 100k blocks
#   text9.bz2    bzip2 -9 of the same: one block
#   runs.bz2     bzip2 -1 of long runs of a few bytes (the 4-byte run rule)
#   noise.bz2    bzip2 -2 of 60 KiB of random bytes (long Huffman codes)
#   big.bz2      bzip2 -9 of 64 MiB of text with a short period: the speed case
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp" <<'PY'
import random, sys
out = sys.argv[1]
rng = random.Random(20261124)
words = [("w%d" % i) * (1 + i % 3) for i in range(400)] + [
    "if", "then", "fi", "echo", "/usr/lib", "modprobe", "mount", "exec", "$1", "--"]
text = bytearray()
while len(text) < 220 * 1024:
    kind = rng.random()
    if kind < 0.6:
        line = " ".join(words[min(int(rng.paretovariate(1.2)) - 1, len(words) - 1)]
                        for _ in range(rng.randint(2, 12)))
        text.extend(line.encode() + b"\n")
    elif kind < 0.96:
        base = rng.randint(0, 1 << 20)
        for i in range(rng.randint(4, 40)):
            text.extend((base + 16 * i).to_bytes(4, "little"))
    else:
        text.extend(rng.randbytes(rng.randint(16, 200)))
open(out + "/text", "wb").write(text[:220 * 1024])

runs = bytearray()
while len(runs) < 200 * 1024:
    runs.extend(bytes([rng.choice(b"\0ab\xff")]) * rng.choice([1, 3, 4, 5, 250, 255, 256, 260, 4000]))
open(out + "/runs", "wb").write(runs)
open(out + "/noise", "wb").write(rng.randbytes(60 * 1024))

with open(out + "/big", "wb") as f:
    n = 0
    i = 0
    while n < 64 << 20:
        line = b"%d %s\n" % (i % 10, words[i % 8].encode() * (1 + i % 5))
        f.write(line)
        n += len(line)
        i += 1
    f.truncate(64 << 20)
PY
printf 'hello\n' > "$tmp/hello"
: > "$tmp/empty"

bzip2 -9 -c "$tmp/hello" > hello.bz2
bzip2 -9 -c "$tmp/empty" > empty.bz2
bzip2 -1 -c "$tmp/text" > text1.bz2
bzip2 -9 -c "$tmp/text" > text9.bz2
bzip2 -1 -c "$tmp/runs" > runs.bz2
bzip2 -2 -c "$tmp/noise" > noise.bz2
bzip2 -9 -c "$tmp/big" > big.bz2

{
  printf '{\n  "tool": "%s",\n  "vectors": {\n' "$(bzip2 --version 2>&1 | head -n 1)"
  sep=""
  for v in hello empty text1 text9 runs noise big; do
    len=$(bzip2 -dc "$v.bz2" | wc -c | tr -d ' ')
    sum=$(bzip2 -dc "$v.bz2" | sha256sum | cut -d' ' -f1)
    printf '%s    "%s.bz2": { "length": %s, "sha256": "%s" }' "$sep" "$v" "$len" "$sum"
    sep=",
"
  done
  printf '\n  }\n}\n'
} > vectors.json
! command -v deno >/dev/null || deno fmt -q vectors.json
