#!/usr/bin/env bash
# Check every #include "dir/file.h" under src/ against the layer table of
# docs/architecture.md: a folder may include its own headers, those of the
# folders its row names, and (transitively) what those may include.  Words
# of a row that are not folders (libc, no libc, ...) allow nothing more;
# "everything below" is every folder of the rows under it.
# Exit 1 on an include the table does not allow (an upward include), or on a
# folder of src/ that the table does not list.
set -euo pipefail
cd "$(dirname "$0")/.."

doc=docs/architecture.md

# Known violations, each with its reason; "from -> to" of folders.  Remove
# a line when its cause is fixed (the script says when one is stale).
allow=(
	# issue 18 item 3: storage/ includes image/ for digest_valid() and the
	# digester; the digest helpers belong below both.
	"storage -> image"
)

declare -A deps=()
order=()
# Rows look like: | `src/cli/` | owns | may include |
while IFS='|' read -r _ folder _ may _; do
	[[ $folder =~ \`src/([a-z_]+)/\` ]] || continue
	f=${BASH_REMATCH[1]}
	order+=("$f")
	deps[$f]=$(tr -c 'a-z_\n' ' ' <<<"$may")
done < <(sed -n '/^## Layers/,/^## /p' "$doc")

[ "${#order[@]}" -gt 0 ] || { echo "check-layers: no layer table in $doc" >&2; exit 2; }

# "everything below": the folders of the later rows.
for i in "${!order[@]}"; do
	f=${order[$i]}
	if [[ ${deps[$f]} == *everything*below* ]]; then
		deps[$f]="${order[*]:$((i + 1))}"
	fi
done

# allowed[f]: f and every folder reachable from its row.
declare -A allowed=()
for f in "${order[@]}"; do
	seen=" $f "
	read -ra todo <<<"${deps[$f]}"
	while [ "${#todo[@]}" -gt 0 ]; do
		d=${todo[0]}
		todo=("${todo[@]:1}")
		[ -n "${deps[$d]+x}" ] || continue # libc, kernel, ...: not a folder
		[[ $seen == *" $d "* ]] && continue
		seen+="$d "
		read -ra more <<<"${deps[$d]}"
		todo+=("${more[@]}")
	done
	allowed[$f]=$seen
done

status=0
declare -A used_allow=()
for dir in src/*/; do
	f=$(basename "$dir")
	if [ -z "${allowed[$f]+x}" ]; then
		echo "check-layers: src/$f/ is not in the layer table of $doc" >&2
		status=1
	fi
done
while IFS=: read -r file line text; do
	from=$(cut -d/ -f2 <<<"$file")
	[[ $text =~ \#include\ \"([a-z_]+)/ ]] || continue
	to=${BASH_REMATCH[1]}
	[ -n "${allowed[$from]+x}" ] || continue
	[[ ${allowed[$from]} == *" $to "* ]] && continue
	if printf '%s\n' "${allow[@]}" | grep -qxF "$from -> $to"; then
		used_allow["$from -> $to"]=1
		continue
	fi
	echo "$file:$line: $from/ may not include $to/ (docs/architecture.md, Layers)" >&2
	status=1
done < <(git ls-files 'src/*.c' 'src/*.h' | xargs grep -n '^#[[:space:]]*include[[:space:]]*"' /dev/null)

for a in "${allow[@]}"; do
	if [ -z "${used_allow[$a]+x}" ]; then
		echo "check-layers: allow-list entry '$a' is no longer needed: remove it" >&2
		status=1
	fi
done
[ "$status" = 0 ] && echo "check-layers: $(git ls-files 'src/*.c' 'src/*.h' | wc -l) files follow the layer table"
exit "$status"
