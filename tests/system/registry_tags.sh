# hako pull --all-tags against a real docker-registry on loopback, seeded by
# skopeo (an independent implementation).
source "$TOP/tests/system/registry_lib.sh"

seed_tags() {
	require_cmd skopeo
	make_oci_layout "$TEST_TMP/oci"
	local t
	for t in "$@"; do
		skopeo copy -q --dest-tls-verify=false "oci:$TEST_TMP/oci:latest" "docker://$REG/src/busy:$t"
	done
}

test_pull_all_tags() {
	start_registry
	seed_tags 1 2 v3.0_rc-1
	run hako pull -a "$REG/src/busy"
	assert_status 0
	# one image id a tag, in the registry's order
	assert_eq "$(echo "$output" | grep -cx "${OCI_CONFIG_DIGEST#sha256:}")" 3 "ids: $output"
	local t
	for t in 1 2 v3.0_rc-1; do
		run hako image inspect "$REG/src/busy:$t"
		assert_status 0
	done
	# -q and --all-tags together, again: nothing to download
	run hako pull --all-tags -q "$REG/src/busy"
	assert_status 0
	assert_eq "$(echo "$output" | wc -l)" 3
}

test_pull_all_tags_errors() {
	start_registry
	seed_tags 1
	run hako pull -a "$REG/src/busy:1"
	assert_status 125
	assert_contains "$output" "a tag or digest can't be used with --all-tags"
	run hako pull -a "$REG/src/busy@$OCI_MANIFEST_DIGEST"
	assert_status 125
	assert_contains "$output" "can't be used with --all-tags"
	run hako pull -a "$REG/no/such"
	assert_status 125
	assert_contains "$output" "list tags of $REG/no/such: tags list: repository name not known"
	# nothing was stored by the failures
	run hako image ls -q
	assert_eq "$output" ""
}
