# bench/lib.sh - what the benchmark scripts share (sourced).

# ms CMD...: wall time of one run of CMD in ms (fractional); a failing CMD
# ends the benchmark.
ms() {
	local s e
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
	e=$(date +%s%N)
	echo "scale=3; ($e - $s) / 1000000" | bc
}

# median: of the numbers on stdin, one a line.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
