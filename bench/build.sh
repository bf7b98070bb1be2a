#!/usr/bin/env bash
# bench/build.sh - hako build against buildah bud (and docker build when a
# dockerd runs, see /work/shared/bench/peers-setup.sh), on two realistic
# Dockerfiles made here from the busybox image (no internet):
#   app   two stages: a builder that copies a source tree of 300 files and
#         runs five steps over it, a final stage with COPY --from, ENV, USER,
#         EXPOSE, HEALTHCHECK, CMD;
#   web   one stage: a user, directories, three COPY steps of config and
#         static files, four RUN steps, metadata.
# For each: the median of N cold builds (empty cache, the base image already
# present, a fresh store each time) and of N no-change rebuilds.  RUN steps use
# --network none with every builder (no network setup in the figure).
#
#   bench/build.sh [N]      (default 5)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/bench/lib.sh"
HAKO=${HAKO:-$TOP/build/hako}
N=${1:-5}
TMP=$(mktemp -d /tmp/hako-bench-build-XXXXXX)
BUILDAH_RT=${BUILDAH_RT:-/usr/sbin/runc} # crun 1.8 refuses hybrid cgroups
cleanup() {
	local r
	for r in "$TMP"/hroot*; do
		[ -d "$r" ] || continue
		for id in $("$HAKO" --root "$r" --runroot "$r.run" ps -aq --no-trunc 2>/dev/null); do
			"$HAKO" --root "$r" --runroot "$r.run" rm -f "$id" >/dev/null 2>&1 || true
		done
	done
	for r in "$TMP"/broot*; do
		[ -d "$r" ] && buildah --root "$r" --runroot "$r.run" rm -a >/dev/null 2>&1 || true
		[ -d "$r" ] && umount -R "$r/overlay" 2>/dev/null || true
	done
	rm -rf "$TMP" 2>/dev/null || true
}
trap cleanup EXIT

# ---- the contexts ----
mk_app() {
	local d=$TMP/app
	mkdir -p "$d/src"
	for i in $(seq 1 300); do
		printf 'unit %d\n%s\n' "$i" "$(seq -s ' ' 1 $((i % 40 + 10)))" >"$d/src/f$i.c"
	done
	cat >"$d/Dockerfile" <<'DF'
FROM busybox AS builder
WORKDIR /build
COPY src/ ./src/
RUN mkdir -p out && for f in src/*.c; do sed 's/unit/obj/' "$f" > "out/$(basename "$f" .c).o"; done
RUN cat out/*.o | wc -l > out/lines && tar -cf out.tar out
RUN gzip -9 out.tar && ls -la out.tar.gz > manifest
RUN mkdir -p /dist && cp out.tar.gz manifest /dist/
RUN find /dist -type f | sort > /dist/index

FROM busybox
ENV APP_HOME=/opt/app APP_MODE=production
RUN echo 'app:x:1001:1001::/opt/app:/bin/sh' >> /etc/passwd && echo 'app:x:1001:' >> /etc/group && mkdir -p /opt/app/data
COPY --from=builder /dist/ /opt/app/
COPY --from=builder --chown=1001:1001 /build/out/lines /opt/app/data/lines
WORKDIR /opt/app
USER app
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD ["test", "-f", "/opt/app/index"]
CMD ["sh", "-c", "cat /opt/app/index"]
DF
}

mk_web() {
	local d=$TMP/web
	mkdir -p "$d/conf" "$d/static/css" "$d/static/js"
	for i in $(seq 1 20); do echo "key$i = value$i" >"$d/conf/app$i.conf"; done
	for i in $(seq 1 50); do head -c 2048 /dev/urandom | base64 >"$d/static/js/m$i.js"; done
	for i in $(seq 1 10); do echo "body { margin: ${i}px }" >"$d/static/css/s$i.css"; done
	echo '<html>hi</html>' >"$d/static/index.html"
	cat >"$d/Dockerfile" <<'DF'
FROM busybox
LABEL org.opencontainers.image.title="web" org.opencontainers.image.version="1.0"
ENV WEB_ROOT=/srv/www PORT=8080
RUN echo 'www:x:2000:2000::/srv/www:/bin/sh' >> /etc/passwd && echo 'www:x:2000:' >> /etc/group
RUN mkdir -p /srv/www /etc/web /var/log/web && chown www:www /var/log/web
COPY conf/ /etc/web/
COPY --chown=www:www static/ /srv/www/
COPY --chmod=0755 Dockerfile /usr/local/share/Dockerfile
RUN find /srv/www -name '*.js' | wc -l > /etc/web/count
RUN sed -i 's/value/VALUE/' /etc/web/app1.conf && cat /etc/web/*.conf > /etc/web/all
VOLUME /var/log/web
EXPOSE 8080/tcp
USER www
WORKDIR /srv/www
STOPSIGNAL SIGTERM
CMD ["httpd", "-f", "-p", "8080"]
DF
}

# ---- builders ----
H() { "$HAKO" --root "$HROOT" --runroot "$HROOT.run" "$@"; }
hako_fresh() {
	HROOT=$TMP/hroot$RANDOM
	H image build-default >/dev/null
}
hako_build() { H build --network none -q -t "bench-$1" "$TMP/$1"; }

B() { buildah --root "$BROOT" --runroot "$BROOT.run" "$@"; }
buildah_fresh() {
	BROOT=$TMP/broot$RANDOM
	B pull -q docker-archive:"$TMP/busybox.tar" >/dev/null
	B tag localhost/busybox docker.io/library/busybox:latest >/dev/null 2>&1 || true
}
buildah_build() {
	B bud --runtime "$BUILDAH_RT" --network none --layers -q -t "bench-$1" "$TMP/$1"
}

result() { printf '%-34s %10s ms\n' "$1" "$2"; }

mk_app
mk_web
HROOT=$TMP/hroot-base
H image build-default >/dev/null
H save -o "$TMP/busybox.tar" busybox

echo "# hako build vs buildah bud ($N runs each, medians; --network none)"
for df in app web; do
	cold=() warm=()
	for ((i = 0; i < N; i++)); do
		hako_fresh
		cold+=("$(ms hako_build "$df")")
		warm+=("$(ms hako_build "$df")")
	done
	hc=$(printf '%s\n' "${cold[@]}" | median)
	hw=$(printf '%s\n' "${warm[@]}" | median)
	result "hako   $df cold" "$hc"
	result "hako   $df no-change rebuild" "$hw"
	if command -v buildah >/dev/null; then
		cold=() warm=()
		for ((i = 0; i < N; i++)); do
			buildah_fresh
			cold+=("$(ms buildah_build "$df")")
			warm+=("$(ms buildah_build "$df")")
		done
		bc_=$(printf '%s\n' "${cold[@]}" | median)
		bw=$(printf '%s\n' "${warm[@]}" | median)
		result "buildah $df cold" "$bc_"
		result "buildah $df no-change rebuild" "$bw"
		echo "  ratio cold hako/buildah: $(echo "scale=3; $hc / $bc_" | bc)," \
			"rebuild: $(echo "scale=3; $hw / $bw" | bc)"
	else
		echo "  buildah: not installed (apt-get install buildah), skipped"
	fi
	if docker info >/dev/null 2>&1; then
		docker load -q -i "$TMP/busybox.tar" >/dev/null
		cold=() warm=()
		for ((i = 0; i < N; i++)); do
			docker builder prune -af >/dev/null 2>&1 || true
			cold+=("$(ms docker build --network none -q -t "bench-$df" "$TMP/$df")")
			warm+=("$(ms docker build --network none -q -t "bench-$df" "$TMP/$df")")
		done
		result "docker $df cold" "$(printf '%s\n' "${cold[@]}" | median)"
		result "docker $df no-change rebuild" "$(printf '%s\n' "${warm[@]}" | median)"
	else
		echo "  docker: no dockerd running (/work/shared/bench/peers-setup.sh starts one), skipped"
	fi
done
