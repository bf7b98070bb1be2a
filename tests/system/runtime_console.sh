# hako-runtime: terminals: --console-socket gets the pty master.

# A bundle whose cgroup is this test's own: test suites of several checkouts
# may run at once on one machine, and the default cgroup (hako/<id>) would be
# shared by their containers of the same name.
rt_bundle() {
	make_bundle "$@"
	jq_edit "$1/config.json" ".linux.cgroupsPath = \"/hako-test/${TEST_TMP##*/}-${1##*/}\""
}

# console_run SOCKET_ARG CMD: run CMD in a container with a terminal whose
# pty master goes to SOCKET_ARG (--console-socket), received by hk-testhelper
# recvtty listening at $TEST_TMP/console.sock; its output in $TEST_TMP/tty.out.
console_run() {
	local sock="$TEST_TMP/console.sock"
	"$HAKO_BIN_DIR/hk-testhelper" recvtty "$sock" >"$TEST_TMP/tty.out" 2>&1 &
	local rpid=$!
	defer kill $rpid
	wait_for 5 test -S "$sock"
	rt_bundle "$TEST_TMP/b" sh -c "$2"
	jq_edit "$TEST_TMP/b/config.json" '.process.terminal = true'
	defer hako_runtime delete --force c1
	hako_runtime create --console-socket "$1" -b "$TEST_TMP/b" c1
	hako_runtime start c1
	wait $rpid || true
}

test_runtime_console_socket() {
	console_run "$TEST_TMP/console.sock" 'tty; echo hello-from-tty'
	local out
	out=$(cat "$TEST_TMP/tty.out")
	assert_contains "$out" "recvtty: got fd"
	assert_contains "$out" "/dev/pts/0"
	assert_contains "$out" "hello-from-tty"
}

test_runtime_terminal_needs_console_socket() {
	rt_bundle "$TEST_TMP/b" true
	jq_edit "$TEST_TMP/b/config.json" '.process.terminal = true'
	run hako_runtime create -b "$TEST_TMP/b" c1
	assert_ne "$status" 0
	assert_contains "$output" "console-socket"
	assert_no_file "$TEST_TMP/rtstate/c1"
}

test_runtime_exec_tty_console_socket() {
	local helper="$HAKO_BIN_DIR/hk-testhelper" sock="$TEST_TMP/console.sock"
	rt_bundle "$TEST_TMP/b" sleep 30
	defer hako_runtime delete --force c1
	hako_runtime run -d -b "$TEST_TMP/b" c1
	"$helper" recvtty "$sock" >"$TEST_TMP/tty.out" 2>&1 &
	local rpid=$!
	defer kill $rpid
	wait_for 5 test -S "$sock"
	hako_runtime exec -t --console-socket "$sock" c1 sh -c 'tty; echo exec-tty'
	wait $rpid || true
	assert_contains "$(cat "$TEST_TMP/tty.out")" exec-tty
}

# A --console-socket path longer than sun_path (108 bytes): connected through
# an O_PATH fd of its directory, as runc does.  (The listener binds a short
# path; the long one is a symlink to it, connect() follows it.)
test_runtime_console_socket_long_path() {
	local long
	long="$TEST_TMP/$(printf 'd%.0s' {1..60})/$(printf 'e%.0s' {1..60})"
	mkdir -p "$long"
	ln -s "$TEST_TMP/console.sock" "$long/console.sock"
	[ "${#long}" -gt 108 ] || fail "path not long enough: ${#long}"
	console_run "$long/console.sock" 'echo hello-long-path'
	assert_contains "$(cat "$TEST_TMP/tty.out")" "hello-long-path"
}
