#!/usr/bin/env bash
# Pull + unpack of a ~100 MB image from a local docker-registry:
#   hako pull (download, verify, unpack into its layer store)
#   versus skopeo copy docker://... oci:DIR + umoci unpack
# and the floor: gunzip of the same layers to /dev/null.
# The image is synthetic but real: layers of files from this host's /usr.
# Usage: bench/pull.sh [RUNS]   (default 5); BENCH_PROFILE=1: one profiled hako pull
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
HAKO=${HAKO_BIN:-$TOP/build/hako}
RUNS=${1:-5}
for c in docker-registry skopeo umoci hyperfine jq curl; do
	command -v "$c" >/dev/null || { echo "bench/pull.sh: $c is not installed" >&2; exit 1; }
done
[ -x "$HAKO" ] || { echo "bench/pull.sh: build hako first (make)" >&2; exit 1; }

WORK=$(mktemp -d /var/tmp/hako-bench-pull-XXXXXX)
REG_PID=
cleanup() {
	[ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# ---- a registry on a free loopback port ----
port=$((20000 + RANDOM % 40000))
cat >"$WORK/config.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/registry
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$WORK/config.yml" >"$WORK/registry.log" 2>&1 &
REG_PID=$!
for ((i = 0; i < 500; i++)); do
	curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break
	sleep 0.02
done
REG=127.0.0.1:$port

# ---- the image: one gzip layer per directory ----
OCI=$WORK/oci
mkdir -p "$OCI/blobs/sha256"
LAYER_DIRS=(/usr/libexec /usr/share/zoneinfo /usr/share/i18n /usr/lib/python3 /usr/share/perl)
diffs=() layers=() sizes=()
total=0
for d in "${LAYER_DIRS[@]}"; do
	[ -d "$d" ] || continue
	tar -C / --sort=name --mtime=@0 --owner=0 --group=0 -cf "$WORK/l.tar" "${d#/}" 2>/dev/null || true
	total=$((total + $(stat -c %s "$WORK/l.tar")))
	diffs+=("sha256:$(sha256sum "$WORK/l.tar" | cut -d' ' -f1)")
	gzip -6 -n "$WORK/l.tar"
	h=$(sha256sum "$WORK/l.tar.gz" | cut -d' ' -f1)
	layers+=("sha256:$h")
	sizes+=("$(stat -c %s "$WORK/l.tar.gz")")
	mv "$WORK/l.tar.gz" "$OCI/blobs/sha256/$h"
	((total < 100 * 1024 * 1024)) || break
done
diff_json=$(printf '%s\n' "${diffs[@]}" | jq -R . | jq -sc .)
jq -cn --argjson d "$diff_json" '{architecture:"amd64",os:"linux",config:{Cmd:["/bin/sh"]},
	rootfs:{type:"layers",diff_ids:$d}}' | tr -d '\n' >"$WORK/cfg"
ch=$(sha256sum "$WORK/cfg" | cut -d' ' -f1)
cs=$(stat -c %s "$WORK/cfg")
mv "$WORK/cfg" "$OCI/blobs/sha256/$ch"
ljson=$(for i in "${!layers[@]}"; do
	jq -cn --arg d "${layers[$i]}" --argjson s "${sizes[$i]}" \
		'{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:$d,size:$s}'
done | jq -sc .)
jq -cn --arg c "sha256:$ch" --argjson cs "$cs" --argjson l "$ljson" '{schemaVersion:2,
	mediaType:"application/vnd.oci.image.manifest.v1+json",
	config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$c,size:$cs},
	layers:$l}' | tr -d '\n' >"$WORK/man"
mh=$(sha256sum "$WORK/man" | cut -d' ' -f1)
ms=$(stat -c %s "$WORK/man")
mv "$WORK/man" "$OCI/blobs/sha256/$mh"
echo '{"imageLayoutVersion":"1.0.0"}' >"$OCI/oci-layout"
jq -cn --arg m "sha256:$mh" --argjson s "$ms" '{schemaVersion:2,manifests:[{
	mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$m,size:$s,
	annotations:{"org.opencontainers.image.ref.name":"img"}}]}' >"$OCI/index.json"
skopeo copy -q --dest-tls-verify=false "oci:$OCI:img" "docker://$REG/bench/img:1"
compressed=0
for s in "${sizes[@]}"; do compressed=$((compressed + s)); done
echo "image: ${#layers[@]} layers, $((total >> 20)) MiB unpacked, $((compressed >> 20)) MiB gzip"

# ---- the runs ----
if [ -n "${BENCH_PROFILE:-}" ]; then
	${BENCH_PROFILE_CMD:-} /usr/bin/time -f "hako pull: %e s wall, %U s user, %S s sys" \
		"$HAKO" --debug --root "$WORK/proot" pull -q "$REG/bench/img:1" 2>&1 |
		grep -E "blobs in|wall|total|^ *[0-9]+\.[0-9]+ +[0-9.]+ +[0-9]+ +[0-9]+" | head -20
	find "$WORK/proot/layers" | wc -l | sed 's/^/files unpacked: /'
	exit 0
	rm -rf "$WORK/proot"
fi
hyperfine -N -w 1 -r "$RUNS" --export-json "$WORK/h.json" \
	--prepare "rm -rf $WORK/hroot $WORK/sk $WORK/bundle" \
	-n "hako pull" "$HAKO --root $WORK/hroot pull -q $REG/bench/img:1" \
	-n "skopeo copy + umoci unpack" \
	"sh -c 'skopeo copy -q --src-tls-verify=false docker://$REG/bench/img:1 oci:$WORK/sk:img && umoci unpack --image $WORK/sk:img $WORK/bundle >/dev/null'" \
	-n "gzip -dc (floor)" \
	"sh -c 'cat $(for l in "${layers[@]}"; do printf '%s ' "$OCI/blobs/sha256/${l#sha256:}"; done) | gzip -dc >/dev/null'" \
	>"$WORK/hyperfine.out" 2>&1 || { cat "$WORK/hyperfine.out"; exit 1; }

mean() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .mean' "$WORK/h.json"; }
h=$(mean "hako pull")
s=$(mean "skopeo copy + umoci unpack")
g=$(mean "gzip -dc (floor)")
printf '%-32s %8.3f s\n' "hako pull (+unpack)" "$h" "skopeo copy + umoci unpack" "$s" \
	"gzip -dc floor" "$g"
printf 'ratio skopeo+umoci / hako: %.2fx; hako / gzip floor: %.2fx\n' \
	"$(echo "$s / $h" | bc -l)" "$(echo "$h / $g" | bc -l)"
