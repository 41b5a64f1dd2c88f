#!/bin/bash
# Makes the .lzma test vectors with xz-utils (`xz --format=lzma`, which
# always writes an unknown size and the end marker; the tests derive
# known-size members by patching the header) and records what
# `xz --format=lzma -dc` makes of each (SHA-256 and length) in expect.tsv.
# The inputs come from python3 with fixed seeds.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp" <<'PY'
import random, sys
d = sys.argv[1]
r = random.Random(11)
words = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 9))) for _ in range(400)]
lines = []
while sum(map(len, lines)) < 80_000:
    lines.append(" ".join(r.choice(words) for _ in range(r.randint(3, 14))) + "\n")
open(f"{d}/text.bin", "w").write("".join(lines))
open(f"{d}/small.bin", "w").write("".join(lines[:40]))
open(f"{d}/random.bin", "wb").write(bytes(r.getrandbits(8) for _ in range(40_000)))
with open(f"{d}/large.bin", "w") as f:
    n, i = 0, 0
    while n < 64 << 20:
        s = f"{i:09d}\n"
        if n + len(s) > 64 << 20:
            s = s[: (64 << 20) - n]
        f.write(s)
        n += len(s)
        i += 1
PY
: > "$tmp/empty.bin"

make() { # name input xz-options...
  local name=$1 input=$2
  shift 2
  xz -T1 --format=lzma -c "$@" "$tmp/$input" > "$name.lzma"
}
make text text.bin -6
make small small.bin -0
make empty empty.bin -6
make random random.bin -6
make dict4k text.bin --lzma1=preset=6,dict=4KiB
make lclppb text.bin --lzma1=preset=6,lc=0,lp=4,pb=4
make large large.bin -6

{
  printf 'name\tbytes\tsha256\n'
  for f in *.lzma; do
    printf '%s\t%s\t%s\n' "${f%.lzma}" "$(xz --format=lzma -dc "$f" | wc -c)" \
      "$(xz --format=lzma -dc "$f" | sha256sum | cut -d' ' -f1)"
  done
} > expect.tsv
cat expect.tsv

# observed-*.img are not made here: each is a .lzma member whose header was
# patched to the real uncompressed size and which was cut where ramroot's
# decoder says the kernel stops reading (posp), followed directly by a gzip
# member. Debian 6.12's kernel unpacked both members of each (kernel oracle),
# so its my_inptr for the lzma member is exactly that cut: 90 and 188 bytes.
# observed-short.lzma is the first of them, uncut, with a size one byte short
# of its output, which ends inside a match: "LZMA data is corrupt" (observed).
