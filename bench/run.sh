#!/usr/bin/env bash
# bench/run.sh: run every benchmark script in bench/ (`make bench`).
# Each prints its own table; a failing one does not stop the others.
set -u
cd "$(dirname "$0")"
rc=0
for f in ./*.sh; do
	[ "$(basename "$f")" = run.sh ] && continue
	echo "== $(basename "$f" .sh)"
	"$f" || { echo "bench $(basename "$f") failed" >&2; rc=1; }
	echo
done
exit $rc
