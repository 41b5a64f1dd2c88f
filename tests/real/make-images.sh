#!/usr/bin/env bash
# Makes the real initramfs images that tests/real/ checks ramroot with: what
# Debian 12 boots, for the kernel of linux-image-amd64.
#
#   tests/real/make-images.sh [--force] [OUTDIR]     (default: tests/real/images/)
#
#   d-i-netboot.initrd.gz       the text installer's initrd (debian-installer-12-netboot-amd64)
#   mkinitramfs-gzip.img        mkinitramfs -c gzip, no early segment
#   mkinitramfs-zstd.img        mkinitramfs -c zstd, no early segment
#   mkinitramfs-ucode-zstd.img  mkinitramfs -c zstd with the early microcode cpio in front
#   dracut-ucode.img            dracut --no-hostonly --reproducible --early-microcode, gzip
#
# Needs root when something has to be built: missing packages are installed
# with apt-get. The microcode packages live in non-free-firmware; when the
# configured sources lack that component, they are installed from the same
# Debian mirrors with that component added, in a private apt state
# (/etc/apt is not changed). If that fails too, the early segment is built as
# the packages' initramfs-tools hooks would, from whatever microcode files
# /lib/firmware has, and the script says so.
#
# The mkinitramfs and dracut images are reproducible (SOURCE_DATE_EPOCH,
# cpio --reproducible, gzip -n). An image that exists with the sha256 that
# golden/images.json expects is kept; any other is rebuilt, twice, and both
# builds must be identical. Each image gets NAME.made next to it: how it was
# made and from which package versions (record.ts copies it to images.json).
# Prints one line per image: name, size, sha256.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
force=
[ "${1:-}" = --force ] && { force=1; shift; }
out=${1:-$here/images}
golden_json=$here/golden/images.json
# every file in the built images is at most this old (2025-01-01 00:00 UTC)
export SOURCE_DATE_EPOCH=1735689600
NAMES=(d-i-netboot.initrd.gz mkinitramfs-gzip.img mkinitramfs-zstd.img
  mkinitramfs-ucode-zstd.img dracut-ucode.img)

say() { echo "make-images: $*" >&2; }
die() { say "$*"; exit 1; }

sha() { sha256sum < "$1" | cut -c1-64; }

# The sha256 golden/images.json expects for an image, or nothing.
expected() {
  [ -r "$golden_json" ] || return 0
  python3 -c 'import json, sys
e = json.load(open(sys.argv[1])).get(sys.argv[2])
print(e["sha256"] if e else "")' "$golden_json" "$1"
}

# Whether an image is there with the expected bytes.
current() {
  local want
  [ -z "$force" ] && [ -s "$out/$1" ] && [ -s "$out/$1.made" ] || return 1
  want=$(expected "$1")
  [ -n "$want" ] && [ "$(sha "$out/$1")" = "$want" ]
}

need=()
for n in "${NAMES[@]}"; do current "$n" || need+=("$n"); done
wants() { local n; for n in "${need[@]}"; do [ "$n" = "$1" ] && return 0; done; return 1; }

report() {
  local n
  for n in "${NAMES[@]}"; do
    if [ -s "$out/$n" ]; then
      printf '%-28s %10s  %s\n' "$n" "$(stat -c %s "$out/$n")" "$(sha "$out/$n")"
    else
      printf '%-28s %10s  %s\n' "$n" - "not made"
    fi
  done
}

if [ ${#need[@]} -eq 0 ]; then
  report
  exit 0
fi
[ "$(id -u)" = 0 ] || die "needs root to build ${need[*]} (apt-get, mkinitramfs, dracut)"
command -v apt-get >/dev/null || die "needs apt-get (Debian 12)"
mkdir -p "$out"
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/log

# ---- packages
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
apt_updated=
apt_install() { # PKG... : quiet, without recommends; 1 on failure
  if [ -z "$apt_updated" ]; then apt-get update -qq >"$log" 2>&1 || true; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    >"$log" 2>&1
}
base=(cpio zstd gzip python3 initramfs-tools linux-image-amd64)
wants d-i-netboot.initrd.gz && base+=(debian-installer-12-netboot-amd64)
wants dracut-ucode.img && base+=(dracut-core)
missing=()
for p in "${base[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt_install "${missing[@]}" || { tail -n 20 "$log" >&2; die "apt-get install ${missing[*]} failed"; }
fi

# Microcode: from the configured sources, else with non-free-firmware added
# for the configured Debian mirrors in a private apt state.
ucode_note=
install_microcode() {
  local pkgs=() p priv
  for p in amd64-microcode intel-microcode; do installed "$p" || pkgs+=("$p"); done
  [ ${#pkgs[@]} -eq 0 ] && return 0
  if apt-cache show "${pkgs[@]}" >/dev/null 2>&1 && apt_install "${pkgs[@]}"; then
    say "installed ${pkgs[*]}"
    return 0
  fi
  priv=$work/apt
  mkdir -p "$priv/lists/partial"
  {
    [ -r /etc/apt/sources.list ] && cat /etc/apt/sources.list
    apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' 'Origin: Debian' |
      sort -u | while read -r uri suite; do echo "deb $uri $suite non-free-firmware"; done
  } >"$priv/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$priv/sources.list" -o "Dir::State::Lists=$priv/lists"
    -o APT::Sandbox::User=root)
  if apt-get "${opts[@]}" update -qq >"$log" 2>&1 &&
    DEBIAN_FRONTEND=noninteractive apt-get "${opts[@]}" install -y -qq --no-install-recommends \
      "${pkgs[@]}" >"$log" 2>&1; then
    say "installed ${pkgs[*]} from non-free-firmware (not in the configured apt sources;" \
      "a private apt state was used, /etc/apt is unchanged)"
    return 0
  fi
  tail -n 5 "$log" | sed 's/^/  | /' >&2
  return 1
}
if wants mkinitramfs-ucode-zstd.img || wants dracut-ucode.img; then
  if ! install_microcode; then
    ucode_note="intel-microcode/amd64-microcode could not be installed: early segment built from the microcode files in /lib/firmware"
    say "$ucode_note"
  fi
fi

kver=$(dpkg-query -W -f='${Depends}' linux-image-amd64 | sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
[ -n "$kver" ] && [ -d "/lib/modules/$kver" ] || die "no modules for the kernel of linux-image-amd64 ($kver)"
say "kernel $kver"
# "pkg version, ..." for those of the packages that are installed
versions() {
  local p s=
  for p in "$@"; do installed "$p" && s+="${s:+, }$p $(dpkg-query -W -f='${Version}' "$p")"; done
  echo "$s"
}

# ---- helpers

# Length of the uncompressed cpio archives at the start of an image (the
# early segment; 0 if none), checking that a gzip or zstd member follows.
early_length() {
  python3 - "$1" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
pos = 0
while d[pos:pos + 6] in (b"070701", b"070702"):
    while True:
        namesize = int(d[pos + 94:pos + 102], 16)
        filesize = int(d[pos + 54:pos + 62], 16)
        name = d[pos + 110:pos + 110 + namesize - 1]
        pos = (pos + 110 + namesize + 3) & ~3
        pos = (pos + filesize + 3) & ~3
        if name == b"TRAILER!!!":
            break
    while pos < len(d) and d[pos] == 0:
        pos += 1
if not (d[pos:pos + 2] == b"\x1f\x8b" or d[pos:pos + 4] == b"\x28\xb5\x2f\xfd"):
    sys.exit("no gzip or zstd member after %d bytes of cpio" % pos)
print(pos)
PY
}

# The early microcode cpio as the intel-microcode and amd64-microcode hooks
# of initramfs-tools write it, from the files in /lib/firmware (fallback).
early_from_firmware() { # OUT
  local d=$work/early t
  : >"$1"
  if [ -n "$(ls -A /lib/firmware/amd-ucode 2>/dev/null)" ]; then
    rm -rf "$d"; mkdir -p "$d/kernel/x86/microcode"
    find /lib/firmware/amd-ucode/. -maxdepth 1 -type f -print0 | LC_ALL=C sort -z |
      xargs -0 -r cat >"$d/kernel/x86/microcode/AuthenticAMD.bin"
    find "$d" -print0 | xargs -0r touch --no-dereference --date="@$SOURCE_DATE_EPOCH"
    (cd "$d" && find . -print0 | LC_ALL=C sort -z |
      cpio --null --reproducible -R 0:0 -H newc -o --quiet) >>"$1"
  fi
  if [ -n "$(ls -A /lib/firmware/intel-ucode 2>/dev/null)" ]; then
    if command -v iucode_tool >/dev/null; then
      t=$work/intel.cpio
      iucode_tool -q --write-earlyfw="$t" --overwrite /lib/firmware/intel-ucode && cat "$t" >>"$1"
    else
      rm -rf "$d"; mkdir -p "$d/kernel/x86/microcode"
      find /lib/firmware/intel-ucode/. -maxdepth 1 -type f -print0 | LC_ALL=C sort -z |
        xargs -0 -r cat >"$d/kernel/x86/microcode/GenuineIntel.bin"
      find "$d" -print0 | xargs -0r touch --no-dereference --date="@$SOURCE_DATE_EPOCH"
      (cd "$d" && find . -print0 | LC_ALL=C sort -z |
        cpio --null --reproducible -R 0:0 -H newc -o --quiet) >>"$1"
    fi
  fi
  [ -s "$1" ]
}

# Runs a build command that writes TARGET twice; the two outputs must be
# identical. The first one stays.
twice() { # LABEL TARGET CMD...
  local label=$1 target=$2 t0=$SECONDS
  shift 2
  "$@" >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "$label failed"; }
  mv "$target" "$target.1"
  "$@" >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "$label failed (second run)"; }
  cmp -s "$target" "$target.1" || die "$label is not reproducible: two runs differ"
  rm -f "$target.1"
  say "$label: $(stat -c %s "$target") bytes, identical twice ($((SECONDS - t0)) s)"
}

place() { # FILE NAME MADE
  mv -f "$1" "$out/$2"
  printf '%s\n' "$3" >"$out/$2.made"
}

# ---- images

if wants d-i-netboot.initrd.gz; then
  src=$(dpkg -L debian-installer-12-netboot-amd64 | grep '/text/debian-installer/amd64/initrd\.gz$' | head -n1)
  [ -r "$src" ] || die "debian-installer-12-netboot-amd64 has no text initrd.gz"
  cp "$src" "$work/di.gz"
  place "$work/di.gz" d-i-netboot.initrd.gz \
    "text/debian-installer/amd64/initrd.gz of $(versions debian-installer-12-netboot-amd64)"
fi

mkinit_versions="$(versions initramfs-tools linux-image-"$kver" busybox busybox-static klibc-utils udev kmod)"
ucode_versions="$(versions amd64-microcode intel-microcode iucode-tool)"
if wants mkinitramfs-gzip.img; then
  twice "mkinitramfs -c gzip" "$work/gzip.img" mkinitramfs -c gzip -o "$work/gzip.img" "$kver"
  n=$(early_length "$work/gzip.img")
  tail -c +$((n + 1)) "$work/gzip.img" >"$work/gzip.main"
  place "$work/gzip.main" mkinitramfs-gzip.img \
    "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH mkinitramfs -c gzip $kver, early segment ($n bytes) cut off; $mkinit_versions"
fi
if wants mkinitramfs-zstd.img || wants mkinitramfs-ucode-zstd.img; then
  twice "mkinitramfs -c zstd" "$work/zstd.img" mkinitramfs -c zstd -o "$work/zstd.img" "$kver"
  n=$(early_length "$work/zstd.img")
  tail -c +$((n + 1)) "$work/zstd.img" >"$work/zstd.main"
  made="SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH mkinitramfs -c zstd $kver"
  if [ "$n" -gt 0 ] && [ -z "$ucode_note" ]; then
    ucode_made="$made (its own early microcode cpio, $n bytes); $mkinit_versions; $ucode_versions"
    cp "$work/zstd.img" "$work/ucode.img"
  elif early_from_firmware "$work/early.cpio"; then
    ucode_made="early microcode cpio built as the hooks would from /lib/firmware ($(stat -c %s "$work/early.cpio") bytes; the packages could not be installed), then $made; $mkinit_versions"
    cat "$work/early.cpio" "$work/zstd.main" >"$work/ucode.img"
  else
    ucode_made=
    say "no microcode files at all: mkinitramfs-ucode-zstd.img not made"
  fi
  place "$work/zstd.main" mkinitramfs-zstd.img \
    "$made, early segment ($n bytes) cut off; $mkinit_versions"
  [ -n "$ucode_made" ] && place "$work/ucode.img" mkinitramfs-ucode-zstd.img "$ucode_made"
fi
if wants dracut-ucode.img; then
  # the command dracut picks for gzip when pigz is absent, named so that an
  # installed pigz does not change the bytes
  gz="gzip -n -9 --rsyncable"
  twice dracut "$work/dracut.img" dracut --quiet --no-hostonly --reproducible --early-microcode --force \
    --compress "$gz" --kver "$kver" "$work/dracut.img"
  n=$(early_length "$work/dracut.img")
  [ "$n" -gt 0 ] || say "dracut wrote no early microcode segment (no files in /lib/firmware)"
  place "$work/dracut.img" dracut-ucode.img \
    "dracut --no-hostonly --reproducible --early-microcode --compress '$gz' --kver $kver (early segment $n bytes); $(versions dracut-core linux-image-"$kver" udev kmod systemd); $ucode_versions"
fi

for n in "${need[@]}"; do
  want=$(expected "$n")
  if [ -s "$out/$n" ] && [ -n "$want" ] && [ "$(sha "$out/$n")" != "$want" ]; then
    say "WARNING: $n differs from golden/images.json (packages changed?): re-record with tests/real/record.ts"
  fi
done
report
