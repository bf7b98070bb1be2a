#!/usr/bin/env bash
# bench/runtime.sh: what starting a container costs.  `hako-runtime run` of
# an OCI bundle (busybox test rootfs, process /bin/true) timed beside
# `crun run` and `runc run` on the same bundle, and the bare kernel cost of
# the namespaces: `unshare --fork --pid --mount --uts --ipc --net true`.
#
# Two conditions, because Debian's crun 1.8 refuses this host's hybrid
# cgroup layout ("cgroups in hybrid mode not supported"):
#   host  - the host's cgroups (hybrid here): hako and runc with cgroups on
#   v2ns  - inside `unshare -m` with cgroup2 mounted on /sys/fs/cgroup:
#           hako and crun with --cgroup-manager=disabled, runc with its cgroup
#           in that v2 hierarchy (runc has no "disabled" manager; the v2
#           hierarchy has no controllers on a hybrid host, so it only
#           creates and removes a directory)
# Means come from hyperfine (-N, warm-up) or, without it, the same loop for
# every command.  Peak RSS is ru_maxrss of each runtime process (GNU time
# %M, the largest of 5 runs).
#
#   bench/runtime.sh                 BENCH_RUNS=200 BENCH_WARMUP=10 by default
#   BENCH_RUNS=50 bench/runtime.sh   quicker
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${BENCH_RUNS:-200}
WARMUP=${BENCH_WARMUP:-10}
HAKO_RT=${HAKO_RUNTIME:-$TOP/build/hako-runtime}

if [ "${1:-}" = --inner ]; then
	# Called again inside the private mount namespace: $2 = work dir, $3 = condition.
	WORK=$2
	COND=$3
else
	[ "$(id -u)" = 0 ] || { echo "bench/runtime.sh: needs root" >&2; exit 1; }
	[ -x "$HAKO_RT" ] || { echo "bench/runtime.sh: build first ($HAKO_RT missing)" >&2; exit 1; }
	WORK=$(mktemp -d /tmp/hako-bench-rt-XXXXXX)
	trap 'rm -rf "$WORK"' EXIT
fi
B=$WORK/bundle

log() { printf '%s\n' "$*" >&2; }

make_bundle() {
	local rootfs=$TOP/build/test-rootfs
	if [ ! -x "$rootfs/bin/busybox" ]; then
		"$TOP/tests/rootfs/mkrootfs.sh" "$rootfs" "$TOP/build/hk-testhelper" >&2
	fi
	mkdir -p "$B"
	cp -a "$rootfs" "$B/rootfs"
	# One config.json for every runtime: the runc/crun-style default spec
	# (ociVersion 1.0.2-dev: crun 1.8 refuses versions it does not know).
	(cd "$B" && "$HAKO_RT" spec)
	jq '.process.args = ["/bin/true"] | .process.terminal = false | .ociVersion = "1.0.2-dev"' "$B/config.json" >"$B/c.tmp"
	mv "$B/c.tmp" "$B/config.json"
}

# measure NAME CMD...: mean and stddev in ms, peak RSS in KiB -> $WORK/results
measure() {
	local name=$1 mean sd rss=0 r
	shift
	if ! "$@" >/dev/null 2>"$WORK/err"; then
		log "  $name: fails here, skipped: $(tail -n 1 "$WORK/err")"
		printf '%s\t%s\t%s\t%s\t%s\n' "$COND" "$name" "-" "-" "-" >>"$WORK/results"
		return 0
	fi
	if command -v hyperfine >/dev/null; then
		hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" \
			--export-json "$WORK/h.json" "$(printf '%q ' "$@")" >/dev/null 2>&1
		mean=$(jq '.results[0].mean * 1000' "$WORK/h.json")
		sd=$(jq '.results[0].stddev * 1000' "$WORK/h.json")
	else
		local i t0 t1
		for ((i = 0; i < WARMUP; i++)); do "$@" >/dev/null 2>&1; done
		t0=$(date +%s%N)
		for ((i = 0; i < RUNS; i++)); do "$@" >/dev/null 2>&1; done
		t1=$(date +%s%N)
		mean=$(echo "($t1 - $t0) / $RUNS / 1000000" | bc -l)
		sd=0
	fi
	for _ in 1 2 3 4 5; do
		r=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1)
		[[ $r =~ ^[0-9]+$ ]] && ((r > rss)) && rss=$r
	done
	printf '%s\t%s\t%.2f\t%.2f\t%s\n' "$COND" "$name" "$mean" "$sd" "$rss" >>"$WORK/results"
	log "  $name: $(printf '%.2f' "$mean") ms, peak RSS $rss KiB"
}

run_condition() {
	local hako_flags=() have_crun=0 have_runc=0
	command -v crun >/dev/null && have_crun=1
	command -v runc >/dev/null && have_runc=1
	[ "$COND" = v2ns ] && hako_flags=(--cgroup-manager=disabled)
	log "# $COND"
	measure hako "$HAKO_RT" --root "$WORK/st-hako-$COND" "${hako_flags[@]}" run --bundle "$B" bench-hako
	if [ "$COND" = host ]; then
		measure hako-nocgroup "$HAKO_RT" --root "$WORK/st-hako-$COND" --cgroup-manager=disabled \
			run --bundle "$B" bench-hako
	fi
	if ((have_crun)); then
		if [ "$COND" = v2ns ]; then
			measure crun crun --root "$WORK/st-crun" --cgroup-manager=disabled run --bundle "$B" bench-crun
		else
			log "  crun: skipped on the host (crun 1.8 refuses hybrid cgroups); see v2ns"
		fi
	fi
	((have_runc)) && measure runc runc --root "$WORK/st-runc-$COND" run --bundle "$B" bench-runc
	measure unshare unshare --fork --pid --mount --uts --ipc --net true
}

if [ "${1:-}" = --inner ]; then
	run_condition
	exit 0
fi

make_bundle
: >"$WORK/results"
COND=host run_condition
# The same script again, in a mount namespace where only cgroup2 is visible.
unshare -m bash -c 'mount --make-rprivate / && mount -t cgroup2 none /sys/fs/cgroup && exec "$0" --inner "$1" v2ns' \
	"$0" "$WORK"

# Report: means, ratios to hako in the same condition, peak RSS.
echo "runtime start+run+delete of /bin/true (busybox bundle), $RUNS runs, $WARMUP warm-up, $(nproc) CPUs, kernel $(uname -r)"
echo "host = this host's cgroups ($(stat -fc %T /sys/fs/cgroup/ | sed 's/tmpfs/v1 or hybrid/;s/cgroup2fs/v2/')); v2ns = private mount ns with only cgroup2, --cgroup-manager=disabled for hako and crun"
printf '%-6s %-14s %10s %9s %10s %12s\n' cond runtime "mean ms" "sd ms" "RSS KiB" "hako/this"
awk -F'\t' '
	{ cond[NR] = $1; name[NR] = $2; mean[NR] = $3; sd[NR] = $4; rss[NR] = $5
	  if ($2 == "hako" && $3 != "-") hako[$1] = $3 }
	END {
		for (i = 1; i <= NR; i++) {
			ratio = "-"
			if (mean[i] != "-" && mean[i] > 0 && (cond[i] in hako))
				ratio = sprintf("%.2f", hako[cond[i]] / mean[i])
			printf "%-6s %-14s %10s %9s %10s %12s\n", cond[i], name[i], mean[i], sd[i], rss[i], ratio
		}
	}' "$WORK/results"
