# hako build: Dockerfiles into images (docs/build.md).

build_setup() {
	hako image build-default >/dev/null
	CTX=$TEST_TMP/ctx
	mkdir -p "$CTX"
	defer build_cleanup
}

build_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

# cfg IMAGE JQ: a field of the image's config, compact
cfg() { hako image inspect "$1" | jq -c ".[0].Config$2"; }

test_build_instructions_make_the_config() {
	build_setup
	echo hello >"$CTX/a.txt"
	mkdir -p "$CTX/d/sub"
	echo x >"$CTX/d/sub/f"
	chmod 0751 "$CTX/d/sub"
	cat >"$CTX/Dockerfile" <<'DF'
# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM $BASE
ARG GREETING=hi
ENV FOO=bar \
    PATHX="/opt/x y"
LABEL org.test=yes "other.label"="a b"
COPY a.txt /app/
COPY --chmod=0600 a.txt /app/secret.txt
COPY --chown=1000:1000 d /data
RUN echo "$GREETING $FOO" > /greet
RUN <<END
echo heredoc > /hd
echo two >> /hd
END
WORKDIR /app
WORKDIR sub
EXPOSE 80 53/udp 8000-8001
VOLUME ["/vol"]
USER 1000:1000
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --timeout=3s --retries=2 CMD ["true"]
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /greet"]
DF
	run hako build -t built:1 "$CTX"
	assert_status 0
	assert_contains "$output" "STEP 1/18: FROM \$BASE"
	assert_contains "$output" "STEP 8/18: RUN echo"
	assert_contains "$output" "Successfully tagged built:1"
	run hako run --rm built:1
	assert_eq "$output" "hi bar"
	run hako run --rm built:1 'id -u; pwd; cat /app/a.txt /hd; echo "$FOO|$PATHX|${GREETING:-unset}"'
	assert_eq "$output" $'1000\n/app/sub\nhello\nheredoc\ntwo\nbar|/opt/x y|unset'
	run hako run --rm --user 0 built:1 'stat -c "%a %u:%g %n" /app/a.txt /app/secret.txt /data /data/sub /data/sub/f'
	assert_eq "$output" $'644 0:0 /app/a.txt\n600 0:0 /app/secret.txt\n755 1000:1000 /data\n751 1000:1000 /data/sub\n644 1000:1000 /data/sub/f'
	assert_eq "$(cfg built:1 .Env)" '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","FOO=bar","PATHX=/opt/x y"]'
	assert_eq "$(cfg built:1 .Cmd)" '["cat /greet"]'
	assert_eq "$(cfg built:1 .Entrypoint)" '["/bin/sh","-c"]'
	assert_eq "$(cfg built:1 .User)" '"1000:1000"'
	assert_eq "$(cfg built:1 .WorkingDir)" '"/app/sub"'
	assert_eq "$(cfg built:1 '.ExposedPorts|keys')" '["53/udp","80/tcp","8000/tcp","8001/tcp"]'
	assert_eq "$(cfg built:1 .Volumes)" '{"/vol":{}}'
	assert_eq "$(cfg built:1 .Labels)" '{"org.test":"yes","other.label":"a b"}'
	assert_eq "$(cfg built:1 .StopSignal)" '"SIGINT"'
	assert_eq "$(cfg built:1 .Healthcheck)" '{"Test":["CMD","true"],"Interval":5000000000,"Timeout":3000000000,"Retries":2}'
	n=$(hako image inspect built:1 | jq '.[0].RootFS.Layers | length')
	assert_eq "$n" 6 "1 base + 3 COPY + 2 RUN layers"
	run hako history --no-trunc built:1
	assert_contains "$output" '/bin/sh -c #(nop)  CMD ["cat /greet"]'
	assert_contains "$output" 'RUN /bin/sh -c echo "$GREETING $FOO" > /greet'
}

test_build_cache_same_id_and_changed_file() {
	build_setup
	echo one >"$CTX/a.txt"
	echo b >"$CTX/b.txt"
	printf 'FROM busybox\nCOPY b.txt /b\nRUN echo ran-b\nCOPY a.txt /a\nRUN echo ran-a\nCMD ["cat", "/a"]\n' >"$CTX/Dockerfile"
	id1=$(hako build -q "$CTX")
	run hako build "$CTX"
	assert_status 0
	assert_contains "$output" "STEP 3/6: RUN echo ran-b (CACHED)"
	assert_contains "$output" "STEP 5/6: RUN echo ran-a (CACHED)"
	assert_not_contains "$output" $'\nran-a'
	assert_eq "$(echo "$output" | tail -n 1)" "$id1" "same id with nothing changed"
	# mtime alone changes nothing
	touch -d '2001-01-01' "$CTX/a.txt"
	assert_eq "$(hako build -q "$CTX")" "$id1"
	# a changed file rebuilds from its COPY on, and no earlier
	echo two >"$CTX/a.txt"
	run hako build "$CTX"
	assert_status 0
	assert_contains "$output" "STEP 2/6: COPY b.txt /b (CACHED)"
	assert_contains "$output" "STEP 3/6: RUN echo ran-b (CACHED)"
	assert_contains "$output" $'STEP 4/6: COPY a.txt /a\n'
	assert_contains "$output" $'\nran-a'
	id2=$(echo "$output" | tail -n 1)
	assert_ne "$id2" "$id1"
	run hako run --rm "$id2"
	assert_eq "$output" "two"
	# a mode change is a change too
	chmod 0600 "$CTX/a.txt"
	run hako build "$CTX"
	assert_contains "$output" $'STEP 4/6: COPY a.txt /a\n'
	# --no-cache runs everything
	run hako build --no-cache "$CTX"
	assert_not_contains "$output" "CACHED"
	# a build arg the RUN sees is part of its key
	printf 'FROM busybox\nARG V=1\nRUN echo "v=$V"\n' >"$CTX/Dockerfile"
	run hako build "$CTX"
	assert_contains "$output" "v=1"
	run hako build --build-arg V=2 "$CTX"
	assert_contains "$output" "v=2"
	run hako build --build-arg V=2 "$CTX"
	assert_contains "$output" "(CACHED)"
}

test_build_failure_leaves_nothing() {
	build_setup
	printf 'FROM busybox\nRUN echo first-step\nRUN echo some-output; touch /half; exit 3\n' >"$CTX/Dockerfile"
	before=$(hako images -q | sort)
	blobs=$(ls "$TEST_TMP/root/blobs/sha256" | wc -l)
	run hako build -t bad:1 "$CTX"
	assert_status 1
	assert_contains "$output" "some-output"
	assert_contains "$output" "Dockerfile:3: RUN"
	assert_contains "$output" "exit code: 3"
	assert_eq "$(hako ps -aq)" "" "no container left"
	assert_eq "$(hako images -q | sort)" "$before" "no image made"
	run hako image inspect bad:1
	assert_status 1
	run grep -c "$TEST_TMP" /proc/mounts
	assert_eq "$output" "0" "no mount left"
	assert_eq "$(ls "$TEST_TMP/root/rootfs" | wc -l)" "0" "no rootfs left"
	# the one cached step's image is all that was added (layer, config, manifest)
	after=$(ls "$TEST_TMP/root/blobs/sha256" | wc -l)
	assert_eq "$after" "$((blobs + 3))" "only the first step's blobs"
	# -q: the output of the failed step is still shown
	run hako build -q "$CTX"
	assert_status 1
	assert_contains "$output" "some-output"
	assert_eq "$(hako ps -aq)" ""
}

test_build_parse_errors_before_running() {
	build_setup
	printf 'FROM busybox\nRUN touch /should-not-run\nRUNN echo\n' >"$CTX/Dockerfile"
	run hako build "$CTX"
	assert_status 1
	assert_contains "$output" "Dockerfile:3:1: unknown instruction: RUNN"
	assert_not_contains "$output" "STEP"
	printf 'FROM busybox\nCOPY --bogus=1 a b\n' >"$CTX/Dockerfile"
	run hako build "$CTX"
	assert_contains "$output" "Dockerfile:2:6: COPY: unknown flag: --bogus"
}

test_build_hostile_context() {
	build_setup
	ln -s /etc/shadow "$CTX/evil"
	mkdir "$CTX/dir"
	ln -s ../../../../../../etc "$CTX/dir/up"
	echo secret >"$TEST_TMP/outside"
	printf 'FROM busybox\nCOPY evil /evil\nCOPY dir /dir\n' >"$CTX/Dockerfile"
	run hako build -t hostile:1 "$CTX"
	assert_status 0
	run hako run --rm hostile:1 sh -c 'readlink /evil; readlink /dir/up'
	assert_eq "$output" $'/etc/shadow\n../../../../../../etc'
	run hako run --rm hostile:1 sh -c 'test -L /evil && test -L /dir/up && echo links'
	assert_eq "$output" "links"
	printf 'FROM busybox\nCOPY ../outside /x\n' >"$CTX/Dockerfile"
	run hako build "$CTX"
	assert_status 1
	assert_contains "$output" "outside the build context"
	# an absolute source is relative to the context: /../outside is /outside in it
	printf 'FROM busybox\nCOPY /../outside /x\n' >"$CTX/Dockerfile"
	run hako build "$CTX"
	assert_status 1
	assert_contains "$output" "no such file"
	# a path through a symlink of the context stays in the context
	printf 'FROM busybox\nCOPY dir/up/passwd /x\n' >"$CTX/Dockerfile"
	run hako build "$CTX"
	assert_status 1
	assert_contains "$output" "no such file"
	assert_eq "$(hako ps -aq)" ""
}

test_build_dockerignore_and_contexts() {
	build_setup
	mkdir -p "$CTX/logs/deep" "$CTX/src"
	echo 1 >"$CTX/logs/a.log"
	echo 2 >"$CTX/logs/deep/keep.log"
	echo 3 >"$CTX/src/main.c"
	echo 4 >"$CTX/src/x.tmp"
	printf 'logs\n!logs/deep/keep.log\n**/*.tmp\n' >"$CTX/.dockerignore"
	printf 'FROM busybox\nCOPY . /c\nCMD ["find", "/c", "-type", "f"]\n' >"$CTX/Dockerfile"
	run hako build -t ign:1 "$CTX"
	assert_status 0
	run hako run --rm ign:1
	out=$(echo "$output" | sort | tr '\n' ' ')
	assert_eq "$out" "/c/.dockerignore /c/Dockerfile /c/logs/deep/keep.log /c/src/main.c "
	# <Dockerfile>.dockerignore next to a -f Dockerfile wins over the context's
	printf 'FROM busybox\nCOPY . /c\nCMD ["find", "/c", "-type", "f"]\n' >"$TEST_TMP/Alt"
	printf 'src\n*.alt*\n' >"$TEST_TMP/Alt.dockerignore"
	run hako build -q -t ign:2 -f "$TEST_TMP/Alt" "$CTX"
	assert_status 0
	run hako run --rm ign:2
	out=$(echo "$output" | sort | tr '\n' ' ')
	assert_eq "$out" "/c/.dockerignore /c/Dockerfile /c/logs/a.log /c/logs/deep/keep.log "
	# the context as a tar on stdin, and as a tar file, with -f
	printf 'FROM busybox\nCOPY src/main.c /m\nCMD ["cat", "/m"]\n' >"$CTX/Containerfile"
	tar -C "$CTX" -cf "$TEST_TMP/ctx.tar" .
	run hako build -f Containerfile -t tar:1 - <"$TEST_TMP/ctx.tar"
	assert_status 0
	run hako run --rm tar:1
	assert_eq "$output" "3"
	gzip -k "$TEST_TMP/ctx.tar"
	id=$(hako build -q -f Containerfile "$TEST_TMP/ctx.tar.gz")
	run hako run --rm "$id"
	assert_eq "$output" "3"
	# a bare Dockerfile on stdin: no context
	run hako build -q -t bare:1 - <<<$'FROM busybox\nRUN echo bare > /b\nCMD ["cat", "/b"]'
	assert_status 0
	run hako run --rm bare:1
	assert_eq "$output" "bare"
	# -f - with a directory context
	run hako build -q -t fstdin:1 -f - "$CTX" <<<$'FROM busybox\nCOPY src/main.c /m\nCMD ["cat", "/m"]'
	assert_status 0
	run hako run --rm fstdin:1
	assert_eq "$output" "3"
}

test_build_multistage_and_target() {
	build_setup
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox AS base
RUN echo base > /base

FROM base AS builder
ARG TARGETARCH
RUN echo "built for $TARGETARCH" > /artifact

FROM busybox AS unused
RUN echo should-not-run

FROM scratch AS files
COPY --from=builder /artifact /from-builder

FROM busybox
COPY --from=files /from-builder /final
COPY --from=busybox /bin/busybox /copied-busybox
CMD ["cat", "/final"]
DF
	run hako build -t multi:1 "$CTX"
	assert_status 0
	assert_not_contains "$output" "should-not-run"
	run hako run --rm multi:1
	arch=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
	assert_eq "$output" "built for $arch"
	run hako run --rm multi:1 test -x /copied-busybox
	assert_status 0
	run hako run --rm multi:1 test -e /base
	assert_status 1
	# a rebuild serves COPY --from from the cache (the source image's id is
	# its key: nothing is mounted)
	run hako build -t multi:1 "$CTX"
	assert_contains "$output" "COPY --from=files /from-builder /final (CACHED)"
	assert_contains "$output" "COPY --from=busybox /bin/busybox /copied-busybox (CACHED)"
	# a source missing in the stage is an error naming it
	printf 'FROM busybox AS a\nFROM busybox\nCOPY --from=a /nonexistent /x\n' >"$TEST_TMP/Missing"
	run hako build -f "$TEST_TMP/Missing" "$CTX"
	assert_status 1
	assert_contains "$output" "/nonexistent: no such file or directory"
	assert_eq "$(hako ps -aq)" ""
	run grep -c "$TEST_TMP" /proc/mounts
	assert_eq "$output" "0"
	run hako build -t multi:base --target base "$CTX"
	assert_status 0
	assert_contains "$output" "STEP 2/2"
	assert_not_contains "$output" "artifact"
	run hako run --rm multi:base cat /base
	assert_eq "$output" "base"
	run hako build --target nosuch "$CTX"
	assert_status 1
	assert_contains "$output" "no stage"
}

test_build_options_q_iidfile_label_prune_df() {
	build_setup
	printf 'FROM busybox\nRUN echo x > /x\n' >"$CTX/Dockerfile"
	run hako build -q --iidfile "$TEST_TMP/iid" --label a=b --label c= --label 'd=$5 "q" \x' -t one:1 -t two:2 "$CTX"
	assert_status 0
	assert_eq "$(echo "$output" | wc -l)" "1" "-q prints only the id"
	assert_contains "$output" "sha256:"
	assert_eq "$(cat "$TEST_TMP/iid")" "$output"
	assert_eq "$(cfg one:1 .Labels)" '{"a":"b","c":"","d":"$5 \"q\" \\x"}'
	assert_eq "$(hako image inspect -f '{{.Id}}' two:2)" "$output"
	run hako system df
	assert_contains "$output" "Build Cache"
	all=$(hako images -a -q | wc -l)
	shown=$(hako images -q | wc -l)
	((all > shown)) || fail "intermediate images are hidden without -a ($all vs $shown)"
	run hako builder prune -f
	assert_status 0
	assert_contains "$output" "Deleted build cache objects:"
	run hako builder prune -a -f
	assert_status 0
	run hako build "$CTX"
	assert_not_contains "$output" "CACHED"
	run hako image build --help
	assert_contains "$output" "--build-arg"
}

test_build_add_archive() {
	build_setup
	mkdir -p "$TEST_TMP/arch/top"
	echo inside >"$TEST_TMP/arch/top/file"
	tar -C "$TEST_TMP/arch" -czf "$CTX/a.tar.gz" top
	tar -C "$TEST_TMP/arch" -cJf "$CTX/a.tar.xz" top
	tar -C "$TEST_TMP/arch" -cjf "$CTX/a.tar.bz2" top
	printf 'FROM busybox\nADD a.tar.gz /gz/\nADD a.tar.xz /xz\nADD a.tar.bz2 /bz\nADD --chown=10:20 Dockerfile /df\n' >"$CTX/Dockerfile"
	run hako build -t add:1 "$CTX"
	assert_status 0
	run hako run --rm add:1 sh -c 'cat /gz/top/file /xz/top/file /bz/top/file; stat -c %u:%g /df'
	assert_eq "$output" $'inside\ninside\ninside\n10:20'
	# a hostile archive is refused as a pulled layer would be
	python3 - "$CTX/evil.tar" <<'PY'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w")
i = tarfile.TarInfo("../../escape"); data = b"x"; i.size = len(data)
t.addfile(i, io.BytesIO(data)); t.close()
PY
	printf 'FROM busybox\nADD evil.tar /e/\n' >"$CTX/Dockerfile"
	run hako build "$CTX"
	assert_status 1
	assert_contains "$output" "escape"
	assert_eq "$(hako ps -aq)" ""
	run grep -c "$TEST_TMP" /proc/mounts
	assert_eq "$output" "0"
}

test_build_run_mounts_onbuild_shell() {
	build_setup
	echo s3cret >"$TEST_TMP/secret.txt"
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox
ONBUILD RUN echo triggered > /trig
SHELL ["/bin/sh", "-ec"]
RUN --mount=type=secret,id=tok cat /run/secrets/tok > /seen
RUN --mount=type=cache,target=/cache echo hi >> /cache/log && wc -l < /cache/log
RUN --network=none --mount=type=tmpfs,target=/scratch touch /scratch/x && echo net-none
DF
	run hako build -t mounts:1 --secret id=tok,src="$TEST_TMP/secret.txt" "$CTX"
	assert_status 0
	assert_contains "$output" "net-none"
	run hako run --rm mounts:1 sh -c 'cat /seen; for p in /run/secrets/tok /cache /scratch; do test -e $p && echo $p left; done; true'
	assert_eq "$output" "s3cret" "the secret was readable; no mount target is left in the image"
	assert_eq "$(cfg mounts:1 .Shell)" '["/bin/sh","-ec"]'
	# the cache mount keeps its content across builds
	run hako build --no-cache -q --secret id=tok,src="$TEST_TMP/secret.txt" "$CTX"
	assert_status 0
	run hako build --no-cache --secret id=tok,src="$TEST_TMP/secret.txt" "$CTX"
	assert_contains "$output" $'\n3\n'
	# ONBUILD runs in the child build, once
	mkdir -p "$TEST_TMP/child"
	printf 'FROM mounts:1\nRUN cat /trig\n' >"$TEST_TMP/child/Dockerfile"
	run hako build -t child:1 "$TEST_TMP/child"
	assert_status 0
	assert_contains "$output" "STEP 1/2: ONBUILD RUN echo triggered > /trig"
	assert_contains "$output" $'\ntriggered'
	assert_eq "$(cfg child:1 .OnBuild)" "null"
}

test_build_copy_rules() {
	build_setup
	echo a >"$CTX/a.txt"
	echo b >"$CTX/b.txt"
	mkdir -p "$CTX/sub/deep"
	echo s >"$CTX/sub/deep/s"
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox
ARG V=1
COPY *.txt /txt/
COPY a.txt /renamed
COPY sub/ /subcontents/
WORKDIR /w
COPY a.txt rel
COPY <<EOT /heredoc.txt
value $V
EOT
COPY --chown=www-data:users a.txt /owned/by/name
HEALTHCHECK --interval=5s CMD true
DF
	run hako build -t rules:1 "$CTX"
	assert_status 0
	run hako run --rm rules:1 sh -c 'ls /txt; cat /renamed /subcontents/deep/s /w/rel /heredoc.txt; stat -c "%u:%g" /owned /owned/by /owned/by/name'
	assert_eq "$output" $'a.txt\nb.txt\na\ns\na\nvalue 1\n33:100\n33:100\n33:100'
	# a changed HEALTHCHECK option is a new step
	sed -i 's/--interval=5s/--interval=7s/' "$CTX/Dockerfile"
	run hako build -t rules:2 "$CTX"
	assert_contains "$output" $'HEALTHCHECK --interval=7s CMD true\n'
	assert_eq "$(cfg rules:2 .Healthcheck.Interval)" "7000000000"
	# no match is an error naming the source
	printf 'FROM busybox\nCOPY nothing*.txt /x/\n' >"$CTX/Dockerfile"
	run hako build "$CTX"
	assert_status 1
	assert_contains "$output" "nothing*.txt: no such file or directory"
}

test_build_interrupt_and_stale_leftovers() {
	build_setup
	# leftovers of a build that was killed: its private rootfs and context
	sleep 0 &
	dead=$!
	wait $dead
	mkdir -p "$TEST_TMP/root/rootfs/build-$dead-abcdef/merged" "$TEST_TMP/run/build/ctx-$dead-abcdef/ctx"
	hako create --name "hako-build-$dead-abcdef" busybox true >/dev/null
	printf 'FROM busybox\nRUN echo started; sleep 30\n' >"$CTX/Dockerfile"
	# the binary itself (not the hako function's subshell) gets the signal
	HAKO_DEFAULT_NETWORK=none "$HAKO_BIN" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" \
		build "$CTX" >"$TEST_TMP/out" 2>&1 &
	pid=$!
	wait_for 20 grep -q started "$TEST_TMP/out"
	assert_no_file "$TEST_TMP/root/rootfs/build-$dead-abcdef"
	assert_no_file "$TEST_TMP/run/build/ctx-$dead-abcdef"
	run hako inspect "hako-build-$dead-abcdef"
	assert_status 1
	kill -INT $pid
	status=0
	wait $pid || status=$?
	assert_eq "$status" 1
	assert_contains "$(cat "$TEST_TMP/out")" "interrupted (signal 2)"
	assert_eq "$(hako ps -aq)" "" "the step's container is removed"
	run grep -c "$TEST_TMP" /proc/mounts
	assert_eq "$output" "0"
}

test_build_add_url() {
	require_cmd python3
	build_setup
	mkdir -p "$TEST_TMP/www"
	echo served >"$TEST_TMP/www/file.txt"
	python3 -m http.server 0 --bind 127.0.0.1 --directory "$TEST_TMP/www" >"$TEST_TMP/http.log" 2>&1 &
	defer "kill $!"
	wait_for 10 grep -q "Serving HTTP" "$TEST_TMP/http.log"
	port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$TEST_TMP/http.log" | head -n 1)
	sum=$(sha256sum "$TEST_TMP/www/file.txt" | cut -d' ' -f1)
	printf 'FROM busybox\nADD http://127.0.0.1:%s/file.txt /dl/\nADD --checksum=sha256:%s http://127.0.0.1:%s/file.txt /named\n' \
		"$port" "$sum" "$port" >"$CTX/Dockerfile"
	run hako build --network none -t url:1 "$CTX"
	assert_status 0
	run hako run --rm url:1 sh -c 'cat /dl/file.txt /named; stat -c %a /dl/file.txt /named'
	assert_eq "$output" $'served\nserved\n600\n600'
	# the same content: cached; a changed content: downloaded and rebuilt
	run hako build --network none "$CTX"
	assert_contains "$output" "(CACHED)"
	echo changed >"$TEST_TMP/www/file.txt"
	printf 'FROM busybox\nADD http://127.0.0.1:%s/file.txt /dl/\n' "$port" >"$CTX/Dockerfile"
	run hako build --network none -t url:2 "$CTX"
	assert_status 0
	assert_not_contains "$output" "(CACHED)"
	run hako run --rm url:2 cat /dl/file.txt
	assert_eq "$output" "changed"
	# a wrong checksum and a missing file fail the step
	printf 'FROM busybox\nADD --checksum=sha256:%s http://127.0.0.1:%s/file.txt /x\n' "$sum" "$port" >"$CTX/Dockerfile"
	run hako build "$CTX"
	assert_status 1
	assert_contains "$output" "--checksum wants"
	printf 'FROM busybox\nADD http://127.0.0.1:%s/nothing /x\n' "$port" >"$CTX/Dockerfile"
	run hako build "$CTX"
	assert_status 1
	assert_contains "$output" "404"
	assert_eq "$(ls "$TEST_TMP/run/build" 2>/dev/null)" "" "no download left"
}

test_build_independent_stages_run_in_parallel() {
	build_setup
	# a rendezvous through a shared cache mount: each stage waits for the
	# other's mark, which only works when both run at once
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox AS left
RUN --mount=type=cache,id=meet,target=/meet touch /meet/left && i=0; while [ ! -e /meet/right ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; test -e /meet/right && echo left > /left

FROM busybox AS right
RUN --mount=type=cache,id=meet,target=/meet touch /meet/right && i=0; while [ ! -e /meet/left ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; test -e /meet/left && echo right > /right

FROM busybox
COPY --from=left /left /l
COPY --from=right /right /r
CMD ["cat", "/l", "/r"]
DF
	run hako build --network none -t par:1 "$CTX"
	assert_status 0
	assert_contains "$output" "STEP 2/8: RUN"
	assert_contains "$output" "STEP 4/8: RUN"
	run hako run --rm par:1
	assert_eq "$output" $'left\nright'
	assert_eq "$(hako ps -aq)" ""
	# a failing stage stops the other and leaves nothing
	sed -i 's/echo right > \/right/exit 7/' "$CTX/Dockerfile"
	rm -rf "$TEST_TMP/root/build-mounts"
	run hako build --no-cache --network none "$CTX"
	assert_status 1
	assert_contains "$output" "exit code: 7"
	assert_eq "$(hako ps -aq)" ""
	run grep -c "$TEST_TMP" /proc/mounts
	assert_eq "$output" "0"
}
