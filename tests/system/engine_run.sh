# hako run: output, exit codes, options, names, bad input, logs.

engine_setup() {
	hako image build-default >/dev/null
	defer engine_cleanup
}

# Remove every container of this test (stops monitors, unmounts rootfs).
engine_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

no_containers() { [ -z "$(hako ps -aq)" ]; }

assert_nothing_left() {
	local left
	left=$(hako ps -aq)
	assert_eq "$left" "" "containers left"
	left=$(ls "$TEST_TMP/root/containers" 2>/dev/null || true)
	assert_eq "$left" "" "container dirs left"
	if grep -q "$TEST_TMP/root" /proc/self/mountinfo; then
		fail "mounts left: $(grep "$TEST_TMP/root" /proc/self/mountinfo)"
	fi
}

test_run_echo() {
	engine_setup
	run hako run --rm busybox echo hello world
	assert_status 0
	assert_eq "$output" "hello world"
}

test_run_exit_codes() {
	engine_setup
	run hako run --rm busybox sh -c 'exit 3'
	assert_status 3
	run hako run --rm busybox no-such-command
	assert_status 127
	assert_contains "$output" 'no-such-command'
	assert_contains "$output" 'not found'
	run hako run --rm busybox /etc/passwd
	assert_status 126
	assert_contains "$output" 'permission denied'
	assert_nothing_left
}

# A program that only a mount provides runs (the pre-check cannot see it
# in the rootfs); one missing from the mount is still 127, one that is not
# executable 126, and nothing is left.
test_run_program_from_a_mount() {
	engine_setup
	mkdir "$TEST_TMP/bin"
	printf '#!/bin/sh\necho from-the-mount "$@"\n' >"$TEST_TMP/bin/prog"
	chmod 755 "$TEST_TMP/bin/prog"
	run hako run --rm -v "$TEST_TMP/bin:/x:ro" busybox /x/prog a
	assert_status 0
	assert_eq "$output" "from-the-mount a"
	run hako run --rm -v "$TEST_TMP/bin:/x:ro" -e PATH=/x:/bin busybox prog b
	assert_status 0
	assert_eq "$output" "from-the-mount b"
	run hako run --rm -v "$TEST_TMP/bin:/x:ro" busybox /x/missing
	assert_status 127
	assert_contains "$output" '/x/missing'
	chmod 644 "$TEST_TMP/bin/prog"
	run hako run --rm -v "$TEST_TMP/bin:/x:ro" busybox /x/prog
	assert_status 126
	assert_nothing_left
}

test_run_stdout_stderr_split() {
	engine_setup
	out=$(hako run --rm busybox sh -c 'echo to-out; echo to-err >&2' 2>/dev/null)
	assert_eq "$out" "to-out"
	err=$(hako run --rm busybox sh -c 'echo to-out; echo to-err >&2' 2>&1 >/dev/null)
	assert_eq "$err" "to-err"
}

test_run_stdin_interactive() {
	engine_setup
	out=$(printf 'one\ntwo\n' | hako run --rm -i busybox sh -c 'wc -l')
	assert_eq "$(echo $out)" "2"
}

test_run_rm_leaves_nothing() {
	engine_setup
	id=$(hako run -d --rm busybox sh -c 'sleep 0.2')
	assert_eq "${#id}" "64"
	wait_for 10 no_containers
	assert_nothing_left
	for d in /sys/fs/cgroup/*/hako/"$id" /sys/fs/cgroup/hako/"$id"; do
		assert_no_file "$d"
	done
	run pgrep -f "$id"
	assert_status 1
}

test_run_env_workdir_user_hostname() {
	engine_setup
	printf 'FROMFILE=yes\n# comment\n' >"$TEST_TMP/env"
	run hako run --rm -e FOO=bar --env-file "$TEST_TMP/env" -w /tmp/work -u 1000:1000 \
		--hostname boxy busybox sh -c 'echo $FOO $FROMFILE; pwd; id -u; id -g; hostname; cat /etc/hostname'
	assert_status 0
	assert_eq "$output" "bar yes
/tmp/work
1000
1000
boxy
boxy"
	run hako run --rm -u nobody busybox id -un
	assert_eq "$output" "nobody"
	run hako run --rm -u no-such-user busybox true
	assert_status 125
	assert_contains "$output" "no-such-user"
}

test_run_read_only_and_binds() {
	engine_setup
	mkdir -p "$TEST_TMP/data"
	echo content >"$TEST_TMP/data/f"
	run hako run --rm --read-only busybox touch /x
	assert_ne "$status" 0
	assert_contains "$output" "Read-only file system"
	run hako run --rm --read-only --tmpfs /scratch busybox sh -c 'touch /scratch/x && echo ok'
	assert_eq "$output" "ok"
	run hako run --rm -v "$TEST_TMP/data:/data:ro" busybox sh -c 'cat /data/f; touch /data/g'
	assert_ne "$status" 0
	assert_contains "$output" "content"
	assert_contains "$output" "Read-only file system"
	assert_no_file "$TEST_TMP/data/g"
	run hako run --rm -v "$TEST_TMP/data:/data" busybox sh -c 'echo new >/data/g'
	assert_status 0
	assert_eq "$(cat "$TEST_TMP/data/g")" "new"
}

test_run_etc_files_and_loopback() {
	engine_setup
	run hako run --rm --hostname etcbox busybox sh -c 'cat /etc/hosts; ip link show lo'
	assert_status 0
	assert_contains "$output" "127.0.0.1	localhost"
	assert_contains "$output" "etcbox"
	assert_contains "$output" "UP"
	# --network none: only loopback
	run hako run --rm --network none busybox sh -c 'ls /sys/class/net'
	assert_eq "$output" "lo"
	# default seccomp and capabilities are Docker's
	run hako run --rm busybox sh -c 'grep -E "^(CapBnd|Seccomp):" /proc/self/status'
	assert_contains "$output" "CapBnd:	00000000a80425fb"
	assert_contains "$output" "Seccomp:	2"
	run hako run --rm --privileged busybox sh -c 'grep -E "^Seccomp:" /proc/self/status'
	assert_contains "$output" "Seccomp:	0"
}

test_run_names_and_prefixes() {
	engine_setup
	id=$(hako run -d --name web1 busybox sleep 60)
	run hako ps --format '{{.Names}}'
	assert_eq "$output" "web1"
	for ref in web1 "$id" "${id:0:12}" "${id:0:5}"; do
		run hako inspect -f '{{.Name}}' "$ref"
		assert_status 0
		assert_eq "$output" "/web1"
	done
	run hako run -d --name web1 busybox true
	assert_status 125
	assert_contains "$output" "already in use"
	gen=$(hako create busybox true)
	name=$(hako inspect -f '{{.Name}}' "$gen")
	[[ $name =~ ^/[a-z]+_[a-z]+$ ]] || fail "generated name '$name' is not adjective_noun"
	run hako inspect no-such-container
	assert_ne "$status" 0
	assert_contains "$output" "no such container"
	hako rename web1 web2 >/dev/null
	run hako ps --format '{{.Names}}'
	assert_eq "$output" "web2"
}

test_run_bad_input_leaves_nothing() {
	engine_setup
	run hako run --no-such-flag busybox true
	assert_status 125
	assert_contains "$output" "unknown flag"
	run hako run --memory lots busybox true
	assert_status 125
	assert_contains "$output" "invalid --memory value 'lots'"
	run hako run --rm no-such-image:latest true
	assert_status 125
	assert_contains "$output" "no-such-image"
	run hako run --restart sometimes busybox true
	assert_status 125
	assert_contains "$output" "--restart"
	run hako run -v relative:dir busybox true
	assert_status 125
	run hako run --cap-add CAP_FLYING busybox true
	assert_status 125
	assert_contains "$output" "CAP_FLYING"
	run hako run --log-opt max-size=huge busybox true
	assert_status 125
	assert_contains "$output" "max-size"
	run hako run
	assert_status 125
	assert_nothing_left
}

test_logs_after_exit() {
	engine_setup
	hako run --name lg busybox sh -c 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three' >/dev/null 2>&1
	run hako logs lg
	assert_eq "$output" "one
two
three"
	out=$(hako logs lg 2>/dev/null)
	assert_eq "$out" "one
three"
	run hako logs --tail 1 lg
	assert_eq "$output" "three"
	run hako logs -t lg
	[[ ${output%%$'\n'*} =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:.]+Z\ one$ ]] ||
		fail "no timestamp: $output"
	run hako logs --since 2000-01-01T00:00:00Z lg
	assert_contains "$output" "three"
	# k8s-file, and none
	hako run --name lk --log-driver k8s-file busybox echo k8s-line >/dev/null
	run hako logs lk
	assert_eq "$output" "k8s-line"
	hako run --name ln --log-driver none busybox echo x >/dev/null
	run hako logs ln
	assert_status 125
}

test_logs_rotation() {
	engine_setup
	hako run --name rot --log-opt max-size=2k --log-opt max-file=3 busybox \
		sh -c 'i=0; while [ $i -lt 300 ]; do echo "line-$i-padding-padding"; i=$((i+1)); done' >/dev/null
	id=$(hako inspect -f '{{.Id}}' rot)
	dir=$TEST_TMP/root/containers/$id
	assert_file "$dir/ctr.log.1"
	assert_file "$dir/ctr.log.2"
	assert_no_file "$dir/ctr.log.3"
	for f in "$dir"/ctr.log*; do
		size=$(stat -c %s "$f")
		((size <= 2048)) || fail "$f is $size bytes, over max-size"
	done
	run hako logs --tail 1 rot
	assert_eq "$output" "line-299-padding-padding"
	# the oldest lines were rotated away, the rest is in order
	first=$(hako logs rot | head -n 1)
	assert_ne "$first" "line-0-padding-padding"
	hako logs rot | awk -F- 'NR > 1 && $2 != prev + 1 { exit 1 } { prev = $2 }' ||
		fail "log lines out of order"
}

test_logs_follow() {
	engine_setup
	hako run -d --name fol busybox sh -c 'echo a; sleep 0.5; echo b' >/dev/null
	run hako logs -f fol
	assert_eq "$output" "a
b"
}

test_volumes_named_and_anonymous() {
	engine_setup
	run hako volume create --label team=a vol1
	assert_eq "$output" "vol1"
	hako run --rm -v vol1:/data busybox sh -c 'echo persisted >/data/f'
	run hako run --rm -v vol1:/data:ro busybox sh -c 'cat /data/f; touch /data/g'
	assert_contains "$output" "persisted"
	assert_contains "$output" "Read-only file system"
	run hako volume inspect vol1
	assert_contains "$output" "\"Mountpoint\": \"$TEST_TMP/root/volumes/vol1/_data\""
	run hako volume ls --format '{{.Name}} {{.Labels.team}}'
	assert_eq "$output" "vol1 a"
	id=$(hako run -d -v vol1:/d -v /anon -v auto:/auto busybox sleep 60)
	run hako volume ls -q
	assert_eq "$(echo "$output" | wc -l)" "3"
	run hako volume rm vol1
	assert_status 1
	assert_contains "$output" "in use"
	hako rm -fv "$id" >/dev/null
	# -v removed the anonymous volume only
	run hako volume ls -q
	assert_eq "$(echo "$output" | sort | tr '\n' ' ')" "auto vol1 "
	run hako volume rm vol1 auto
	assert_status 0
	run hako volume ls -q
	assert_eq "$output" ""
	run hako volume rm nope
	assert_status 1
	assert_contains "$output" "no such volume"
	assert_no_file "$TEST_TMP/root/volumes/vol1"
}

test_prune_asks_then_removes_stopped() {
	engine_setup
	hako create --name stopped1 busybox true >/dev/null
	hako run -d --name live1 busybox sleep 60 >/dev/null
	hako volume create spare >/dev/null
	run sh -c "echo n | '$HAKO_BIN' --root '$TEST_TMP/root' --runroot '$TEST_TMP/run' system prune"
	assert_contains "$output" "Are you sure"
	run hako ps -a --format '{{.Names}}'
	assert_contains "$output" "stopped1"
	run hako system prune -f --volumes
	assert_status 0
	run hako ps -a --format '{{.Names}}'
	assert_eq "$output" "live1"
	run hako volume ls -q
	assert_eq "$output" ""
	# the image is used by live1: kept even with -a
	hako system prune -f -a >/dev/null
	run hako images -q
	assert_ne "$output" ""
	hako run -d --name c2 busybox true >/dev/null
	hako wait c2 >/dev/null
	run hako container prune -f
	assert_status 0
	run hako ps -a --format '{{.Names}}'
	assert_eq "$output" "live1"
}
