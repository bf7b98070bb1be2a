# hako push uploads the blobs of an image several at once; the digests still
# round-trip bit for bit (checked with skopeo, an independent client).
source "$TOP/tests/system/registry_lib.sh"

test_push_parallel_uploads_round_trip() {
	require_cmd skopeo
	start_registry
	make_oci_layout "$TEST_TMP/oci" layered 5
	run hako load -q -i "$TEST_TMP/oci"
	assert_status 0
	local id=${output##*$'\n'}
	# no repository of this registry has the blobs: all 7 are uploaded
	run hako push --digestfile "$TEST_TMP/d" "$id" "$REG/multi/img:1"
	assert_status 0
	assert_eq "$(echo "$output" | grep -c 'Copying blob sha256:.*done')" 6 "$output"
	assert_not_contains "$output" "already exists"
	local mdigest
	mdigest=$(cat "$TEST_TMP/d")
	# every blob in the registry is the image's, byte for byte
	run skopeo inspect --tls-verify=false "docker://$REG/multi/img:1"
	assert_status 0
	assert_eq "$(echo "$output" | jq -r .Digest)" "$mdigest"
	assert_eq "$(echo "$output" | jq -c .Layers)" "$OCI_LAYERS"
	local l
	for l in $(jq -r '.[]' <<<"$OCI_LAYERS") "$OCI_CONFIG_DIGEST"; do
		cmp "$(registry_blob_path "$l")" "$TEST_TMP/oci/blobs/sha256/${l#sha256:}" ||
			fail "blob $l differs"
	done
	# pulled back into a fresh root and pushed again: the same digest
	run "$HAKO_BIN" --root "$TEST_TMP/root2" pull -q "$REG/multi/img:1"
	assert_status 0
	assert_eq "sha256:$output" "$OCI_CONFIG_DIGEST"
	run "$HAKO_BIN" --root "$TEST_TMP/root2" push --digestfile "$TEST_TMP/d2" \
		"$REG/multi/img:1" "$REG/multi/again:1"
	assert_status 0
	assert_eq "$(cat "$TEST_TMP/d2")" "$mdigest"
}

test_push_parallel_failure_reports_the_blob() {
	start_registry
	make_oci_layout "$TEST_TMP/oci" layered 3
	run hako load -q -i "$TEST_TMP/oci"
	assert_status 0
	local id=${output##*$'\n'} victim
	# a blob missing from the store: the push fails naming it, no manifest
	victim=$(jq -r '.[2]' <<<"$OCI_LAYERS")
	rm -f "$TEST_TMP/root/blobs/sha256/${victim#sha256:}"
	run hako push "$id" "$REG/multi/broken:1"
	assert_status 125
	assert_contains "$output" "blob $victim"
	run curl -s -o /dev/null -w '%{http_code}' "http://$REG/v2/multi/broken/manifests/1"
	assert_eq "$output" 404
}
