#!/bin/sh
# Makes the zstd test vectors with the real zstd tool and records what the
# tool itself decompresses them to (vectors.json), so tests never need it.
#   sh tests/vectors/zstd/make.sh        (needs zstd and python3: apt-get install zstd)
#
# The payload is 272 KiB of an initramfs-like mix (shell-like text, tables,
# some noise, runs of zeros), so every vector spans three 128 KiB chunks:
#   l1, l3, l15, l19   zstd -1 -T0 (mkinitramfs), -3, -15 -T0 (dracut), -19
#   nosize             zstd -1 --no-content-size
#   stream             cat | zstd -3: no content size, as from a pipe
#   long               cat | zstd --long=27: a 128 MiB window
#   wlog17, wlog10     cat | zstd -3 with a 128 KiB and a 1 KiB window: the
#                      window buffer starts over several times
#   nocheck            zstd -3 --no-check: no content checksum
#   twoframes          two frames back to back (the payload cut in two)
#   small              zstd -19 of a small newc archive: the one-pass path
#   empty              zstd of nothing
#   big                64 MiB (the payload, 241 times, numbered): the speed case
#
# Not made here: damaged.zst (zstd -3 --no-content-size of a newc archive of
# 40 text files) and damaged.json, its damaged variants with what Debian's
# 6.12 kernel made of each through the shared oracle (its message, and the
# output it flushed, read back from the files it created).
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp" <<'PY'
import random, struct, sys
out = sys.argv[1]

def newc(entries):
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
open(out + "/small.cpio", "wb").write(newc([
    (".", 0o40755, b""),
    ("init", 0o100755, init),
    ("etc", 0o40755, b""),
    ("etc/hostname", 0o100644, b"ramroot\n"),
    ("etc/motd", 0o100644, b"zstd test vector\n" * 20),
    ("bin", 0o120777, b"usr/bin"),
]))

rng = random.Random(20261125)
words = [("w%d" % i) * (1 + i % 3) for i in range(400)] + [
    "if", "then", "fi", "echo", "/usr/lib", "modprobe", "mount", "exec", "$1", "--"]
mix = bytearray()
while len(mix) < 272 * 1024:
    kind = rng.random()
    if kind < 0.6:
        line = " ".join(words[min(int(rng.paretovariate(1.2)) - 1, len(words) - 1)]
                        for _ in range(rng.randint(2, 12)))
        mix.extend(line.encode() + b"\n")
    elif kind < 0.95:
        base = rng.randint(0, 1 << 20)
        for i in range(rng.randint(4, 40)):
            mix.extend(struct.pack("<IIHH", base + 16 * i, rng.randint(0, 15), i, 0))
    elif kind < 0.975:
        mix.extend(rng.getrandbits(8) for _ in range(rng.randint(16, 100)))
    else:
        mix.extend(b"\0" * rng.randint(1000, 9000))
mix = bytes(mix[:272 * 1024])
open(out + "/mix.bin", "wb").write(mix)
open(out + "/mix1.bin", "wb").write(mix[:160 * 1024])
open(out + "/mix2.bin", "wb").write(mix[160 * 1024:])
with open(out + "/big.bin", "wb") as f:
    n = 0
    while n < 64 << 20:
        part = (b"copy %06d\n" % (n // len(mix))) + mix
        part = part[:(64 << 20) - n]
        f.write(part)
        n += len(part)
PY

z() { zstd -q -f "$@"; }
z -1 -T0 -c "$tmp/mix.bin" > l1.zst
z -3 -c "$tmp/mix.bin" > l3.zst
z -15 -T0 -c "$tmp/mix.bin" > l15.zst
z -19 -c "$tmp/mix.bin" > l19.zst
z -1 --no-content-size -c "$tmp/mix.bin" > nosize.zst
cat "$tmp/mix.bin" | zstd -q -3 > stream.zst
cat "$tmp/mix.bin" | zstd -q --long=27 > long.zst
cat "$tmp/mix.bin" | zstd -q -3 --zstd=wlog=17 > wlog17.zst
cat "$tmp/mix.bin" | zstd -q -19 --zstd=wlog=10 > wlog10.zst
z -3 --no-check -c "$tmp/mix.bin" > nocheck.zst
{ z -3 -c "$tmp/mix1.bin"; z -3 -c "$tmp/mix2.bin"; } > twoframes.zst
z -19 -c "$tmp/small.cpio" > small.zst
z -c < /dev/null > empty.zst
z -19 --long=27 -c "$tmp/big.bin" > big.zst

# what zstd makes of each: the first frame only (the kernel decodes one)
{
  printf '{\n'
  sep=
  for f in l1 l3 l15 l19 nosize stream long wlog17 wlog10 nocheck twoframes small empty big; do
    python3 - "$f.zst" "$tmp/frame" <<'PY'
import sys
# cut the file after its first frame (zstd -d would decode every frame)
d = open(sys.argv[1], "rb").read()
p = 4
fhd = d[p]; p += 1
single = (fhd >> 5) & 1
p += (0 if single else 1) + [0, 1, 2, 4][fhd & 3] + ([single, 2, 4, 8][fhd >> 6])
while True:
    h = int.from_bytes(d[p:p + 3], "little"); p += 3
    p += 1 if (h >> 1) & 3 == 1 else h >> 3
    if h & 1:
        break
p += 4 if fhd & 4 else 0
open(sys.argv[2], "wb").write(d[:p])
PY
    zstd -q -d -c "$tmp/frame" > "$tmp/out"
    printf '%s  "%s.zst": { "frame": %s, "size": %s, "sha256": "%s" }' "$sep" "$f" \
      "$(wc -c < "$tmp/frame" | tr -d ' ')" "$(wc -c < "$tmp/out" | tr -d ' ')" \
      "$(sha256sum < "$tmp/out" | cut -d' ' -f1)"
    sep=',
'
  done
  printf '\n}\n'
} > vectors.json
zstd --version | sed 's/^/# made with: /' >&2
