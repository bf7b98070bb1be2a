# A pull killed with SIGKILL in the middle of a download leaves no visible
# image and no orphan files once hako runs again; the next pull completes.
source "$TOP/tests/system/registry_lib.sh"

# add_big_layer DIR MB: append a layer holding MB of random
# data to the image of the OCI layout DIR (made by make_oci_layout).
add_big_layer() {
	local dir=$1 mb=$2 tmp=$1.big man cfg diff blob size man2 cfg2
	mkdir -p "$tmp/rootfs"
	head -c "$((mb << 20))" /dev/urandom >"$tmp/rootfs/big.bin"
	tar -C "$tmp/rootfs" --mtime=@0 --owner=0 --group=0 -cf "$tmp/layer.tar" big.bin
	diff=$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)
	# gzip'ed by us: skopeo would compress an uncompressed layer itself
	gzip -1 -n "$tmp/layer.tar"
	blob=$(sha256sum "$tmp/layer.tar.gz" | cut -d' ' -f1)
	size=$(stat -c %s "$tmp/layer.tar.gz")
	mv "$tmp/layer.tar.gz" "$dir/blobs/sha256/$blob"
	man=$dir/blobs/sha256/${OCI_MANIFEST_DIGEST#sha256:}
	cfg=$dir/blobs/sha256/${OCI_CONFIG_DIGEST#sha256:}
	jq -c --arg d "sha256:$diff" '.rootfs.diff_ids += [$d]' "$cfg" | tr -d '\n' >"$tmp/cfg"
	cfg2=$(sha256sum "$tmp/cfg" | cut -d' ' -f1)
	mv "$tmp/cfg" "$dir/blobs/sha256/$cfg2"
	jq -c --arg d "sha256:$blob" --argjson s "$size" --arg c "sha256:$cfg2" \
		--argjson cs "$(stat -c %s "$dir/blobs/sha256/$cfg2")" \
		'.config.digest = $c | .config.size = $cs |
		 .layers += [{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:$d,size:$s}]' \
		"$man" | tr -d '\n' >"$tmp/man"
	man2=$(sha256sum "$tmp/man" | cut -d' ' -f1)
	mv "$tmp/man" "$dir/blobs/sha256/$man2"
	jq --arg m "sha256:$man2" --argjson s "$(stat -c %s "$dir/blobs/sha256/$man2")" \
		'.manifests[0].digest = $m | .manifests[0].size = $s' "$dir/index.json" >"$tmp/idx"
	mv "$tmp/idx" "$dir/index.json"
	rm -rf "$tmp"
	OCI_MANIFEST_DIGEST=sha256:$man2
	OCI_CONFIG_DIGEST=sha256:$cfg2
	BIG_LAYER=sha256:$blob
}

# has_tmp_blob PID: the process holds a blob temp file open (O_TMPFILE files
# show as "blobs/tmp/#N (deleted)", named ones as blobs/tmp/NAME).
has_tmp_blob() { find "/proc/$1/fd" -lname '*blobs/tmp/*' 2>/dev/null | grep -q .; }

test_pull_killed_mid_download_leaves_nothing() {
	require_cmd skopeo
	require_cmd sqlite3
	start_registry
	make_oci_layout "$TEST_TMP/oci"
	add_big_layer "$TEST_TMP/oci" 32
	skopeo copy -q --dest-tls-verify=false "oci:$TEST_TMP/oci:latest" "docker://$REG/big/img:1"

	# 4 MiB/s per download: the 32 MiB layer takes ~8 s, the kill comes
	# as soon as the temp blob exists and has data
	HAKO_TEST_RATE_LIMIT=4194304 "$HAKO_BIN" --root "$TEST_TMP/root" pull -q "$REG/big/img:1" \
		>"$TEST_TMP/pull.log" 2>&1 &
	local pid=$!
	defer "kill -9 $pid 2>/dev/null"
	wait_for 20 has_tmp_blob "$pid"
	sleep 0.5
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true

	# nothing visible: no image row, the big layer is not a blob
	assert_eq "$(sqlite3 "$TEST_TMP/root/hako.db" 'SELECT count(*) FROM images')" 0 "images"
	assert_no_file "$TEST_TMP/root/blobs/sha256/${BIG_LAYER#sha256:}"
	# the next hako command repairs the store: no temp files, no orphans
	run hako pull "$REG/big/img:nope"
	assert_status 125
	assert_eq "$(find "$TEST_TMP/root/blobs/tmp" -type f | wc -l)" 0 "temp blobs"
	assert_eq "$(find "$TEST_TMP/root/layers" -mindepth 1 -maxdepth 1 -not -name '.*' | wc -l)" 0 \
		"unpacked layers without an image"

	# a second pull completes
	run hako pull -q "$REG/big/img:1"
	assert_status 0
	assert_eq "$output" "${OCI_CONFIG_DIGEST#sha256:}"
	assert_file "$TEST_TMP/root/blobs/sha256/${BIG_LAYER#sha256:}"
	assert_eq "$(sqlite3 "$TEST_TMP/root/hako.db" 'SELECT count(*) FROM images')" 1 "images"
}
