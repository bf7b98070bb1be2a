# hako import: rootfs tarballs, --change, bad input, crash safety.

_count() { find "$1" -mindepth 1 -maxdepth 1 ! -name '.*' | wc -l; }

# Nothing of an image is left anywhere in the store.
_assert_store_empty() {
	local root=$TEST_TMP/root
	assert_eq "$(hako images -q)" "" "no image"
	assert_eq "$(_count "$root/layers")" 0 "no layer dir"
	assert_eq "$(_count "$root/blobs/sha256")" 0 "no blob"
	assert_eq "$(_count "$root/blobs/tmp")" 0 "no temp blob"
	assert_eq "$(sqlite3 "$root/hako.db" 'SELECT count(*) FROM image_intents')" 0 "no intent"
}

test_import_with_changes() {
	local id cfg
	tar -C "$TEST_ROOTFS" -czf "$TEST_TMP/rootfs.tgz" .
	id=$(hako import \
		-c 'CMD ["/bin/sh", "-c", "echo hi"]' -c 'ENTRYPOINT /bin/env' \
		-c 'ENV A=1 B="two words"' -c 'ENV A 3' -c 'EXPOSE 80 53/udp' \
		-c 'LABEL org.x=y "with space"=z' -c 'WORKDIR /srv' -c 'USER 1000:1000' \
		-c 'VOLUME ["/data"]' -c 'STOPSIGNAL SIGINT' -m 'my import' \
		"$TEST_TMP/rootfs.tgz" example.com/app:v1)
	[[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "bad id $id"
	cfg=$(hako image inspect -f '{{json .Config}}' example.com/app:v1)
	assert_eq "$(echo "$cfg" | jq -c .Cmd)" '["/bin/sh","-c","echo hi"]'
	assert_eq "$(echo "$cfg" | jq -c .Entrypoint)" '["/bin/sh","-c","/bin/env"]'
	assert_eq "$(echo "$cfg" | jq -c .Env)" '["A=3","B=two words"]'
	assert_eq "$(echo "$cfg" | jq -c '.ExposedPorts | keys')" '["53/udp","80/tcp"]'
	assert_eq "$(echo "$cfg" | jq -r '.Labels["with space"]')" z
	assert_eq "$(echo "$cfg" | jq -r .WorkingDir)" /srv
	assert_eq "$(echo "$cfg" | jq -r .User)" 1000:1000
	assert_eq "$(echo "$cfg" | jq -c '.Volumes | keys')" '["/data"]'
	assert_eq "$(echo "$cfg" | jq -r .StopSignal)" SIGINT
	run hako history example.com/app:v1
	assert_contains "$output" "my import"
	# The layer holds the tarball's files.
	local mp
	mp=$(hako image mount example.com/app:v1)
	defer hako image unmount example.com/app:v1
	cmp "$mp/bin/busybox" "$TEST_ROOTFS/bin/busybox" || fail "busybox differs"
}

test_import_from_stdin_zstd() {
	require_cmd zstd
	tar -C "$TEST_ROOTFS" -cf - . | zstd -q -c | hako import - fromstdin >/dev/null
	run hako image inspect -f '{{.RepoTags}}' fromstdin
	assert_status 0
	assert_contains "$output" "fromstdin:latest"
}

test_import_bad_input_leaves_nothing() {
	echo "not a tar" >"$TEST_TMP/bad.tar"
	run hako import "$TEST_TMP/bad.tar" bad
	assert_status 125
	assert_contains "$output" "not a tar archive"
	_assert_store_empty
	run hako import -c 'RUN rm -rf /' "$TEST_TMP/bad.tar"
	assert_status 125
	assert_contains "$output" "'RUN' can not be applied"
	run hako import -c 'EXPOSE 99999' "$TEST_TMP/bad.tar"
	assert_contains "$output" "invalid port '99999'"
	run hako import "$TEST_TMP/missing.tar"
	assert_status 125
	assert_contains "$output" "missing.tar: No such file or directory"
	# A hostile tarball: refused, named, nothing kept.
	python3 - "$TEST_TMP/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("ok"); i.size = 2; t.addfile(i, io.BytesIO(b"ok"))
    i = tarfile.TarInfo("lib"); i.type = tarfile.SYMTYPE; i.linkname = "/etc"; t.addfile(i)
    i = tarfile.TarInfo("lib/cron.d/evil"); i.size = 1; t.addfile(i, io.BytesIO(b"x"))
PY
	run hako import "$TEST_TMP/evil.tar" evil
	assert_status 125
	assert_contains "$output" 'entry "lib/cron.d/evil": path goes through "lib"'
	[ ! -e /etc/cron.d/evil ] || fail "wrote through the symlink"
	_assert_store_empty
}

# The commit dies right before registering (the test hook _exits as a kill -9
# would): the next command repairs and shows nothing.
test_import_crash_before_commit_leaves_nothing() {
	local root=$TEST_TMP/root
	tar -C "$TEST_ROOTFS" -cf "$TEST_TMP/r.tar" .
	run env HAKO_TEST_CRASH_COMMIT=1 "$HAKO_BIN" --root "$root" --runroot "$TEST_TMP/run" \
		import "$TEST_TMP/r.tar" crashy
	assert_status 99
	# The crash left the unpacked layer and blobs behind...
	assert_eq "$(_count "$root/layers")" 1
	# ...which the next open removes.
	_assert_store_empty
	hako import "$TEST_TMP/r.tar" crashy >/dev/null
	assert_eq "$(_count "$root/layers")" 1
}

# kill -9 at some moment of a larger import: afterwards the store holds the
# whole image or nothing, never a part.
test_import_kill9_is_all_or_nothing() {
	local root=$TEST_TMP/root pid n
	mkdir -p "$TEST_TMP/big"
	cp -a "$TEST_ROOTFS/." "$TEST_TMP/big/"
	head -c 24000000 /dev/urandom >"$TEST_TMP/big/blob"
	tar -C "$TEST_TMP/big" -czf "$TEST_TMP/big.tgz" .
	rm -rf "$TEST_TMP/big"
	for delay in 0.05 0.3 0.8; do
		"$HAKO_BIN" --root "$root" --runroot "$TEST_TMP/run" import "$TEST_TMP/big.tgz" big \
			>/dev/null 2>&1 &
		pid=$!
		sleep "$delay"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		n=$(hako images -q | wc -l)
		if ((n == 1)); then
			assert_eq "$(_count "$root/layers")" 1 "a complete image has its layer"
			hako rmi big >/dev/null
		fi
		_assert_store_empty
	done
}

# Concurrent hako processes import the same layer under different names:
# every one succeeds and the layer is unpacked once.
test_concurrent_imports_share_the_layer() {
	local root=$TEST_TMP/root pids=() i
	tar -C "$TEST_ROOTFS" -cf "$TEST_TMP/r.tar" .
	hako images >/dev/null # create the store first
	for i in 1 2 3; do
		"$HAKO_BIN" --root "$root" import -c "CMD [\"$i\"]" "$TEST_TMP/r.tar" "par:$i" \
			>"$TEST_TMP/out.$i" 2>&1 &
		pids+=($!)
	done
	for i in 0 1 2; do
		wait "${pids[$i]}" || fail "import $((i + 1)) failed: $(cat "$TEST_TMP/out.$((i + 1))")"
	done
	assert_eq "$(hako images -q | wc -l)" 3
	assert_eq "$(find "$root/layers" -mindepth 1 -maxdepth 1 ! -name '.*' | wc -l)" 1
	assert_eq "$(hako image inspect -f '{{json .Config.Cmd}}' par:2)" '["2"]'
	hako rmi par:1 par:2 >/dev/null
	assert_eq "$(find "$root/layers" -mindepth 1 -maxdepth 1 ! -name '.*' | wc -l)" 1
	hako rmi par:3 >/dev/null
	assert_eq "$(find "$root/layers" -mindepth 1 -maxdepth 1 ! -name '.*' | wc -l)" 0
}
