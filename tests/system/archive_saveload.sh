# hako save / load: docker-archive and OCI layouts, read and written by
# skopeo as the independent implementation; hostile archives refused.
source "$TOP/tests/system/registry_lib.sh"

images_count() { sqlite3 "$1/hako.db" 'SELECT count(*) FROM images' 2>/dev/null || echo 0; }

# load_seed: the busybox test image in the store as localhost/busy:1.
load_seed() {
	make_oci_layout "$TEST_TMP/oci" localhost/busy:1
	run hako load -i "$TEST_TMP/oci"
	assert_status 0
	assert_contains "$output" "Loaded image: localhost/busy:1"
}

test_save_oci_roundtrip_bit_for_bit() {
	require_cmd skopeo
	load_seed
	run hako save --format oci-dir -o "$TEST_TMP/out" localhost/busy:1
	assert_status 0
	assert_eq "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' \
		"$TEST_TMP/out/index.json")" "localhost/busy:1"
	run skopeo inspect "oci:$TEST_TMP/out"
	assert_status 0
	assert_eq "$(echo "$output" | jq -r .Digest)" "$OCI_MANIFEST_DIGEST" "manifest digest"

	run hako save --format oci-archive -o "$TEST_TMP/o.tar" localhost/busy:1
	assert_status 0
	run skopeo inspect "oci-archive:$TEST_TMP/o.tar"
	assert_status 0
	assert_eq "$(echo "$output" | jq -r .Digest)" "$OCI_MANIFEST_DIGEST"

	# the OCI archive loads into a fresh root with the same id and manifest
	run "$HAKO_BIN" --root "$TEST_TMP/root2" load -i "$TEST_TMP/o.tar"
	assert_status 0
	assert_contains "$output" "Loaded image: localhost/busy:1"
	assert_file "$TEST_TMP/root2/blobs/sha256/${OCI_MANIFEST_DIGEST#sha256:}"
	assert_file "$TEST_TMP/root2/blobs/sha256/${OCI_CONFIG_DIGEST#sha256:}"
}

test_save_docker_archive_read_by_skopeo_and_reloaded() {
	require_cmd skopeo
	load_seed
	hako save localhost/busy:1 >"$TEST_TMP/d.tar"
	tar -tf "$TEST_TMP/d.tar" >"$TEST_TMP/list"
	assert_contains "$(cat "$TEST_TMP/list")" "manifest.json"
	assert_contains "$(cat "$TEST_TMP/list")" "${OCI_CONFIG_DIGEST#sha256:}.json"
	assert_contains "$(cat "$TEST_TMP/list")" "/layer.tar"
	# skopeo finds the image by its RepoTags entry
	run skopeo inspect "docker-archive:$TEST_TMP/d.tar:localhost/busy:1"
	assert_status 0
	run skopeo inspect "docker-archive:$TEST_TMP/d.tar:localhost/busy:2"
	assert_status 1
	skopeo inspect --config "docker-archive:$TEST_TMP/d.tar" >"$TEST_TMP/cfg"
	assert_eq "$(jq -r '.rootfs.diff_ids | length' "$TEST_TMP/cfg")" 1

	# stdin, a fresh root: the same image id (the config is kept verbatim)
	run bash -c "'$HAKO_BIN' --root '$TEST_TMP/root2' load <'$TEST_TMP/d.tar'"
	assert_status 0
	assert_contains "$output" "Loaded image: localhost/busy:1"
	run "$HAKO_BIN" --root "$TEST_TMP/root3" load -q -i "$TEST_TMP/d.tar"
	assert_eq "$output" "$OCI_CONFIG_DIGEST"

	run bash -c "'$HAKO_BIN' --root '$TEST_TMP/root' save -o '$TEST_TMP/x.tar' no/such:image"
	assert_status 125
	assert_contains "$output" "no/such:image"
	assert_no_file "$TEST_TMP/x.tar"
	assert_eq "$(find "$TEST_TMP" -maxdepth 1 -name '*x.tar.tmp*' | wc -l)" 0 "temp archive left"
}

test_load_what_skopeo_writes() {
	require_cmd skopeo
	make_oci_layout "$TEST_TMP/oci"
	skopeo copy -q "oci:$TEST_TMP/oci:latest" "docker-archive:$TEST_TMP/sk.tar:localhost/sk:2"
	run hako load -i "$TEST_TMP/sk.tar"
	assert_status 0
	assert_contains "$output" "Loaded image: localhost/sk:2"
	skopeo copy -q "oci:$TEST_TMP/oci:latest" "oci-archive:$TEST_TMP/ska.tar:localhost/ska:3"
	run hako load -i "$TEST_TMP/ska.tar"
	assert_status 0
	assert_contains "$output" "Loaded image: localhost/ska:3"
	# skopeo's oci: with a bare tag names nothing: the image loads untagged
	run hako load -i "$TEST_TMP/oci"
	assert_status 0
	assert_contains "$output" "Loaded image ID: $OCI_CONFIG_DIGEST"
	assert_eq "$(images_count "$TEST_TMP/root")" 1 "one image, three names"
}

test_load_hostile_archives_refused() {
	make_oci_layout "$TEST_TMP/oci" localhost/busy:1
	mkdir -p "$TEST_TMP/e"
	echo pwned >"$TEST_TMP/e/evil"

	# a member climbing out
	tar -C "$TEST_TMP/oci" -cf "$TEST_TMP/a.tar" .
	tar -C "$TEST_TMP/e" -rf "$TEST_TMP/a.tar" --transform='s,^evil,../../evil,' evil
	run hako load -i "$TEST_TMP/a.tar"
	assert_status 125
	assert_contains "$output" "outside the archive"
	assert_no_file "$TEST_TMP/evil"
	assert_eq "$(images_count "$TEST_TMP/root")" 0 "images"

	# index.json as a symlink to a host file, in a tar and in a directory
	cp -a "$TEST_TMP/oci" "$TEST_TMP/oci2"
	ln -sf /etc/passwd "$TEST_TMP/oci2/index.json"
	tar -C "$TEST_TMP/oci2" -cf "$TEST_TMP/b.tar" .
	run hako load -i "$TEST_TMP/b.tar"
	assert_status 125
	assert_contains "$output" "absolute link"
	run hako load -i "$TEST_TMP/oci2"
	assert_status 125
	assert_contains "$output" "index.json"

	# a layer whose bytes do not match its digest
	cp -a "$TEST_TMP/oci" "$TEST_TMP/oci3"
	local layer
	layer=$(jq -r '.layers[0].digest' "$TEST_TMP/oci3/blobs/sha256/${OCI_MANIFEST_DIGEST#sha256:}")
	printf 'XX' | dd of="$TEST_TMP/oci3/blobs/sha256/${layer#sha256:}" bs=1 seek=64 conv=notrunc \
		2>/dev/null
	run hako load -i "$TEST_TMP/oci3"
	assert_status 125
	assert_contains "$output" "mismatch"
	assert_no_file "$TEST_TMP/root/blobs/sha256/${layer#sha256:}"

	# an oversized manifest.json
	mkdir -p "$TEST_TMP/big"
	head -c $((5 << 20)) /dev/zero | tr '\0' ' ' >"$TEST_TMP/big/manifest.json"
	tar -C "$TEST_TMP/big" -cf "$TEST_TMP/c.tar" manifest.json
	run hako load -i "$TEST_TMP/c.tar"
	assert_status 125
	assert_contains "$output" "larger than"

	# not an archive at all
	head -c 1000 /dev/urandom >"$TEST_TMP/junk"
	run hako load -i "$TEST_TMP/junk"
	assert_status 125
	assert_contains "$output" "load $TEST_TMP/junk"

	assert_eq "$(images_count "$TEST_TMP/root")" 0 "images after hostile loads"
	assert_eq "$(find "$TEST_TMP/root/blobs/tmp" -mindepth 1 | wc -l)" 0 "staging left"
}
