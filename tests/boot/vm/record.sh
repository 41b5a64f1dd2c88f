#!/bin/bash
# Re-record what real Debian kernels do during early boot (command line
# hand-off to init, rootfs type, initial console, missing init, retain_initrd,
# a non-cpio initrd) with the kernel oracle, one golden file per case:
#   tests/boot/golden-vm-6.1/CASE.txt    Debian's 6.1 kernel (every case)
#   tests/boot/golden-vm-6.12/CASE.txt   Debian's 6.12 kernel (the cases
#                                        marked "both" in the table below)
# The oracle boots the kernel under qemu with rdinit=/.oracle/init and the
# archive(s) after its own segment; extra kernel arguments are appended after
# "console=ttyS0 rdinit=/.oracle/init panic=-1". Boots run one at a time.
#
# Usage: tests/boot/vm/record.sh [--6.1-only|--6.12-only] [CASE...]
# Environment: ORACLE_DIR (oracle tools, default ../shared/oracle relative to
#   the repository), VM_KERNEL_61 / VM_KERNEL_612 (kernel images, default the
#   newest /boot/vmlinuz-6.1.* / /boot/vmlinuz-6.12.*).
#
# Golden file contents, by kind:
#   report    the oracle report without the manifest and without the lines
#             that name the machine's files (#input, #oracle-segment): the
#             #cmdline, #kmsg, #mountinfo and #op lines (see probe.ops)
#   report+M  the same plus the manifest lines of the paths listed in the
#             case, with the run-specific ino column as "*" and, for "/",
#             the mtime as "*" (the unpack time when no "." entry exists).
#             In both, size=, nr_inodes= (mount options) and blocks=, bfree=,
#             files=, ffree= (statfs) of 6 digits or more are "*": they are
#             derived from the guest RAM (tmpfs default: half of the 1024M)
#             and vary by a page from boot to boot. Smaller values, e.g. the
#             size=10240k set by initramfs_options=size=10m, and ramfs's
#             zeros, are kept.
#   panic     the guest panics, so there is no report: the kernel lines of the
#             serial console from "Trying to unpack" to the end that match
#             $console_re, plus the whole panic block except "Kernel Offset"
#             (KASLR, random); timestamps stripped
# Exit status: 0 if every case was recorded as expected.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
oracle=${ORACLE_DIR:-$repo/../shared/oracle}
[ -x "$oracle/kernel-unpack.sh" ] || { echo "record: no oracle tools in $oracle (set ORACLE_DIR)" >&2; exit 2; }
k61=${VM_KERNEL_61:-$(ls -1v /boot/vmlinuz-6.1.* 2>/dev/null | tail -n1)}
k612=${VM_KERNEL_612:-$(ls -1v /boot/vmlinuz-6.12.* 2>/dev/null | tail -n1)}
do61=1 do612=1
case ${1:-} in
  --6.1-only) do612=; shift;;
  --6.12-only) do61=; shift;;
esac
only=("$@")

# name | kernels (both|6.1) | kind | archive(s) | ops | manifest paths | extra kernel args
cases='
baseline|both|report|base.cpio|probe.ops||
args-passthrough|both|report|base.cpio|probe.ops||foo bar=baz HOME=/x TER=1 -- a b=c
args-dotted|both|report|base.cpio|probe.ops||rw=1 rootwaitx quiet mod.param=1 x.y
args-init|both|report|base.cpio|probe.ops||a b init=/sbin/x c
args-initramfs-options|both|report|base.cpio|probe.ops||initramfs_options=size=10m
rootfs-ramfs|both|report|base.cpio|probe.ops||rootfstype=ramfs
rootfs-root|both|report|base.cpio|probe.ops||root=/dev/sda1
rootfs-root-tmpfs|both|report|base.cpio|probe.ops||root=/dev/sda1 rootfstype=tmpfs
rootfs-notmpfs|both|report|base.cpio|probe.ops||rootfstype=notmpfs
console-dir|both|report+M|console-dir.cpio|probe.ops|/dev /dev/console|
console-symlink|both|report+M|console-symlink.cpio|probe.ops|/dev /dev/console|
noinit-rdinit|both|panic|base.cpio|||rdinit=/nonexistent
noinit-root|both|panic|base.cpio|||rdinit=/nonexistent root=/dev/sda1
noinit-init-sh|both|panic|base.cpio|||rdinit=/nonexistent init=/bin/sh
noinit-rdinit-dir|both|panic|base.cpio|||rdinit=/etc
noinit-rdinit-dir-init-sh|both|panic|base.cpio|||rdinit=/etc init=/bin/sh
retain-initrd-off|both|report|base.cpio|sysfs.ops||
retain-initrd-on|both|report|base.cpio|sysfs.ops||retain_initrd
notcpio-ext2|both|report+M|notcpio-ext2.img|probe.ops|/ /dev /dev/console /root /initrd.image|
notcpio-random|both|report+M|notcpio-random.img|probe.ops|/ /dev /dev/console /root /initrd.image|
'
# kernel console lines kept for the panic cases (after the timestamp is cut)
console_re='Unknown kernel command line|will be passed to user space|check access|Trying to unpack|Initramfs unpacking failed|looks like an initrd|Freeing initrd|initial console|Run |Failed to execute|Starting init|No working init|Requested init|VFS:|root=|available partitions|List of all partitions|^[0-9a-f]{4} |No filesystem could mount|Waiting for root|Kernel panic'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/boot-record.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
for s in base console-dir console-symlink; do
  python3 "$oracle/cpiogen.py" "$here/$s.spec" "$tmp/$s.cpio" || exit 2
done
python3 "$here/make-notcpio.py" ext2 "$tmp/notcpio-ext2.img" || exit 2
python3 "$here/make-notcpio.py" random "$tmp/notcpio-random.img" || exit 2

wanted() {
  [ ${#only[@]} -eq 0 ] && return 0
  local n; for n in "${only[@]}"; do [ "$n" = "$1" ] && return 0; done; return 1
}

# report -> golden (header, kmsg, mountinfo, ops; optional manifest lines)
filter_report() { # REPORT PATHS...
  local rep=$1; shift
  awk -F '\t' -v OFS='\t' -v paths="$*" '
    BEGIN { n = split(paths, p, " "); for (i = 1; i <= n; i++) want[p[i]] = 1 }
    /^#(initramfs-oracle|kernel|cmdline|kernel-image|entries|kmsg|mountinfo|op|problem|end)(\t|$)/ { print; next }
    /^#/ { next }
    ($1 in want) { $10 = "*"; if ($1 == "/") $8 = "*"; print }' "$rep" \
    | sed -E 's/\<(size|nr_inodes|blocks|bfree|files|ffree)=[0-9]{6,}k?/\1=*/g'
}

# console.log -> golden for the panic cases
filter_console() { # CONSOLE_LOG
  tr -d '\r' < "$1" | sed -n '/Trying to unpack/,$p' | grep -E '^\[ *[0-9]+\.[0-9]+\] ' \
    | sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' \
    | awk -v re="$console_re" '/Kernel panic/ { panic = 1 }
        /^Kernel Offset:/ { next }
        # the "\n" that ends "tried: <list>" arrives as an empty record
        tried && $0 == "" { print; tried = 0; next }
        { tried = /could mount root, tried:/ }
        panic || $0 ~ re { print }'
}

rc=0
record() { # TAG KERNEL NAME KIND ARCHIVES OPS PATHS ARGS
  local tag=$1 kernel=$2 name=$3 kind=$4 archives=$5 ops=$6 paths=$7 args=$8
  local out=$repo/tests/boot/golden-vm-$tag/$name.txt a list=() opt=() r
  for a in $archives; do list+=("$tmp/$a"); done
  [ -n "$ops" ] && opt=(--ops "$here/$ops")
  mkdir -p "$(dirname "$out")"
  rm -rf "$tmp/keep"
  # shellcheck disable=SC2086  # the extra kernel arguments are words
  "$oracle/kernel-unpack.sh" --kernel "$kernel" --no-hash --keep "$tmp/keep" "${opt[@]}" \
    "${list[@]}" -- $args > "$tmp/report.txt" 2> "$tmp/err"
  r=$?
  case $kind in
    panic)
      if grep -q 'Kernel panic' "$tmp/keep/console.log" 2>/dev/null; then
        filter_console "$tmp/keep/console.log" > "$out"
        echo "$tag $name: panicked as expected, $(wc -l < "$out") lines"
      else
        echo "$tag $name: exit $r, NO PANIC (see $tmp/err)" >&2; rc=1
      fi;;
    report*)
      filter_report "$tmp/report.txt" $paths > "$out"
      echo "$tag $name: exit $r$(grep -o 'initrd [0-9]* bytes' "$tmp/err" | sed 's/^/, /')"
      [ $r -ne 0 ] && { sed 's/^/  | /' "$tmp/err" >&2; rc=1; };;
  esac
}

while IFS='|' read -r name kernels kind archives ops paths args; do
  [ -n "$name" ] || continue
  wanted "$name" || continue
  if [ -n "$do61" ]; then
    [ -r "$k61" ] || { echo "record: no 6.1 kernel (set VM_KERNEL_61)" >&2; exit 2; }
    record 6.1 "$k61" "$name" "$kind" "$archives" "$ops" "$paths" "$args"
  fi
  if [ -n "$do612" ] && [ "$kernels" = both ]; then
    [ -r "$k612" ] || { echo "record: no 6.12 kernel (set VM_KERNEL_612)" >&2; exit 2; }
    record 6.12 "$k612" "$name" "$kind" "$archives" "$ops" "$paths" "$args"
  fi
done <<< "$cases"
exit $rc
