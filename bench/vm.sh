#!/usr/bin/env bash
# Micro VM boot-to-command-exit: `hako run --vm --rm busybox true` against the
# floor, a plain `qemu-system-x86_64 -M microvm` with the same kernel, the same
# kernel command line and a minimal initramfs (a static init that powers off
# at once).  KVM when /dev/kvm is usable, else TCG (as hako picks).
# Prints mean/min wall times, the ratio, the guest-visible boot time (the
# guest's /proc/uptime when the command runs) and QEMU's peak RSS.
#   RUNS=5 bench/vm.sh
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
HAKO=${HAKO:-$TOP/build/hako}
RUNS=${RUNS:-5}
WORK=$(mktemp -d /tmp/hako-bench-vm-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
H=("$HAKO" --root "$WORK/root" --runroot "$WORK/run")

KERNEL=$("${H[@]}" vm kernel)
if "$HAKO" system check 2>/dev/null | grep -q "^PASS  /dev/kvm"; then ACCEL=kvm CPU=host; else ACCEL=tcg CPU=max; fi
EXTRA=
if [ $ACCEL = tcg ]; then
	KHZ=$(awk -F: '/cpu MHz/ {printf "%d", $2*1000; exit}' /proc/cpuinfo)
	EXTRA="tsc_early_khz=$KHZ tsc=reliable"
fi

# The floor's initramfs: one static init that powers off.
mkdir -p "$WORK/floor"
cat >"$WORK/floor/init.c" <<'C'
#include <sys/reboot.h>
#include <unistd.h>
int main(void) { reboot(RB_POWER_OFF); for (;;) pause(); }
C
gcc -Os -static -o "$WORK/floor/init" "$WORK/floor/init.c"
(cd "$WORK/floor" && echo init | cpio -o -H newc --quiet >"$WORK/floor.cpio")

FLOOR=(qemu-system-x86_64 -M microvm,x-option-roms=off,isa-serial=on,rtc=on,pit=on,pic=on
	-accel $ACCEL -cpu $CPU -m 256 -smp 1 -nodefaults -no-user-config -display none
	-serial stdio -kernel "$KERNEL" -initrd "$WORK/floor.cpio" -no-reboot
	-append "console=ttyS0 quiet loglevel=1 panic=-1 pci=off $EXTRA")
HAKO_TRUE=("${H[@]}" run --vm --rm busybox true)

"${H[@]}" image build-default -q >/dev/null
"${HAKO_TRUE[@]}" 2>/dev/null # warm: builds the initramfs and the image's ext4 disk once

# measure NAME CMD...: mean and min of RUNS wall times (ms), peak RSS (KiB)
# (GNU time's %M is the largest of the process and its waited-for children:
# QEMU here.)
measure() {
	local name=$1 i t0 t1 ms sum=0 min=999999 rss=0 r
	shift
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s%N)
		/usr/bin/time -f %M -o "$WORK/rss" "$@" </dev/null >/dev/null 2>&1
		t1=$(date +%s%N)
		ms=$(((t1 - t0) / 1000000))
		sum=$((sum + ms))
		((ms < min)) && min=$ms
		r=$(tail -n 1 "$WORK/rss")
		((r > rss)) && rss=$r
	done
	echo "$name $((sum / RUNS)) $min $rss"
}

read -r _ f_mean f_min f_rss < <(measure floor "${FLOOR[@]}")
read -r _ h_mean h_min h_rss < <(measure hako "${HAKO_TRUE[@]}")
uptime_s=$("${H[@]}" run --vm --rm busybox cut -d' ' -f1 /proc/uptime 2>/dev/null | tr -d '\r')

printf 'accelerator: %s (%s runs each), host load average: %s\n' "$ACCEL" "$RUNS" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %8s %8s %10s\n' "" "mean ms" "min ms" "peak RSS"
printf '%-44s %8d %8d %7d KiB\n' "qemu -M microvm, minimal initramfs (floor)" "$f_mean" "$f_min" "$f_rss"
printf '%-44s %8d %8d %7d KiB\n' "hako run --vm --rm busybox true" "$h_mean" "$h_min" "$h_rss"
printf 'ratio hako/floor (mean): %s\n' "$(echo "scale=2; $h_mean / $f_mean" | bc)"
printf 'guest-visible boot time (guest uptime when the command runs): %s s\n' "$uptime_s"
