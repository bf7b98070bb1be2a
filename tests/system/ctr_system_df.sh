# hako system df: exact disk usage (apparent bytes, as du -sb) of images,
# containers and volumes.

df_setup() {
	hako image build-default >/dev/null
	defer df_cleanup
}

df_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

# df_bytes TYPE FIELD: SizeBytes or ReclaimableBytes of a row of --format json
df_bytes() { hako system df --format json | jq -r "select(.Type == \"$1\") | .$2"; }
df_count() { hako system df --format json | jq -r "select(.Type == \"$1\") | .$2"; }

# du_sum DIR...: the sum of du -sb of each (0 when none)
du_sum() {
	local total=0 n
	for d in "$@"; do
		[ -e "$d" ] || continue
		n=$(du -sb "$d" | cut -f1)
		total=$((total + n))
	done
	echo "$total"
}

test_system_df_agrees_with_du() {
	if [ "${HAKO_STORAGE_DRIVER:-}" = vfs ]; then skip "overlay upper dirs are compared"; fi
	df_setup
	root=$TEST_TMP/root
	# a second image sharing busybox's layer (counted once)
	hako run --name maker busybox sh -c 'head -c 300000 /dev/zero > /big' >/dev/null
	hako commit maker shared:v1 >/dev/null
	hako rm maker >/dev/null
	# a stopped container with 100000 bytes written, a running one
	hako run --name writer busybox sh -c 'head -c 100000 /dev/zero > /file' >/dev/null
	hako run -d --name runner -v vol1:/v busybox sh -c 'head -c 50000 /dev/zero > /v/data; sleep 100' >/dev/null
	wait_for 10 test -s "$root/volumes/vol1/_data/data"
	wait_for 10 sh -c "[ \$(stat -c %s '$root/volumes/vol1/_data/data') = 50000 ]"
	hako volume create spare >/dev/null
	echo hello >"$root/volumes/spare/_data/f"

	want_images=$(du_sum "$root"/layers/*/)
	assert_eq "$(df_bytes Images SizeBytes)" "$want_images" "image bytes = du -sb of the layer dirs"
	assert_eq "$(df_count Images TotalCount)" 2
	assert_eq "$(df_count Images Active)" 1
	# shared:v1 has no container: its own layer is reclaimable, busybox's is not
	shared_layer=
	for d in "$root"/layers/*/; do
		if [ -e "$d/big" ]; then shared_layer=$d; fi
	done
	[ -n "$shared_layer" ] || fail "no layer with the committed file"
	assert_eq "$(df_bytes Images ReclaimableBytes)" "$(du_sum "$shared_layer")"

	want_ctr=$(du_sum "$root"/rootfs/*/upper)
	assert_eq "$(df_bytes Containers SizeBytes)" "$want_ctr" "container bytes = du -sb of the upper dirs"
	writer_id=$(hako inspect -f '{{.Id}}' writer)
	assert_eq "$(df_bytes Containers ReclaimableBytes)" "$(du_sum "$root/rootfs/$writer_id/upper")"
	((want_ctr > 100000)) || fail "the written file is not counted: $want_ctr"
	assert_eq "$(df_count Containers Active)" 1

	want_vol=$(du_sum "$root"/volumes/*/_data)
	assert_eq "$(df_bytes 'Local Volumes' SizeBytes)" "$want_vol" "volume bytes = du -sb of the data dirs"
	assert_eq "$(df_bytes 'Local Volumes' ReclaimableBytes)" "$(du_sum "$root/volumes/spare/_data")"
	assert_eq "$(df_count 'Local Volumes' Active)" 1

	run hako system df
	assert_status 0
	assert_contains "$output" "TYPE            TOTAL   ACTIVE   SIZE"
	assert_contains "$output" "Build Cache     0       0        0B"
	run hako system df -v
	assert_contains "$output" "Images space usage:"
	assert_contains "$output" "SHARED SIZE"
	assert_contains "$output" "writer"
	assert_contains "$output" "vol1"

	# after prune everything is gone: nothing left to reclaim
	hako rm -f runner >/dev/null
	hako system prune -a -f --volumes >/dev/null
	for t in Images Containers 'Local Volumes'; do
		assert_eq "$(df_bytes "$t" ReclaimableBytes)" 0 "$t reclaimable after prune"
		assert_eq "$(df_bytes "$t" SizeBytes)" 0 "$t size after prune"
	done
}

test_system_df_errors() {
	df_setup
	run hako system df extra
	assert_status 125
	run hako system df --help
	assert_contains "$output" "du -sb"
}
