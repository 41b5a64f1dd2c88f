#!/bin/bash
# Makes the xz test vectors with xz-utils (5.4 here) and records, for each,
# what `xz -dc` makes of it (SHA-256 and length of the output) or that it
# refuses it, in expect.tsv. Run from anywhere; rewrites this directory's
# *.xz and expect.tsv. The inputs come from python3 with fixed seeds, except
# x86.bin: the start of an x86-64 binary of this machine (its bytes do not
# matter, only that it is machine code).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp" <<'PY'
import random, sys
d = sys.argv[1]
r = random.Random(7)
words = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 9))) for _ in range(400)]
lines = []
while sum(map(len, lines)) < 80_000:
    lines.append(" ".join(r.choice(words) for _ in range(r.randint(3, 14))) + "\n")
open(f"{d}/text.bin", "w").write("".join(lines))
open(f"{d}/random.bin", "wb").write(bytes(r.getrandbits(8) for _ in range(70_000)))
open(f"{d}/small.bin", "w").write("".join(lines[:40]))
# 64 MiB of counted lines: the large case
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
head -c 98304 "$(command -v bash)" > "$tmp/x86.bin"
: > "$tmp/empty.bin"

make() { # name input xz-options...
  local name=$1 input=$2
  shift 2
  xz -T1 -c "$@" "$tmp/$input" > "$name.xz"
}
make text-crc32 text.bin --check=crc32
make text-none text.bin --check=none
make text-crc64 text.bin --check=crc64
make text-sha256 text.bin --check=sha256
make small-crc32 small.bin --check=crc32 -0
make empty empty.bin --check=crc32
make random-crc32 random.bin --check=crc32
make blocks-crc32 text.bin --check=crc32 -T2 --block-size=20000
make dict64m-crc32 small.bin --check=crc32 -9e
make lclppb-crc32 text.bin --check=crc32 --lzma2=preset=6,lc=0,lp=4,pb=4
make lc4-crc32 text.bin --check=crc32 --lzma2=preset=6,lc=4,lp=0,pb=0
make x86-crc32 x86.bin --check=crc32 --x86 --lzma2=dict=1MiB
make x86-none x86.bin --check=none --x86 --lzma2=preset=0
make arm64-crc32 x86.bin --check=crc32 --arm64 --lzma2=preset=6
make powerpc-crc32 x86.bin --check=crc32 --powerpc --lzma2=preset=6
make delta-crc32 text.bin --check=crc32 --delta=dist=4 --lzma2=preset=6
make large-crc32 large.bin --check=crc32 -6

{
  printf 'name\tbytes\tsha256\n'
  for f in *.xz; do
    if out=$(xz -dc "$f" | sha256sum | cut -d' ' -f1) && n=$(xz -dc "$f" | wc -c); then
      printf '%s\t%s\t%s\n' "${f%.xz}" "$n" "$out"
    else
      printf '%s\t-\t-\n' "${f%.xz}"
    fi
  done
} > expect.tsv
cat expect.tsv
