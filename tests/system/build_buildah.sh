# hako build against a real builder: Debian's `buildah bud` of the same
# Dockerfile must give an image with the same files, owners, modes and
# config (Env, Cmd, Entrypoint, User, WorkingDir, ExposedPorts, Volumes,
# Labels, StopSignal).  Skipped without buildah.

bb() { buildah --root "$TEST_TMP/broot" --runroot "$TEST_TMP/brun" --storage-driver vfs "$@"; }

bb_cleanup() {
	bb rm -a >/dev/null 2>&1
	bb rmi -af >/dev/null 2>&1
	hako image unmount cmp:hako >/dev/null 2>&1
	rm -rf "$TEST_TMP/broot" "$TEST_TMP/brun"
}

# listing DIR: every entry under the paths the Dockerfile made, with its
# type, mode, owner and size (directory sizes left out: they are the file
# system's)
listing() {
	(cd "$1" && find app data etc/app.conf link opt -printf '%p %y %m %U:%G %s\n' 2>/dev/null |
		awk '$2 == "d" { $5 = "-" } { print }' | sort)
}

test_build_same_image_as_buildah() {
	require_cmd buildah
	local rt=/usr/sbin/runc
	[ -x "$rt" ] || skip "buildah needs runc here (crun refuses hybrid cgroups)"
	hako image build-default >/dev/null
	defer bb_cleanup
	CTX=$TEST_TMP/ctx
	mkdir -p "$CTX/d/sub"
	echo hello >"$CTX/a.txt"
	echo x >"$CTX/d/sub/f"
	chmod 0750 "$CTX/d/sub"
	chmod 0640 "$CTX/d/sub/f"
	echo conf >"$CTX/app.conf"
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox
ARG REL=1.2
ENV APP=/app REL=$REL
LABEL org.example.name="cmp" org.example.rel=$REL
COPY a.txt /app/
COPY d /data
COPY --chmod=0600 app.conf /etc/app.conf
COPY --chown=1000:1000 a.txt /opt/owned/a.txt
RUN mkdir -p /opt/run && echo ran > /opt/run/out && chmod 0700 /opt/run && ln -s /app/a.txt /link
WORKDIR /app/work
EXPOSE 8080 53/udp
VOLUME ["/data"]
USER 1000:1000
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/a.txt"]
DF
	run hako build --network none -t cmp:hako "$CTX"
	assert_status 0
	hako save -o "$TEST_TMP/busybox.tar" busybox
	bb pull -q docker-archive:"$TEST_TMP/busybox.tar" >/dev/null
	bb tag localhost/busybox docker.io/library/busybox:latest >/dev/null 2>&1 || true
	run bb bud --runtime "$rt" --network none --layers -t cmp:buildah "$CTX"
	[ "$status" = 0 ] || skip "buildah bud cannot build here: $(echo "$output" | tail -n 2)"

	# the config
	local h b f
	for f in Env Cmd Entrypoint User WorkingDir ExposedPorts Volumes StopSignal; do
		h=$(hako image inspect cmp:hako | jq -cS ".[0].Config.$f")
		b=$(bb inspect --type image cmp:buildah | jq -cS ".OCIv1.config.$f")
		assert_eq "$h" "$b" "config $f"
	done
	h=$(hako image inspect cmp:hako | jq -cS '.[0].Config.Labels')
	b=$(bb inspect --type image cmp:buildah | jq -cS '.OCIv1.config.Labels | del(."io.buildah.version")')
	assert_eq "$h" "$b" "config Labels (but buildah's own)"

	# the files
	hmnt=$(hako image mount cmp:hako)
	ctr=$(bb from --pull=never cmp:buildah)
	bmnt=$(bb mount "$ctr")
	h=$(listing "$hmnt")
	b=$(listing "$bmnt")
	[ -n "$h" ] || fail "empty listing of hako's image"
	assert_eq "$h" "$b" "files, types, modes, owners, sizes"
	assert_eq "$(readlink "$hmnt/link")" "$(readlink "$bmnt/link")"
	assert_eq "$(cat "$hmnt/opt/run/out")" "ran"
	# RUN sees the ARG, the image keeps only ENV
	hako image unmount cmp:hako >/dev/null
}
