#!/usr/bin/env bash
# bench/ab.sh - two builds of hako side by side, interleaved run by run, so
# that a loaded or noisy machine weighs on both alike: the median of each and
# the median of the paired differences (B - A) of
#   hako run --rm --network none busybox true
#   hako-runtime run of /bin/true (the runtime's default spec, test rootfs)
#   hako exec CTR true
#
#   bench/ab.sh BUILD_A BUILD_B [N]    BUILD_*: a build/ directory (default N 50)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
A=$(cd "$1" && pwd)
B=$(cd "$2" && pwd)
N=${3:-50}
TMP=$(mktemp -d /tmp/hako-ab-XXXXXX)
ctr=
cleanup() {
	for x in A B; do
		d=$A
		[ $x = B ] && d=$B
		"$d/hako" --root "$TMP/$x/root" --runroot "$TMP/$x/run" rm -f ab >/dev/null 2>&1 || true
	done
	rm -rf "$TMP" 2>/dev/null || true
}
trap cleanup EXIT

ns() { date +%s%N; }
# one timed run in ms (3 decimals) of "$@"
once() {
	local s e
	s=$(ns)
	"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
	e=$(ns)
	echo "scale=3; ($e - $s) / 1000000" | bc
}
median() { sort -n | awk '{v[NR]=$1} END {if (NR % 2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }

ROOTFS=${TEST_ROOTFS:-$TOP/build/test-rootfs}
[ -x "$ROOTFS/bin/busybox" ] || "$TOP/tests/rootfs/mkrootfs.sh" "$ROOTFS" "$TOP/build/hk-testhelper" >/dev/null
for x in A B; do
	d=$A
	[ $x = B ] && d=$B
	mkdir -p "$TMP/$x/bundle"
	cp -a "$ROOTFS" "$TMP/$x/bundle/rootfs"
	(cd "$TMP/$x/bundle" && "$d/hako-runtime" spec && jq '.process.args = ["/bin/true"] | .process.terminal = false' config.json >c && mv c config.json)
	H=("$d/hako" --root "$TMP/$x/root" --runroot "$TMP/$x/run")
	"${H[@]}" image build-default >/dev/null
	"${H[@]}" run -d --name ab --network none busybox sleep 3600 >/dev/null
done

bench() {
	local name=$1 i
	shift
	: >"$TMP/a" && : >"$TMP/b" && : >"$TMP/d"
	for ((i = 0; i < N; i++)); do
		local ta tb
		if ((i % 2)); then
			tb=$(once "$@" B)
			ta=$(once "$@" A)
		else
			ta=$(once "$@" A)
			tb=$(once "$@" B)
		fi
		echo "$ta" >>"$TMP/a"
		echo "$tb" >>"$TMP/b"
		echo "$tb - $ta" | bc >>"$TMP/d"
	done
	printf '%-40s A %8s ms   B %8s ms   B-A %8s ms\n' "$name" "$(median <"$TMP/a")" \
		"$(median <"$TMP/b")" "$(median <"$TMP/d")"
}
bin() { if [ "$1" = A ]; then echo "$A"; else echo "$B"; fi; }
run_rm() { "$(bin "$1")/hako" --root "$TMP/$1/root" --runroot "$TMP/$1/run" run --rm --network none busybox true; }
rt_run() { "$(bin "$1")/hako-runtime" --root "$TMP/$1/rt" run -b "$TMP/$1/bundle" "ab$RANDOM"; }
exec_true() { "$(bin "$1")/hako" --root "$TMP/$1/root" --runroot "$TMP/$1/run" exec ab true; }
run_rm_x() { run_rm "$1"; }
rt_run_x() { rt_run "$1"; }
exec_x() { exec_true "$1"; }

echo "A = $A, B = $B, $N pairs, load $(cut -d' ' -f1-3 /proc/loadavg)"
bench "run --rm --network none busybox true" run_rm_x
bench "hako-runtime run /bin/true" rt_run_x
bench "exec CTR true" exec_x
