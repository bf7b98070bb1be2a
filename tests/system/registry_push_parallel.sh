# hako push uploads the blobs of an image several at once; the digests still
# round-trip bit for bit (checked with skopeo, an independent client).
source "$TOP/tests/system/registry_lib.sh"

# make_layered_layout DIR N: an OCI layout of the test rootfs plus N layers of
# 256 KiB of random bytes each, built with tar, gzip and jq only.
make_layered_layout() {
	local dir=$1 n=$2 tmp=$1.tmp i f diff layer size cfg csize man msize
	local diffs="[]" layers="[]"
	mkdir -p "$dir/blobs/sha256" "$tmp"
	for ((i = 0; i <= n; i++)); do
		mkdir -p "$tmp/l$i"
		if ((i == 0)); then
			cp -a "$TEST_ROOTFS/." "$tmp/l$i/"
		else
			head -c 262144 /dev/urandom >"$tmp/l$i/data-$i"
		fi
		tar -C "$tmp/l$i" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
			-cf "$tmp/l$i.tar" .
		diff=$(sha256sum "$tmp/l$i.tar" | cut -d' ' -f1)
		gzip -n -c "$tmp/l$i.tar" >"$tmp/l$i.tar.gz"
		layer=$(sha256sum "$tmp/l$i.tar.gz" | cut -d' ' -f1)
		size=$(stat -c %s "$tmp/l$i.tar.gz")
		mv "$tmp/l$i.tar.gz" "$dir/blobs/sha256/$layer"
		diffs=$(jq -c --arg d "sha256:$diff" '. + [$d]' <<<"$diffs")
		layers=$(jq -c --arg l "sha256:$layer" --argjson s "$size" \
			'. + [{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:$l,size:$s}]' <<<"$layers")
	done
	jq -cn --argjson d "$diffs" '{architecture:"amd64",os:"linux",
		created:"2024-01-01T00:00:00Z", config:{Cmd:["/bin/sh"],Env:["PATH=/bin"]},
		rootfs:{type:"layers",diff_ids:$d}}' | tr -d '\n' >"$tmp/config.json"
	cfg=$(sha256sum "$tmp/config.json" | cut -d' ' -f1)
	csize=$(stat -c %s "$tmp/config.json")
	mv "$tmp/config.json" "$dir/blobs/sha256/$cfg"
	jq -cn --arg c "sha256:$cfg" --argjson cs "$csize" --argjson l "$layers" '{schemaVersion:2,
		mediaType:"application/vnd.oci.image.manifest.v1+json",
		config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$c,size:$cs},
		layers:$l}' | tr -d '\n' >"$tmp/manifest.json"
	man=$(sha256sum "$tmp/manifest.json" | cut -d' ' -f1)
	msize=$(stat -c %s "$tmp/manifest.json")
	mv "$tmp/manifest.json" "$dir/blobs/sha256/$man"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
	jq -cn --arg m "sha256:$man" --argjson ms "$msize" '{schemaVersion:2,
		manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$m,
		size:$ms,annotations:{"org.opencontainers.image.ref.name":"layered"}}]}' >"$dir/index.json"
	rm -rf "$tmp"
	LAYOUT_LAYERS=$(jq -c '[.[].digest]' <<<"$layers")
	LAYOUT_CONFIG=sha256:$cfg
}

test_push_parallel_uploads_round_trip() {
	require_cmd skopeo
	start_registry
	make_layered_layout "$TEST_TMP/oci" 5
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
	assert_eq "$(echo "$output" | jq -c .Layers)" "$LAYOUT_LAYERS"
	local l
	for l in $(jq -r '.[]' <<<"$LAYOUT_LAYERS") "$LAYOUT_CONFIG"; do
		cmp "$(registry_blob_path "$l")" "$TEST_TMP/oci/blobs/sha256/${l#sha256:}" ||
			fail "blob $l differs"
	done
	# pulled back into a fresh root and pushed again: the same digest
	run "$HAKO_BIN" --root "$TEST_TMP/root2" pull -q "$REG/multi/img:1"
	assert_status 0
	assert_eq "sha256:$output" "$LAYOUT_CONFIG"
	run "$HAKO_BIN" --root "$TEST_TMP/root2" push --digestfile "$TEST_TMP/d2" \
		"$REG/multi/img:1" "$REG/multi/again:1"
	assert_status 0
	assert_eq "$(cat "$TEST_TMP/d2")" "$mdigest"
}

test_push_parallel_failure_reports_the_blob() {
	start_registry
	make_layered_layout "$TEST_TMP/oci" 3
	run hako load -q -i "$TEST_TMP/oci"
	assert_status 0
	local id=${output##*$'\n'} victim
	# a blob missing from the store: the push fails naming it, no manifest
	victim=$(jq -r '.[2]' <<<"$LAYOUT_LAYERS")
	rm -f "$TEST_TMP/root/blobs/sha256/${victim#sha256:}"
	run hako push "$id" "$REG/multi/broken:1"
	assert_status 125
	assert_contains "$output" "blob $victim"
	run curl -s -o /dev/null -w '%{http_code}' "http://$REG/v2/multi/broken/manifests/1"
	assert_eq "$output" 404
}
