# Security: CVE-2019-5736, a container overwriting the host's hako or
# hako-runtime binary through /proc/self/exe (issue 20, item 1).
#
# The attack, as a malicious image would make it: /lib64/ld-linux-x86-64.so.2
# is the attacker's program (attack/fake_ld.c) and /attack/script starts with
# `#!/proc/self/exe`.  When the runtime execs the script inside the container,
# the kernel runs /proc/self/exe -- before the fix, the runtime's binary on
# the host -- with the container's ELF interpreter, which keeps an fd of the
# binary and has attack/writer write it once no process runs it.  With the
# fix the runtime execs every container program through a sealed memfd stub
# (src/stub/stub.c), so /proc/self/exe is that stub: static (the fake loader
# never runs), sealed, and it refuses to be a script's interpreter.
#
# The attacks run against copies of the binaries in $TEST_TMP, so that a
# build which is still vulnerable damages only the copies.  Each attack
# checks that it was exercised: either the stub's refusal is in the output
# (the kernel ran /proc/self/exe = the stub) or the fake loader's report of
# what /proc/self/exe was exists and names no host file.

STUB_REFUSAL="hako-stub: a sealed copy that only starts container processes"

attack_setup() {
	[ "$(uname -m)" = x86_64 ] || skip "the fake ELF interpreter is x86_64 code"
	require_cmd gcc
	local a=$TOP/tests/system/attack r=$TEST_TMP/evil-rootfs
	BIN=$TEST_TMP/bin
	mkdir -p "$BIN" "$TEST_TMP/out"
	for b in hako hako-runtime hako-monitor hako-init hako-dns; do
		[ -x "$HAKO_BIN_DIR/$b" ] && cp "$HAKO_BIN_DIR/$b" "$BIN/$b"
	done
	cp -a "$TEST_ROOTFS" "$r"
	mkdir -p "$r/lib64" "$r/attack" "$r/out"
	gcc -O1 -static -nostdlib -fno-pie -no-pie -fno-stack-protector -fcf-protection=none \
		-o "$r/lib64/ld-linux-x86-64.so.2" "$a/fake_ld.c" || fail "build fake_ld.c"
	gcc -O1 -static -o "$r/attack/writer" "$a/writer.c" || fail "build writer.c"
	printf '#!/proc/self/exe\n' >"$r/attack/script"
	printf 'not a program\n' >"$r/attack/garbage"
	chmod 755 "$r/attack/script" "$r/attack/garbage"
	SUM_HAKO=$(sha256sum <"$BIN/hako")
	SUM_RT=$(sha256sum <"$BIN/hako-runtime")
	defer attack_cleanup
}

hk() { HAKO_DEFAULT_NETWORK=none "$BIN/hako" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" "$@"; }
hk_rt() { "$BIN/hako-runtime" --root "$TEST_TMP/rtstate" "$@"; }

# with the build's own binaries (same --root): on a vulnerable build the
# copies are what the attack broke
attack_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
	for id in $(hako_runtime list -q 2>/dev/null); do hako_runtime delete -f "$id"; done
}

# import the attacker's rootfs as an image whose CMD is the script
attack_image() {
	tar -C "$TEST_TMP/evil-rootfs" -cf "$TEST_TMP/evil.tar" .
	hk import -c 'CMD ["/attack/script"]' "$TEST_TMP/evil.tar" evil >/dev/null
}

# wait_attack SECONDS CMD...: until the writer reported, or CMD says the
# attacked process is gone without it (the attack was stopped)
wait_attack() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 20; i++)); do
		[ -e "$TEST_TMP/out/result" ] && return 0
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
}

# assert_defeated OUTPUT: the binaries are intact, the attack was exercised,
# and the attacker never saw a host file as /proc/self/exe
assert_defeated() {
	local out=$1 exe=""
	[ -e "$TEST_TMP/out/exe" ] && exe=$(cat "$TEST_TMP/out/exe")
	assert_eq "$(sha256sum <"$BIN/hako")" "$SUM_HAKO" \
		"hako's binary was written by the container ($exe; $(cat "$TEST_TMP/out/result" 2>/dev/null))"
	assert_eq "$(sha256sum <"$BIN/hako-runtime")" "$SUM_RT" \
		"hako-runtime's binary was written by the container ($exe; $(cat "$TEST_TMP/out/result" 2>/dev/null))"
	if [ -n "$exe" ]; then
		assert_not_contains "$exe" "$BIN/" "the container ran the host's binary"
		assert_contains "$exe" "memfd:" "/proc/self/exe in the container"
	else
		assert_contains "$out" "$STUB_REFUSAL" "the attack was not exercised"
	fi
	assert_not_contains "$(cat "$TEST_TMP/out/result" 2>/dev/null)" wrote
}

not_running() { [ "$(hk inspect -f '{{.State.Running}}' "$1")" = false ]; }

test_attack_run_image_cmd() {
	attack_setup
	attack_image
	hk run -d --name victim -v "$TEST_TMP/out:/out" evil >/dev/null
	wait_attack 40 not_running victim
	assert_defeated "$(hk logs victim 2>&1)"
}

test_attack_exec() {
	attack_setup
	attack_image
	hk run -d --name victim -v "$TEST_TMP/out:/out" evil sleep 300 >/dev/null
	run hk exec victim /attack/script
	wait_attack 40 test ! -e "$TEST_TMP/out/exe"
	assert_defeated "$output"
	# and a plain exec still works (the stub passes it through)
	run hk exec victim sh -c 'echo ok-$((6 * 7))'
	assert_status 0
	assert_eq "$output" ok-42
	# an exec error found by the stub comes back in the runtime's words
	run hk exec victim /attack/garbage
	assert_status 126
	assert_contains "$output" 'exec: "/attack/garbage": Exec format error'
}

# an OCI bundle of the attacker's rootfs with /out bound to $TEST_TMP/out
attack_bundle() {
	local b=$TEST_TMP/bundle
	mkdir -p "$b"
	cp -a "$TEST_TMP/evil-rootfs" "$b/rootfs"
	(cd "$b" && "$BIN/hako-runtime" spec)
	jq_edit "$b/config.json" ".process.terminal = false | .process.args = $1
		| .linux.cgroupsPath = \"/hako-test/${TEST_TMP##*/}\"
		| .mounts += [{destination: \"/out\", type: \"bind\", source: \"$TEST_TMP/out\", options: [\"rbind\", \"rw\"]}]"
}

rt_stopped() { [ "$(hk_rt state "$1" | jq -r .status)" = stopped ]; }

test_attack_runtime_create_start() {
	attack_setup
	attack_bundle '["/attack/script"]'
	hk_rt create -b "$TEST_TMP/bundle" victim >"$TEST_TMP/ctr.out" 2>&1
	hk_rt start victim
	wait_attack 40 rt_stopped victim
	assert_defeated "$(cat "$TEST_TMP/ctr.out")"
}

test_attack_runtime_run() {
	attack_setup
	attack_bundle '["/attack/script"]'
	# in the foreground: run waits for the program, so a writer as the
	# container's pid 1 would wait for run to exit; the check is that the
	# fake loader never saw the host's binary
	run timeout 60 "$BIN/hako-runtime" --root "$TEST_TMP/rtstate" run -b "$TEST_TMP/bundle" victim
	assert_defeated "$output"
}

test_attack_runtime_exec() {
	attack_setup
	attack_bundle '["sleep", "300"]'
	hk_rt create -b "$TEST_TMP/bundle" victim >/dev/null 2>&1
	hk_rt start victim
	run hk_rt exec victim /attack/script
	wait_attack 40 test ! -e "$TEST_TMP/out/exe"
	assert_defeated "$output"
	# an exec error found by the stub comes back in the runtime's words
	run hk_rt exec victim /attack/garbage
	assert_status 126
	assert_contains "$output" 'exec: "/attack/garbage": Exec format error'
}

# the same for the init: `start` reports it, as before the stub
test_stub_reports_exec_error_of_init() {
	attack_setup
	attack_bundle '["/attack/garbage"]'
	hk_rt create -b "$TEST_TMP/bundle" victim >/dev/null 2>&1
	run hk_rt start victim
	assert_ne "$status" 0
	assert_contains "$output" 'exec: "/attack/garbage": Exec format error'
	attack_image
	run hk run --rm evil /attack/garbage
	assert_status 126
	assert_contains "$output" 'exec: "/attack/garbage": Exec format error'
}

# The one case the stub would change what a program gets (runc #4125): a
# user other than root, no_new_privs, a permitted capability outside the
# ambient set, and a program whose file capabilities grant it.  The runtime
# then execs the program straight (that user cannot write hako-runtime), so
# the program keeps the capability.
test_stub_keeps_file_caps_of_nonroot_nnp() {
	require_cmd setcap
	local b=$TEST_TMP/b
	make_bundle "$b" /opt/grep CapEff /proc/self/status
	cp "$b/rootfs/bin/busybox" "$b/rootfs/opt/grep" 2>/dev/null || {
		mkdir -p "$b/rootfs/opt"
		cp "$b/rootfs/bin/busybox" "$b/rootfs/opt/grep"
	}
	setcap cap_net_bind_service+ep "$b/rootfs/opt/grep" || skip "setcap fails on $TEST_TMP"
	jq_edit "$b/config.json" '.process.user = {uid: 1000, gid: 1000} | .process.noNewPrivileges = true
		| .process.capabilities = {bounding: ["CAP_NET_BIND_SERVICE"], permitted: ["CAP_NET_BIND_SERVICE"],
			effective: ["CAP_NET_BIND_SERVICE"], inheritable: [], ambient: []}
		| .linux.cgroupsPath = "/hako-test/'"${TEST_TMP##*/}"'"'
	run hako_runtime run -b "$b" c1
	assert_status 0
	assert_contains "$output" "CapEff:	0000000000000400"
}

# A seccomp profile that denies execveat: the stub is exec'd by its
# /proc/self/fd path instead, for the init and for exec.
test_stub_with_seccomp_denying_execveat() {
	local b=$TEST_TMP/b
	make_bundle "$b" sh -c 'echo init-ran; sleep 30'
	jq_edit "$b/config.json" '.linux.cgroupsPath = "/hako-test/'"${TEST_TMP##*/}"'"
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
			syscalls: [{names: ["execveat"], action: "SCMP_ACT_ERRNO"}]}'
	defer hako_runtime delete -f c1
	hako_runtime create -b "$b" c1 >"$TEST_TMP/init.out" 2>&1
	hako_runtime start c1
	wait_for 5 grep -q init-ran "$TEST_TMP/init.out"
	run hako_runtime exec c1 echo exec-ran
	assert_status 0
	assert_eq "$output" exec-ran
}
