#!/usr/bin/env bash
# scripts/lazy-libs.sh PKG... -- OBJ...
#
# hako loads the libraries PKG on first use (src/lazy/).  Print the link
# flags of those that must be linked directly anyway because OBJ call a
# function of theirs that src/lazy/ does not forward yet (with a note on
# stderr naming it), so the build never breaks, it only starts slower.
set -euo pipefail
pkgs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do pkgs+=("$1"); shift; done
shift
CC=${CC:-cc}
missing=$(comm -23 \
	<(nm -u "$@" 2>/dev/null | awk 'NF >= 2 {sub(/@.*/, "", $2); print $2}' | sort -u) \
	<(nm --defined-only "$@" 2>/dev/null | awk 'NF == 3 {print $3}' | sort -u))
[ -n "$missing" ] || exit 0
for pkg in "${pkgs[@]}"; do
	found=""
	for flag in $(pkg-config --libs-only-l "$pkg"); do
		so=$("$CC" -print-file-name="lib${flag#-l}.so")
		[ -e "$so" ] || continue
		found+=$(comm -12 <(echo "$missing") \
			<(nm -D --defined-only "$so" 2>/dev/null | awk '{sub(/@.*/, "", $3); print $3}' | sort -u))
	done
	if [ -n "$found" ]; then
		echo "note: src/lazy/ does not forward $(echo $found | tr '\n' ' ')- linking $pkg directly (slower start)" >&2
		pkg-config --libs "$pkg"
	fi
done
