# Engines driving hako-runtime as their OCI runtime, the way they drive runc:
# containerd (ctr run --runc-binary) and podman (--runtime).  Each test skips
# with the reason when the engine is not installed (scripts/deps.sh installs
# containerd; podman comes with /work/shared/bench/peers-setup.sh or
# `apt-get install podman`).

# A private containerd: its own root, state, socket and config; no CRI.
start_containerd() {
	local d=$TEST_TMP/ctd
	mkdir -p "$d"
	cat >"$d/config.toml" <<-EOT
		version = 2
		root = "$d/root"
		state = "$d/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$d/c.sock"
		[ttrpc]
		  address = "$d/c.sock.ttrpc"
	EOT
	containerd --config "$d/config.toml" >"$d/log" 2>&1 &
	ctd_pid=$!
	defer "kill $ctd_pid; wait $ctd_pid"
	CTR=(ctr --address "$d/c.sock" --namespace hakotest)
	# containerd puts its containers under /<namespace>/: remove the parent
	defer "rmdir /sys/fs/cgroup/*/hakotest /sys/fs/cgroup/hakotest"
	wait_for 20 "${CTR[@]}" version
}

test_containerd_ctr_run_uses_hako_runtime() {
	require_cmd containerd
	require_cmd ctr
	require_cmd containerd-shim-runc-v2
	start_containerd
	local id="hk-ctr-$$"
	# --rootfs: no image needed, the shim hands the directory to the runtime
	run "${CTR[@]}" run --rm --runc-binary "$HAKO_BIN_DIR/hako-runtime" \
		--rootfs "$TEST_ROOTFS" "$id" /bin/sh -c 'echo hello from $(hostname); cat /proc/self/cgroup'
	[ "$status" = 0 ] || fail "ctr run: $output; containerd log: $(tail -n 20 "$TEST_TMP/ctd/log")"
	assert_contains "$output" "hello from"
	# containerd names the cgroup /<namespace>/<id>
	assert_contains "$output" "/hakotest/$id"
	# and the shim ran hako-runtime, whose state dir it chose
	[ -d "$TEST_TMP/ctd/state" ] || fail "no containerd state"
	for h in /sys/fs/cgroup/*/hakotest/"$id"; do
		[ ! -e "$h" ] || fail "cgroup $h left after ctr run --rm"
	done
	run "${CTR[@]}" containers ls -q
	assert_not_contains "$output" "$id"
}

test_containerd_exit_status_and_kill() {
	require_cmd containerd
	require_cmd ctr
	require_cmd containerd-shim-runc-v2
	start_containerd
	local id="hk-ctr-ex-$$"
	run "${CTR[@]}" run --rm --runc-binary "$HAKO_BIN_DIR/hako-runtime" \
		--rootfs "$TEST_ROOTFS" "$id" /bin/sh -c 'exit 7'
	assert_status 7
	# a detached task, then kill through containerd
	"${CTR[@]}" run -d --runc-binary "$HAKO_BIN_DIR/hako-runtime" --rootfs "$TEST_ROOTFS" \
		"$id-d" /bin/sleep 100
	defer "${CTR[*]} task kill -s KILL $id-d; ${CTR[*]} task delete -f $id-d; ${CTR[*]} containers rm $id-d"
	run "${CTR[@]}" task ls
	assert_contains "$output" "RUNNING"
	"${CTR[@]}" task kill -s KILL "$id-d"
	wait_for 10 bash -c "${CTR[*]} task ls | grep '$id-d' | grep -q STOPPED"
	"${CTR[@]}" task delete "$id-d"
	"${CTR[@]}" containers rm "$id-d"
}

test_podman_run_uses_hako_runtime() {
	require_cmd podman
	require_cmd conmon
	local img=localhost/hk-interop
	# A private store (vfs: no mounts left behind) in the test directory.
	P=(podman --root "$TEST_TMP/proot" --runroot "$TEST_TMP/prun" --storage-driver vfs
		--cgroup-manager cgroupfs --events-backend file --runtime "$HAKO_BIN_DIR/hako-runtime")
	defer "${P[*]} rm -af; ${P[*]} rmi -af"
	tar -C "$TEST_ROOTFS" -c . | "${P[@]}" import - "$img" >/dev/null
	run "${P[@]}" run --rm --network=none "$img" /bin/sh -c 'echo hello-from-hako; cat /proc/self/cgroup'
	[ "$status" = 0 ] || fail "podman run: $output"
	assert_contains "$output" "hello-from-hako"
	assert_contains "$output" "libpod"
	run "${P[@]}" run --rm --network=none "$img" /bin/sh -c 'exit 3'
	assert_status 3
	run "${P[@]}" ps -a -q
	assert_eq "$output" ""
}
