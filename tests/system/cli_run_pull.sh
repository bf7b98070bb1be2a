# hako run / create pull a missing image as docker does (--pull, --platform,
# -q), against a real docker-registry on loopback.
source "$TOP/tests/system/registry_lib.sh"

# push_layout REPO:TAG [N]: an image (the busybox test rootfs, plus N layers
# of random bytes: a different image id each time) pushed by skopeo; sets
# OCI_CONFIG_DIGEST (its image id).
push_layout() {
	require_cmd skopeo
	rm -rf "$TEST_TMP/oci"
	make_oci_layout "$TEST_TMP/oci" latest "${2:-0}"
	skopeo copy -q --dest-tls-verify=false "oci:$TEST_TMP/oci:latest" "docker://$REG/$1"
}

pull_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

test_run_pulls_a_missing_image() {
	start_registry
	defer pull_cleanup
	push_layout t/busy:1

	# stdout has the container's output only; the pull talks on stderr
	hako run --rm "$REG/t/busy:1" echo from-pulled >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq "$(cat "$TEST_TMP/out")" "from-pulled"
	assert_contains "$(cat "$TEST_TMP/err")" "Unable to find image '$REG/t/busy:1' locally"
	assert_contains "$(cat "$TEST_TMP/err")" "Copying blob sha256:"
	assert_contains "$(cat "$TEST_TMP/err")" "Status: Downloaded newer image for $REG/t/busy:1"
	run hako image inspect -f '{{.Id}}' "$REG/t/busy:1"
	assert_eq "$output" "$OCI_CONFIG_DIGEST"

	# present now: no pull, no message
	run hako run --rm "$REG/t/busy:1" echo again
	assert_status 0
	assert_eq "$output" "again"

	# create pulls too and prints only the id on stdout
	push_layout t/other:2
	hako create "$REG/t/other:2" true >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq "$(wc -l <"$TEST_TMP/out")" 1 "create printed one line"
	assert_eq "$(hako inspect -f '{{.Image}}' "$(cat "$TEST_TMP/out")")" "$OCI_CONFIG_DIGEST"
	assert_contains "$(cat "$TEST_TMP/err")" "Unable to find image '$REG/t/other:2' locally"

	# -q: no pull output at all
	push_layout t/quiet:1
	run hako run --rm -q "$REG/t/quiet:1" echo quiet
	assert_status 0
	assert_eq "$output" "quiet"
}

test_run_pull_policies() {
	local old
	start_registry
	defer pull_cleanup
	push_layout t/busy:1
	old=$OCI_CONFIG_DIGEST

	# never, with the image missing: docker's error and 125, nothing made
	run hako run --pull never --rm "$REG/t/busy:1" true
	assert_status 125
	assert_contains "$output" "No such image: $REG/t/busy:1"
	assert_eq "$(hako ps -aq)" "" "containers after --pull never"
	run hako create --pull=never "$REG/t/busy:1" true
	assert_status 125

	run hako run --pull bogus --rm "$REG/t/busy:1" true
	assert_status 125
	assert_contains "$output" "invalid pull option: 'bogus'"

	run hako pull -q "$REG/t/busy:1"
	assert_status 0
	# the tag moves to another image in the registry
	push_layout t/busy:1 1
	assert_ne "$OCI_CONFIG_DIGEST" "$old"
	# missing (the default) and never use the local one
	run hako run --name ca --pull missing "$REG/t/busy:1" true
	assert_status 0
	assert_eq "$(hako inspect -f '{{.Image}}' ca)" "$old"
	run hako run --name cb --pull never "$REG/t/busy:1" true
	assert_status 0
	assert_eq "$(hako inspect -f '{{.Image}}' cb)" "$old"
	# always asks the registry
	run hako run --name cc --pull always "$REG/t/busy:1" true
	assert_status 0
	assert_contains "$output" "Copying blob"
	assert_eq "$(hako inspect -f '{{.Image}}' cc)" "$OCI_CONFIG_DIGEST"
}

test_run_unreachable_registry_leaves_nothing() {
	local port
	port=$(_free_port)
	run hako run --rm "127.0.0.1:$port/x/y:1" true
	assert_status 125
	assert_contains "$output" "Unable to find image '127.0.0.1:$port/x/y:1' locally"
	assert_contains "$output" "Couldn't connect"
	run hako create --name left "127.0.0.1:$port/x/y:1" true
	assert_status 125
	assert_eq "$(hako ps -aq)" "" "containers after a failed pull"
	assert_eq "$(ls "$TEST_TMP/root/containers" 2>/dev/null)" "" "container dirs"
	# --pull always with a local image and no registry fails too, as docker
	hako image build-default >/dev/null
	run hako run --rm --pull always "127.0.0.1:$port/busybox" true
	assert_status 125
}

test_run_platform() {
	local arch other=s390x
	hako image build-default >/dev/null
	defer pull_cleanup
	case $(uname -m) in
	x86_64) arch=amd64 ;;
	aarch64) arch=arm64 other=amd64 ;;
	*) skip "test written for x86_64 and aarch64 hosts" ;;
	esac
	run hako run --rm --platform "linux/$arch" busybox echo ok
	assert_status 0
	assert_eq "$output" "ok"
	run hako run --rm --platform windows/$arch busybox true
	assert_status 125
	assert_contains "$output" "this host runs linux containers only"
	if [ -e /proc/sys/fs/binfmt_misc/qemu-$other ]; then
		skip "a binfmt_misc handler runs $other here"
	fi
	run hako run --rm --platform linux/$other busybox true
	assert_status 125
	assert_contains "$output" "cannot run $other programs"
	assert_contains "$output" "binfmt_misc"
	assert_eq "$(hako ps -aq)" "" "containers after a refused platform"
}
