# Terminals: what a user's terminal receives from -t containers.  The
# container's pty turns "\n" into "\r\n" (ONLCR); the client copying it must
# keep its own terminal raw, or every line ends in "\r\r\n".

engine_setup() {
	require_cmd script
	hako image build-default >/dev/null
	defer engine_cleanup
	hako_cmd="HAKO_DEFAULT_NETWORK=none '$HAKO_BIN' --root '$TEST_TMP/root' --runroot '$TEST_TMP/run'"
}

engine_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

# under_pty CMD: run CMD on a new pty (script(1)), then `stty -a` on the same
# terminal; prints every byte the terminal was given, "\r" included.
under_pty() {
	script -qfec "$1; stty -a" /dev/null </dev/null 2>&1 || true
}

# check_tty_output OUT MARKER: the marker line arrived once-translated, and
# the terminal has its cooked settings back.
check_tty_output() {
	assert_contains "$1" "$2"$'\r\n'
	assert_not_contains "$1" $'\r\r\n' "doubled carriage return"
	[[ $1 =~ (^|[[:space:]])opost[[:space:]] ]] || fail "output processing not restored: $1"
	[[ $1 =~ (^|[[:space:]])icanon[[:space:]] ]] || fail "canonical mode not restored: $1"
}

test_exec_it_single_carriage_return() {
	engine_setup
	hako run -d --name ex busybox sleep 60 >/dev/null
	out=$(under_pty "$hako_cmd exec -it ex sh -c 'echo ex-\$((6*7)); echo two'")
	check_tty_output "$out" "ex-42"
	assert_contains "$out" $'two\r\n'
	# -t alone: stdin is not read, stdout is still a terminal
	out=$(under_pty "$hako_cmd exec -t ex sh -c 'echo ext-\$((6*7))'")
	check_tty_output "$out" "ext-42"
}

test_run_t_single_carriage_return() {
	engine_setup
	out=$(under_pty "$hako_cmd run --rm -it busybox sh -c 'echo it-\$((6*7))'")
	check_tty_output "$out" "it-42"
	out=$(under_pty "$hako_cmd run --rm -t busybox sh -c 'echo t-\$((6*7))'")
	check_tty_output "$out" "t-42"
}

test_attach_no_stdin_single_carriage_return() {
	engine_setup
	hako run -d -t --name at busybox sh -c 'sleep 1; echo at-$((6*7)); sleep 1; echo done' >/dev/null
	out=$(under_pty "$hako_cmd attach --no-stdin at")
	check_tty_output "$out" "at-42"
	assert_contains "$out" $'done\r\n'
}

test_runtime_run_terminal_single_carriage_return() {
	make_bundle "$TEST_TMP/b" sh -c 'echo rt-$((6*7))'
	jq_edit "$TEST_TMP/b/config.json" ".process.terminal = true | .linux.cgroupsPath = \"/hako-test/${TEST_TMP##*/}-tty\""
	defer hako_runtime delete --force c1
	out=$(under_pty "'$HAKO_BIN_DIR/hako-runtime' --root '$TEST_TMP/rtstate' run -b '$TEST_TMP/b' c1")
	check_tty_output "$out" "rt-42"
}

# No byte of hako's own (a sync or handshake byte, the attach protocol's
# frames) reaches the terminal: a NUL in the container's pty would be echoed
# as "^@" before the shell turns echo off, a NUL on ours is invisible but
# breaks escape sequences.  An interactive shell, on a sized terminal, with
# run -it, exec -it, attach and start -ai.  (The output is kept in a file:
# bash drops NUL bytes from a command substitution.)
test_tty_sessions_carry_no_stray_bytes() {
	engine_setup
	local o=$TEST_TMP/typescript
	session() { # INPUT COMMAND MARKER
		(sleep 0.5; printf "$1") | script -qfec "stty rows 24 cols 80; $2" /dev/null >"$o" 2>&1 || true
		local nul
		nul=$(tr -d -c '\000' <"$o" | wc -c)
		[ "$nul" = 0 ] || fail "$nul NUL byte(s) from: $2: $(od -c "$o" | head -4)"
		assert_not_contains "$(cat "$o")" "^@" "an echoed NUL from: $2"
		assert_contains "$(cat "$o")" "$3"
	}
	session 'echo r-$((6*7))\nexit\n' "$hako_cmd run --rm -it busybox sh" r-42
	hako run -d -it --name sh1 busybox sh >/dev/null
	session 'echo e-$((6*7))\nexit\n' "$hako_cmd exec -it sh1 sh" e-42
	session 'echo a-$((6*7))\nexit\n' "$hako_cmd attach sh1" a-42
	hako create -it --name sh2 busybox sh >/dev/null
	session 'echo s-$((6*7))\nexit\n' "$hako_cmd start -ai sh2" s-42
}

# An EOF typed (or sent: `script` does at the end of its input) while the
# terminal is still canonical, before hako turns it raw: n_tty keeps it as a
# '\0' in its buffer, which the raw read returned as a NUL byte, so the
# container's pty echoed a stray "^@" before the program's first output.
# Now it ends our stdin, as an EOF read later does.
test_tty_eof_before_raw_mode_is_no_stray_nul() {
	engine_setup
	local o=$TEST_TMP/typescript
	no_nul() { # COMMAND MARKER
		script -qfec "$1" /dev/null </dev/null >"$o" 2>&1 || true
		local nul
		nul=$(tr -d -c '\000' <"$o" | wc -c)
		[ "$nul" = 0 ] || fail "$nul NUL byte(s) from: $1: $(od -c "$o" | head -4)"
		assert_not_contains "$(cat "$o")" "^@" "an echoed NUL from: $1"
		assert_contains "$(cat "$o")" "$2"$'\r'
	}
	no_nul "$hako_cmd run --rm -it busybox sh -c 'sleep 0.3; echo r-\$((6*7))'" r-42
	hako run -d --name ex busybox sleep 60 >/dev/null
	no_nul "$hako_cmd exec -it ex sh -c 'sleep 0.3; echo e-\$((6*7))'" e-42
	make_bundle "$TEST_TMP/b" sh -c 'sleep 0.3; echo rt-$((6*7))'
	jq_edit "$TEST_TMP/b/config.json" ".process.terminal = true | .linux.cgroupsPath = \"/hako-test/${TEST_TMP##*/}-eof\""
	defer hako_runtime delete --force c1
	no_nul "'$HAKO_BIN_DIR/hako-runtime' --root '$TEST_TMP/rtstate' run -b '$TEST_TMP/b' c1" rt-42
}
