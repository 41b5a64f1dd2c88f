#!/bin/sh
# Makes the lzo test vectors with the real lzop tool and records what the tool
# itself decompresses them to (vectors.json), so tests never need the tool.
#   sh tests/vectors/lzo/make.sh        (needs lzop and python3: apt-get install lzop)
#
#   small.lzo       lzop -9 of a small newc archive (the header holds its name)
#   multi.lzo       lzop -9 of 512 KiB of repeated text and 2 KiB of noise:
#                   blocks of 256, 256 and 2 KiB, the last one stored
#   mixed.lzo       lzop -9 of 128 KiB of text, tables and noise: one block, the
#                   unit of the 64 MiB speed case (the block is repeated)
#   empty.lzo       lzop of an empty file: a header and the end marker
#   fast.lzo        lzop -1 (method LZO1X-1(15)) of the small archive
#   crc32.lzo       lzop --crc32: CRC-32 instead of Adler-32, still one word
#   nochecksum.lzo  lzop -F: no checksum word, which the kernel cannot read
#   filter.lzo      lzop --filter=1: F_H_FILTER, which the kernel skips but
#                   never undoes
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp" <<'PY'
import random, struct, sys
out = sys.argv[1]

def newc(entries):
    # entries: (name, mode, data); the kernel's newc format, one link each
    b = bytearray()
    def add(ino, name, mode, data):
        name = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 1700000000, len(data), 0, 0, 0, 0, len(name), 0]
        b.extend(b"070701" + b"".join(b"%08x" % f for f in fields) + name)
        b.extend(b"\0" * (-len(b) % 4) + data + b"\0" * (-len(data) % 4))
    for i, (name, mode, data) in enumerate(entries):
        add(721 + i, name, mode, data)
    add(0, "TRAILER!!!", 0, b"")
    b.extend(b"\0" * (-len(b) % 512))
    return bytes(b)

init = b"#!/bin/sh\nmount -t proc proc /proc\nexec /sbin/init \"$@\"\n"
small = newc([
    (".", 0o40755, b""),
    ("init", 0o100755, init),
    ("etc", 0o40755, b""),
    ("etc/hostname", 0o100644, b"ramroot\n"),
    ("etc/motd", 0o100644, b"lzop test vector\n" * 20),
    ("bin", 0o120777, b"usr/bin"),
])
open(out + "/small.cpio", "wb").write(small)

# 128 KiB that compresses about as well as a real initramfs: shell-like
# text, little-endian tables and some noise
rng = random.Random(20261124)
words = [("w%d" % i) * (1 + i % 3) for i in range(400)] + [
    "if", "then", "fi", "echo", "/usr/lib", "modprobe", "mount", "exec", "$1", "--"]
mixed = bytearray()
while len(mixed) < 128 * 1024:
    kind = rng.random()
    if kind < 0.6:
        line = " ".join(words[min(int(rng.paretovariate(1.2)) - 1, len(words) - 1)]
                        for _ in range(rng.randint(2, 12)))
        mixed.extend(line.encode() + b"\n")
    elif kind < 0.96:
        base = rng.randint(0, 1 << 20)
        for i in range(rng.randint(4, 40)):
            mixed.extend(struct.pack("<IIHH", base + 16 * i, rng.randint(0, 15), i, 0))
    else:
        mixed.extend(rng.getrandbits(8) for _ in range(rng.randint(16, 128)))
open(out + "/mixed.bin", "wb").write(bytes(mixed[:128 * 1024]))

# two full 256 KiB blocks of repeated text, then 2 KiB of noise that lzop
# stores (src_len == dst_len)
unit = b"".join(b"%06d the same line of an init script, over and over\n" % i for i in range(80))
multi = (unit * (512 * 1024 // len(unit) + 1))[:512 * 1024]
multi += bytes(rng.getrandbits(8) for _ in range(2048))
open(out + "/multi.bin", "wb").write(multi)
PY

# fixed mtimes, so the headers are the same on every run
: > "$tmp/empty"
touch -d @1700000000 "$tmp"/*
lzop -9 -c "$tmp/small.cpio" > small.lzo
lzop -9 -c "$tmp/multi.bin" > multi.lzo
lzop -9 -c "$tmp/mixed.bin" > mixed.lzo
lzop -c "$tmp/empty" > empty.lzo
lzop -1 -c "$tmp/small.cpio" > fast.lzo
lzop --crc32 -c "$tmp/small.cpio" > crc32.lzo
lzop -F -c "$tmp/small.cpio" > nochecksum.lzo
lzop --filter=1 -c "$tmp/small.cpio" > filter.lzo

for f in small multi mixed empty fast crc32 nochecksum filter; do
  lzop -dc "$f.lzo" > "$tmp/out"
  printf '%s %s %s\n' "$f.lzo" "$(wc -c < "$tmp/out" | tr -d ' ')" \
    "$(sha256sum < "$tmp/out" | cut -d' ' -f1)"
done > "$tmp/sums"
python3 - "$tmp/sums" "$(lzop --version 2>&1 | head -n 1)" > vectors.json <<'PY'
import json, sys
lines = [l.split() for l in open(sys.argv[1])]
vectors = {name: {"length": int(n), "sha256": sha} for name, n, sha in lines}
print(json.dumps({"tool": sys.argv[2], "vectors": vectors}, indent=2))
PY
