# hako commit: a new image from a container's changes.

commit_setup() {
	hako image build-default >/dev/null
	defer commit_cleanup
}

commit_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

commit_roundtrip() {
	hako run --name src busybox sh -c 'echo new > /added; rm /etc/group; mkdir -p /opt/x; echo y > /opt/x/f;
		rm -rf /home; mkdir /home; echo only > /home/only' >/dev/null
	run hako commit -a 'Jane <jane@example.com>' -m 'my commit' -c 'ENV FOO=bar' -c 'CMD ["cat", "/added"]' src snap:v1
	assert_status 0
	assert_contains "$output" "sha256:"
	run hako run --rm snap:v1
	assert_status 0
	assert_eq "$output" "new" "CMD from --change and the added file"
	run hako run --rm snap:v1 sh -c 'test -e /etc/group && echo present || echo deleted; cat /opt/x/f; echo $FOO; ls /home'
	assert_eq "$output" $'deleted\ny\nbar\nonly'
	run hako history snap:v1
	assert_contains "$output" "my commit"
	nlines=$(hako history -q snap:v1 | wc -l)
	base=$(hako history -q busybox | wc -l)
	assert_eq "$nlines" "$((base + 1))" "history has one more entry"
	run hako image inspect snap:v1
	assert_contains "$output" '"Author": "Jane <jane@example.com>"'
	layers=$(hako image inspect snap:v1 | jq '.[0].RootFS.Layers | length')
	assert_eq "$layers" 2
}

test_commit_overlay() {
	commit_setup
	commit_roundtrip
}

test_commit_vfs() {
	export HAKO_STORAGE_DRIVER=vfs
	commit_setup
	commit_roundtrip
}

test_commit_running_container_is_unpaused_after() {
	commit_setup
	hako run -d --name live busybox sh -c 'echo x > /live; sleep 100' >/dev/null
	wait_for 10 hako exec live test -e /live
	hako commit live live:snap >/dev/null
	run hako inspect -f '{{.State.Status}}' live
	assert_eq "$output" "running"
	run hako run --rm live:snap cat /live
	assert_eq "$output" "x"
	hako commit --pause=false live >/dev/null
}

test_commit_errors() {
	commit_setup
	run hako commit nosuch img
	assert_status 1
	assert_contains "$output" "no such container: nosuch"
	hako create --name c1 busybox true >/dev/null
	before=$(ls "$TEST_TMP/root/blobs/sha256" | wc -l)
	run hako commit -c 'RUN echo no' c1 bad:v1
	assert_status 1
	assert_contains "$output" "'RUN' can not be applied"
	run hako commit c1 'Bad:Ref'
	assert_status 1
	after=$(ls "$TEST_TMP/root/blobs/sha256" | wc -l)
	assert_eq "$after" "$before" "a failed commit leaves no blob"
	run hako image inspect bad:v1
	assert_ne "$status" 0
	run hako commit
	assert_status 125
	run hako commit --help
	assert_contains "$output" "--change"
}
