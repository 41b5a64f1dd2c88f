#!/bin/bash
# Re-record the kernel's answers for every mount-ops script in ops/:
#   golden/host/NAME.txt    mount-ops.sh on this machine's kernel
#   golden/vm-6.1/NAME.txt  kernel-unpack.sh --ops with Debian's 6.1 kernel,
#                           the script run from the initramfs root
# Needs root and the oracle tools (see ../shared/oracle/README.md relative to
# the repository; override with ORACLE_DIR). VM boots run one at a time.
#
# Usage: tests/mounts/record.sh [--host-only|--vm-only] [NAME...]
#   NAME: script names without .ops (default: all)
# Environment: ORACLE_DIR (oracle tools), VM_KERNEL (default: the newest
#   /boot/vmlinuz-6.1.*), VM_TAG (golden dir name, default vm-6.1)
# Scripts named vm-*.ops run only in the VM (they need the busybox shell and
# the archive made from vm/archive.spec). Every VM run uses that archive.
# vm/host-only.list: scripts with no VM golden; vm/expected-mismatch.list:
# scripts whose VM goldens are expected to contain MISMATCH lines.
# Exit status: 0 if every recording succeeded and every "=> EXPECT" held.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
oracle=${ORACLE_DIR:-$repo/../shared/oracle}
[ -x "$oracle/mount-ops.sh" ] || { echo "record: no oracle tools in $oracle (set ORACLE_DIR)" >&2; exit 2; }
kernel=${VM_KERNEL:-$(ls -1v /boot/vmlinuz-6.1.* 2>/dev/null | tail -n1)}
tag=${VM_TAG:-vm-6.1}
do_host=1 do_vm=1
case ${1:-} in
  --host-only) do_vm=; shift;;
  --vm-only) do_host=; shift;;
esac
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in "$here"/ops/*.ops; do n=$(basename "$f" .ops); names+=("$n"); done
fi
mkdir -p "$here/golden/host" "$here/golden/$tag"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mounts-record.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
python3 "$oracle/cpiogen.py" "$here/vm/archive.spec" "$tmp/archive.cpio" || exit 2
listed() { grep -qx -- "$1" "$here/vm/$2"; }
rc=0
for n in "${names[@]}"; do
  s=$here/ops/$n.ops
  [ -r "$s" ] || { echo "record: no $s" >&2; rc=2; continue; }
  if [ -n "$do_host" ] && [[ $n != vm-* ]]; then
    # mount-ops.sh names the host kernel release in its first line
    "$oracle/mount-ops.sh" "$s" > "$here/golden/host/$n.txt" 2>&1
    r=$?; echo "host  $n: exit $r"; [ $r -ne 0 ] && rc=1
  fi
  if [ -n "$do_vm" ] && ! listed "$n" host-only.list; then
    [ -r "$kernel" ] || { echo "record: no VM kernel (set VM_KERNEL)" >&2; exit 2; }
    # the report header has "#kernel <uname -r>"; #input names the archive
    "$oracle/kernel-unpack.sh" --kernel "$kernel" --no-hash --ops "$s" "$tmp/archive.cpio" \
      > "$tmp/report.txt" 2> "$tmp/err"
    r=$?
    # keep the header and the ops, drop the manifest of the (fixed) archive
    grep -E '^#(initramfs-oracle|kernel|cmdline|input|kernel-image|mountinfo|op|problem|end)(\s|$)' \
      "$tmp/report.txt" > "$here/golden/$tag/$n.txt"
    mm=$(grep -c 'MISMATCH' "$here/golden/$tag/$n.txt")
    inner=$(grep -cE '^#op\s[0-9]+\s.*exit=[1-9]' "$here/golden/$tag/$n.txt")
    echo "$tag $n: exit $r, mismatches $mm, failed inner runs $inner"
    listed "$n" expected-mismatch.list && mm=0
    [ $r -ne 0 ] || [ "$mm" -ne 0 ] || [ "$inner" -ne 0 ] && rc=1
  fi
done
exit $rc
