#!/bin/sh
# Makes the lz4 test vectors with the real lz4 tool and records what the tool
# itself decompresses them to (vectors.json), so tests never need the tool.
#   sh tests/vectors/lz4/make.sh        (needs lz4 and python3: apt-get install lz4)
#
#   small.lz4   lz4 -l -9 of a small newc archive: one chunk
#   multi.lz4   lz4 -l -1 of 17 MiB of repeated text: chunks of 8, 8 and 1 MiB
#   mixed.lz4   lz4 -l -9 of 128 KiB of text, tables and noise: one chunk, the
#               unit of the 64 MiB speed case (the chunk is repeated)
#   empty.lz4   lz4 -l of nothing: the magic alone
#   frame.lz4   lz4 (the modern frame, 04 22 4d 18) of the small archive
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
    ("etc/motd", 0o100644, b"lz4 legacy frame test vector\n" * 20),
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

unit = b"".join(b"%06d the same line of an init script, over and over\n" % i for i in range(80))
multi = (unit * (17 * 1024 * 1024 // len(unit) + 1))[:17 * 1024 * 1024]
open(out + "/multi.bin", "wb").write(multi)
PY

lz4 -q -l -9 -c "$tmp/small.cpio" > small.lz4
lz4 -q -l -1 -c "$tmp/multi.bin" > multi.lz4
lz4 -q -l -9 -c "$tmp/mixed.bin" > mixed.lz4
lz4 -q -l -c < /dev/null > empty.lz4
lz4 -q -c "$tmp/small.cpio" > frame.lz4

for f in small multi mixed empty frame; do
  lz4 -q -dc "$f.lz4" > "$tmp/out"
  printf '%s %s %s\n' "$f.lz4" "$(wc -c < "$tmp/out" | tr -d ' ')" \
    "$(sha256sum < "$tmp/out" | cut -d' ' -f1)"
done > "$tmp/sums"
python3 - "$tmp/sums" "$(lz4 --version 2>&1 | head -n 1)" > vectors.json <<'PY'
import json, sys
lines = [l.split() for l in open(sys.argv[1])]
vectors = {name: {"length": int(n), "sha256": sha} for name, n, sha in lines}
print(json.dumps({"tool": sys.argv[2], "vectors": vectors}, indent=2))
PY
