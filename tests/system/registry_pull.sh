# hako pull / push against a real docker-registry on loopback, with skopeo
# as the independent second implementation.
source "$TOP/tests/system/registry_lib.sh"

# blob_count ROOT: files in the content store.
blob_count() { find "$1/blobs/sha256" -type f 2>/dev/null | wc -l; }

# seed_registry REPO:TAG: the busybox test image, pushed by skopeo.
seed_registry() {
	require_cmd skopeo
	make_oci_layout "$TEST_TMP/oci"
	skopeo copy -q --dest-tls-verify=false "oci:$TEST_TMP/oci:latest" "docker://$REG/$1"
}

test_pull_push_roundtrip_bit_for_bit() {
	start_registry
	seed_registry src/busy:1

	run hako pull "$REG/src/busy:1"
	assert_status 0
	assert_contains "$output" "Copying blob sha256:"
	assert_contains "$output" "Writing manifest to image destination"
	assert_eq "$(echo "$output" | tail -n 1)" "${OCI_CONFIG_DIGEST#sha256:}" "image id"
	# the manifest is stored as pulled
	assert_file "$TEST_TMP/root/blobs/sha256/${OCI_MANIFEST_DIGEST#sha256:}"

	# push to another repository: blobs are mounted, the digest is the same
	run hako push --digestfile "$TEST_TMP/d1" "$REG/src/busy:1" "$REG/dst/busy:2"
	assert_status 0
	assert_contains "$output" "mounted"
	assert_eq "$(cat "$TEST_TMP/d1")" "$OCI_MANIFEST_DIGEST" "pushed manifest digest"
	run hako push "$REG/src/busy:1" "$REG/dst/busy:2"
	assert_status 0
	assert_contains "$output" "skipped: already exists"

	# skopeo reads what hako pushed
	run skopeo inspect --tls-verify=false "docker://$REG/dst/busy:2"
	assert_status 0
	assert_eq "$(echo "$output" | jq -r .Digest)" "$OCI_MANIFEST_DIGEST"
	skopeo inspect --tls-verify=false --config "docker://$REG/dst/busy:2" >"$TEST_TMP/cfg"
	assert_eq "$(jq -r '.rootfs.diff_ids | length' "$TEST_TMP/cfg")" 1

	# a fresh root pulls the pushed image back: same id, same manifest
	run "$HAKO_BIN" --root "$TEST_TMP/root2" pull -q "$REG/dst/busy:2"
	assert_status 0
	assert_eq "$output" "${OCI_CONFIG_DIGEST#sha256:}"
	assert_file "$TEST_TMP/root2/blobs/sha256/${OCI_MANIFEST_DIGEST#sha256:}"
	# a second pull downloads nothing
	run "$HAKO_BIN" --root "$TEST_TMP/root2" pull "$REG/dst/busy:2"
	assert_status 0
	assert_contains "$output" "skipped: already exists"
	# by digest
	run "$HAKO_BIN" --root "$TEST_TMP/root3" pull -q "$REG/dst/busy@$OCI_MANIFEST_DIGEST"
	assert_status 0
	assert_eq "$output" "${OCI_CONFIG_DIGEST#sha256:}"
}

test_pull_errors_leave_nothing() {
	local port
	start_registry
	seed_registry src/busy:1

	run hako pull "$REG/src/busy:nope"
	assert_status 125
	assert_contains "$output" "pull $REG/src/busy:nope: manifest unknown"
	run hako pull "$REG/no/such:1"
	assert_status 125
	assert_contains "$output" "pull $REG/no/such:1:"
	assert_contains "$output" "unknown"
	port=$(_free_port)
	run hako pull "127.0.0.1:$port/x:1"
	assert_status 125
	assert_contains "$output" "pull 127.0.0.1:$port/x:1:"
	assert_contains "$output" "Couldn't connect"
	run hako pull "$REG/Bad/Name:1"
	assert_status 125
	assert_eq "$(blob_count "$TEST_TMP/root")" 0 "blobs after failed pulls"

	# a corrupted layer in the registry's storage: digest mismatch, nothing kept
	local layer
	layer=$(jq -r '.layers[0].digest' "$TEST_TMP/oci/blobs/sha256/${OCI_MANIFEST_DIGEST#sha256:}")
	printf 'garbage' | dd of="$(registry_blob_path "$layer")" bs=1 seek=100 conv=notrunc 2>/dev/null
	run hako pull "$REG/src/busy:1"
	assert_status 125
	assert_contains "$output" "digest mismatch"
	assert_no_file "$TEST_TMP/root/blobs/sha256/${layer#sha256:}"
	assert_eq "$(find "$TEST_TMP/root/blobs/tmp" -type f | wc -l)" 0 "temp blobs"
	assert_eq "$(find "$TEST_TMP/root/layers" -mindepth 1 -maxdepth 1 | grep -v '/\.' | wc -l)" 0 \
		"layers after a failed pull"
}

test_pull_index_selects_platform() {
	start_registry
	seed_registry multi/busy:m
	local msize idx
	msize=$(stat -c %s "$TEST_TMP/oci/blobs/sha256/${OCI_MANIFEST_DIGEST#sha256:}")
	# an index with an arm64 entry first and the amd64 image second
	idx=$(jq -cn --arg d "$OCI_MANIFEST_DIGEST" --argjson s "$msize" '{schemaVersion:2,
		mediaType:"application/vnd.oci.image.index.v1+json",manifests:[
		{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d,size:$s,
		 platform:{os:"linux",architecture:"arm64",variant:"v8"}},
		{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d,size:$s,
		 platform:{os:"linux",architecture:"amd64"}}]}')
	curl -sf -X PUT -H "Content-Type: application/vnd.oci.image.index.v1+json" \
		--data-binary "$idx" "http://$REG/v2/multi/busy/manifests/idx" >/dev/null ||
		fail "PUT index"
	[ "$(uname -m)" = x86_64 ] || skip "the index test image is amd64"
	run hako pull -q "$REG/multi/busy:idx"
	assert_status 0
	assert_eq "$output" "${OCI_CONFIG_DIGEST#sha256:}"
	run hako pull --platform linux/s390x "$REG/multi/busy:idx"
	assert_status 125
	assert_contains "$output" "no image for linux/s390x in the index (it has: linux/arm64/v8, linux/amd64)"
}

test_pull_push_with_basic_auth() {
	start_registry carol pw9
	run hako pull "$REG/x/y:1"
	assert_status 125
	assert_contains "$output" "pull $REG/x/y:1: HTTP 401 unauthorized"

	require_cmd skopeo
	make_oci_layout "$TEST_TMP/oci"
	skopeo copy -q --dest-tls-verify=false --dest-creds carol:pw9 \
		"oci:$TEST_TMP/oci:latest" "docker://$REG/a/busy:1"
	run hako login -u carol -p pw9 "$REG"
	assert_status 0
	run hako pull -q "$REG/a/busy:1"
	assert_status 0
	assert_eq "$output" "${OCI_CONFIG_DIGEST#sha256:}"
	run hako push "$REG/a/busy:1" "$REG/b/busy:1"
	assert_status 0
	run skopeo inspect --tls-verify=false --creds carol:pw9 "docker://$REG/b/busy:1"
	assert_status 0
	assert_eq "$(echo "$output" | jq -r .Digest)" "$OCI_MANIFEST_DIGEST"
	hako logout "$REG" >/dev/null
	run hako push "$REG/a/busy:1" "$REG/c/busy:1"
	assert_status 125
	assert_contains "$output" "HTTP 401 unauthorized"
}

test_push_hako_built_image_and_pull_back() {
	require_cmd skopeo
	start_registry
	run hako image build-default
	assert_status 0
	local id
	id=$(echo "$output" | grep -o 'sha256:[0-9a-f]*' | tail -n 1)
	run hako push --digestfile "$TEST_TMP/d" busybox "$REG/hako/busybox:1"
	assert_status 0
	local mdigest
	mdigest=$(cat "$TEST_TMP/d")
	# the registry holds exactly the manifest the store has
	assert_file "$TEST_TMP/root/blobs/sha256/${mdigest#sha256:}"
	run skopeo inspect --tls-verify=false "docker://$REG/hako/busybox:1"
	assert_status 0
	assert_eq "$(echo "$output" | jq -r .Digest)" "$mdigest"

	run "$HAKO_BIN" --root "$TEST_TMP/root2" pull -q "$REG/hako/busybox:1"
	assert_status 0
	assert_eq "sha256:$output" "$id" "image id (config digest) after the round trip"
	cmp "$TEST_TMP/root/blobs/sha256/${mdigest#sha256:}" \
		"$TEST_TMP/root2/blobs/sha256/${mdigest#sha256:}" || fail "manifests differ"
	# the pulled image pushes back to the same digest
	run "$HAKO_BIN" --root "$TEST_TMP/root2" push --digestfile "$TEST_TMP/d2" \
		"$REG/hako/busybox:1" "$REG/hako/again:1"
	assert_status 0
	assert_eq "$(cat "$TEST_TMP/d2")" "$mdigest"
}
