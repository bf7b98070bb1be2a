# Volumes get the image's files (copy-up); cp sees bind mounts and volumes.

vc_setup() {
	hako image build-default >/dev/null
	defer vc_cleanup
}

vc_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

# an image with a directory of known content, owners, modes and a symlink out
vc_image() {
	hako run --name mk busybox sh -c '
		mkdir -p /app/sub && echo one > /app/one && echo two > /app/sub/two &&
		chown 1234:2345 /app/one && chmod 0640 /app/one && chmod 0750 /app/sub &&
		chown 7:8 /app && chmod 0711 /app &&
		ln -s /etc/passwd /app/link && ln -s ../../../../etc/shadow /app/up' >/dev/null
	hako commit mk app:v1 >/dev/null
	hako rm mk >/dev/null
}

test_volume_copy_up_of_image_content() {
	vc_setup
	vc_image
	root=$TEST_TMP/root
	run hako run --rm -v named:/app app:v1 cat /app/one /app/sub/two
	assert_status 0
	assert_eq "$output" $'one\ntwo'
	data=$root/volumes/named/_data
	assert_eq "$(stat -c '%u:%g %a' "$data/one")" "1234:2345 640" "owner and mode kept"
	assert_eq "$(stat -c '%a' "$data/sub")" "750"
	assert_eq "$(stat -c '%u:%g %a' "$data")" "7:8 711" "the volume root takes the directory's owner and mode"
	assert_eq "$(readlink "$data/link")" "/etc/passwd" "symlinks copied as symlinks"
	assert_eq "$(readlink "$data/up")" "../../../../etc/shadow"
	[ -L "$data/link" ] || fail "link followed"
	# a non-empty volume is not copied into again
	echo mine >"$data/one"
	hako run --rm -v named:/app app:v1 true
	assert_eq "$(cat "$data/one")" "mine"
	# anonymous volumes too
	hako run --name anon -v /app app:v1 true >/dev/null
	vol=$(hako inspect anon | jq -r '.[0].Mounts[0].Name')
	assert_eq "$(cat "$root/volumes/$vol/_data/sub/two")" "two"
	# nocopy and bind mounts: nothing copied
	run hako run --rm -v nc:/app:nocopy app:v1 ls /app
	assert_eq "$output" ""
	mkdir "$TEST_TMP/bind"
	hako run --rm -v "$TEST_TMP/bind:/app" app:v1 true
	assert_eq "$(ls "$TEST_TMP/bind")" ""
	# an existing empty named volume gets the content (Docker does too)
	hako volume create pre >/dev/null
	run hako run --rm -v pre:/app app:v1 cat /app/one
	assert_eq "$output" "one"
}

test_cp_into_and_out_of_mounts() {
	vc_setup
	mkdir "$TEST_TMP/bind"
	echo bound >"$TEST_TMP/bind/b.txt"
	hako run -d --name c1 -v vol:/data -v "$TEST_TMP/bind:/bind" -v "$TEST_TMP/bind:/ro:ro" busybox \
		sh -c 'echo vol > /data/v.txt; ln -s /etc/shadow /data/esc; ln -s / /data/rootlink; sleep 100' >/dev/null
	wait_for 10 hako exec c1 test -L /data/rootlink
	out=$TEST_TMP/out
	mkdir "$out"
	# out of a volume, a bind mount, and a whole volume
	hako cp c1:/data/v.txt "$out/"
	assert_eq "$(cat "$out/v.txt")" "vol"
	hako cp c1:/bind/b.txt "$out/b2"
	assert_eq "$(cat "$out/b2")" "bound"
	hako cp c1:/data "$out/"
	assert_eq "$(cat "$out/data/v.txt")" "vol"
	[ -L "$out/data/esc" ] || fail "a symlink in the volume was followed"
	# into a volume and a bind mount
	echo host >"$TEST_TMP/h.txt"
	hako cp "$TEST_TMP/h.txt" c1:/data/
	assert_eq "$(hako exec c1 cat /data/h.txt)" "host"
	hako cp "$TEST_TMP/h.txt" c1:/bind/new.txt
	assert_eq "$(cat "$TEST_TMP/bind/new.txt")" "host"
	# refused: a read-only mount, writing through a planted symlink,
	# a symlink leading out of the volume
	run hako cp "$TEST_TMP/h.txt" c1:/ro/x
	assert_ne "$status" 0
	assert_contains "$output" "read-only"
	assert_no_file "$TEST_TMP/bind/x"
	run hako cp "$TEST_TMP/h.txt" c1:/data/esc
	assert_ne "$status" 0
	assert_contains "$output" "symlink"
	run hako cp "$TEST_TMP/h.txt" c1:/data/rootlink/etc/hk-escape
	assert_no_file /etc/hk-escape
	rm -f /etc/hk-escape
	# the rootfs still works
	hako cp "$TEST_TMP/h.txt" c1:/tmp/
	assert_eq "$(hako exec c1 cat /tmp/h.txt)" "host"
}
