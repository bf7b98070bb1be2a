# Local images: build-default, images, inspect, tag, rmi, history, prune.

_count() { find "$1" -mindepth 1 -maxdepth 1 ! -name '.*' | wc -l; }

test_build_default_is_stable_and_idempotent() {
	local id1 id2
	id1=$(hako image build-default -q)
	id2=$(hako image build-default -q)
	assert_eq "$id1" "$id2" "same image id twice"
	[[ $id1 =~ ^sha256:[0-9a-f]{64}$ ]] || fail "bad id $id1"
	# A second store makes the same digest: the image is deterministic.
	id2=$("$HAKO_BIN" --root "$TEST_TMP/root2" image build-default -q)
	assert_eq "$id1" "$id2" "same id in another store"
	run hako images
	assert_status 0
	assert_contains "$output" "REPOSITORY   TAG      IMAGE ID       CREATED"
	assert_contains "$output" "busybox      latest   ${id1:7:12}"
	assert_eq "$(hako images -q)" "${id1:7:12}"
	assert_eq "$(hako images -q --no-trunc)" "$id1"
	assert_eq "$(hako images --format json | jq -r .Repository)" busybox
	assert_eq "$(hako images --format '{{.Repository}}:{{.Tag}}')" busybox:latest
}

test_inspect_has_dockers_shape() {
	local id
	id=$(hako image build-default -q)
	run hako image inspect busybox
	assert_status 0
	assert_eq "$(echo "$output" | jq -r '.[0].Id')" "$id"
	assert_eq "$(echo "$output" | jq -r '.[0].RepoTags[0]')" busybox:latest
	assert_eq "$(echo "$output" | jq -c '.[0].Config.Cmd')" '["sh"]'
	assert_contains "$(echo "$output" | jq -r '.[0].Config.Env[0]')" "PATH=/usr/local/sbin"
	assert_eq "$(echo "$output" | jq -r '.[0].Os')" linux
	assert_eq "$(echo "$output" | jq -r '.[0].RootFS.Type')" layers
	assert_eq "$(echo "$output" | jq -r '.[0].RootFS.Layers | length')" 1
	(($(echo "$output" | jq -r '.[0].Size') > 100000)) || fail "size too small"
	# By id prefix, by full name, with a template.
	assert_eq "$(hako image inspect -f '{{.Id}}' "${id:7:5}")" "$id"
	assert_eq "$(hako image inspect -f '{{.Os}}' docker.io/library/busybox:latest)" linux
	run hako image inspect nosuchimage
	assert_status 1
	assert_contains "$output" "image 'nosuchimage' not found"
}

test_tag_rmi_and_history() {
	local id root=$TEST_TMP/root
	id=$(hako image build-default -q)
	hako tag busybox localhost:5000/team/bb:v1
	run hako images
	assert_contains "$output" "localhost:5000/team/bb   v1"
	run hako tag busybox 'Bad:Name'
	assert_status 125
	assert_contains "$output" "invalid reference format"
	run hako history busybox
	assert_status 0
	assert_contains "$output" "IMAGE          CREATED"
	assert_contains "$output" "hako image build-default"
	# By id with two names: refused without -f.
	run hako rmi "${id:7:12}"
	assert_status 1
	assert_contains "$output" "referenced in multiple repositories"
	# By name: only that name goes.
	run hako rmi localhost:5000/team/bb:v1
	assert_status 0
	assert_eq "$output" "Untagged: localhost:5000/team/bb:v1"
	run hako rmi busybox
	assert_status 0
	assert_contains "$output" "Untagged: busybox:latest"
	assert_contains "$output" "Deleted: $id"
	assert_eq "$(hako images -q)" ""
	assert_eq "$(_count "$root/layers")" 0
	assert_eq "$(_count "$root/blobs/sha256")" 0
	run hako rmi busybox
	assert_status 1
	assert_contains "$output" "not found"
}

test_rmi_refuses_an_image_in_use() {
	local mp
	hako image build-default -q >/dev/null
	mp=$(hako image mount busybox)
	defer hako image unmount busybox
	[ -x "$mp/bin/busybox" ] || fail "no busybox in $mp"
	run hako rmi busybox
	assert_status 1
	assert_contains "$output" "used by 1 container"
	hako image unmount busybox
	run hako rmi busybox
	assert_status 0
}

test_prune_dangling_then_all() {
	local root=$TEST_TMP/root out
	hako image build-default -q >/dev/null
	tar -C "$TEST_ROOTFS" -cf "$TEST_TMP/a.tar" .
	hako import -c 'CMD ["a"]' "$TEST_TMP/a.tar" mine:1 >/dev/null
	# Re-using the name leaves the first image dangling.
	hako import -c 'CMD ["b"]' "$TEST_TMP/a.tar" mine:1 >/dev/null
	run hako images
	assert_contains "$output" "<none>       <none>"
	out=$(hako image prune)
	assert_contains "$out" "deleted: sha256:"
	assert_contains "$out" "Total reclaimed space:"
	run hako images
	assert_not_contains "$output" "<none>"
	assert_contains "$output" "mine"
	hako image prune -a >/dev/null
	assert_eq "$(hako images -q)" ""
	assert_eq "$(_count "$root/layers")" 0
	assert_eq "$(_count "$root/blobs/sha256")" 0
}
