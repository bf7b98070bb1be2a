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

# Docker's rule for SRC ending in "/.": the directory's content, not the
# directory, is copied (into DEST when it exists, else into a DEST made for
# it); without "/." an existing DEST directory receives SRC by its name.
test_cp_directory_content_both_ways() {
	vc_setup
	hako run -d --name dc -v dvol:/data busybox sh -c '
		mkdir -p /src/sub /dst && echo a > /src/a && echo b > /src/sub/b &&
		echo keep > /dst/keep && echo f > /file && chmod 0751 /src; sleep 100' >/dev/null
	wait_for 10 hako exec dc test -f /file
	out=$TEST_TMP/out
	mkdir -p "$out/exists" "$out/whole"
	# out of the container
	hako cp dc:/src/. "$out/exists"
	assert_eq "$(cat "$out/exists/a") $(cat "$out/exists/sub/b")" "a b"
	assert_no_file "$out/exists/src"
	hako cp dc:/src/. "$out/new"
	assert_eq "$(cat "$out/new/a")" a
	assert_eq "$(stat -c %a "$out/new")" 751 "a made DEST takes SRC's mode"
	hako cp dc:/src "$out/whole"
	assert_eq "$(cat "$out/whole/src/a")" a
	echo x >"$out/plain"
	run hako cp dc:/src/. "$out/plain"
	assert_status 125
	assert_contains "$output" "not a directory"
	assert_eq "$(cat "$out/plain")" x
	run hako cp dc:/file/. "$out/f2"
	assert_status 125
	assert_no_file "$out/f2"
	run hako cp dc:/src/. "$out/nodir/x"
	assert_status 125
	hako cp dc:/. "$out/all"
	assert_eq "$(cat "$out/all/file")" f
	# into the container
	mkdir -p "$TEST_TMP/h/in"
	echo one >"$TEST_TMP/h/one"
	echo two >"$TEST_TMP/h/in/two"
	hako cp "$TEST_TMP/h/." dc:/dst
	assert_eq "$(hako exec dc cat /dst/keep /dst/one /dst/in/two)" $'keep\none\ntwo'
	run hako exec dc test -e /dst/h
	assert_status 1
	hako cp "$TEST_TMP/h/." dc:/made
	assert_eq "$(hako exec dc cat /made/in/two)" two
	hako cp "$TEST_TMP/h" dc:/dst
	assert_eq "$(hako exec dc cat /dst/h/one)" one
	hako cp "$TEST_TMP/h/." dc:/data
	assert_eq "$(cat "$TEST_TMP/root/volumes/dvol/_data/in/two")" two "content lands in the volume"
	run hako cp "$TEST_TMP/h/." dc:/file
	assert_status 125
	assert_contains "$output" "not a directory"
	assert_eq "$(hako exec dc cat /file)" f
	run hako cp "$TEST_TMP/h/one/." dc:/x
	assert_status 125
	run hako cp "$TEST_TMP/h/one" dc:/nodir/
	assert_status 125
	assert_contains "$output" "must exist"
}

# A symlink of the rootfs that points into a volume or bind mount leads into
# the mount (as inside the container), never to the empty mount point of the
# rootfs; links inside the mount still cannot lead out of the container.
test_cp_follows_rootfs_symlinks_into_mounts() {
	vc_setup
	mkdir "$TEST_TMP/bind"
	echo host-secret >"$TEST_TMP/secret"
	hako run -d --name sl -v svol:/vol -v "$TEST_TMP/bind:/bind" busybox sh -c "
		mkdir -p /vol/sub && echo in-vol > /vol/sub/v && ln -s /vol/sub /data &&
		ln -s vol/sub /rel && ln -s /bind /b && ln -s /data /chain &&
		ln -s ../../../../../../.. /vol/sub/up && ln -s $TEST_TMP/secret /vol/sub/esc &&
		touch /ready; sleep 100" >/dev/null
	wait_for 10 hako exec sl test -f /ready
	vdata=$TEST_TMP/root/volumes/svol/_data
	out=$TEST_TMP/out
	mkdir "$out"
	echo host >"$TEST_TMP/h.txt"
	# into the volume through /data, /rel and a chain of links
	hako cp "$TEST_TMP/h.txt" sl:/data/
	assert_eq "$(cat "$vdata/sub/h.txt")" host "cp into /data/ lands in the volume"
	hako cp "$TEST_TMP/h.txt" sl:/rel/r.txt
	assert_eq "$(cat "$vdata/sub/r.txt")" host
	hako cp "$TEST_TMP/h.txt" sl:/chain/c.txt
	assert_eq "$(cat "$vdata/sub/c.txt")" host
	hako cp "$TEST_TMP/h.txt" sl:/data
	assert_eq "$(cat "$vdata/sub/h.txt")" host "DEST a link to a directory: into it"
	hako cp "$TEST_TMP/h.txt" sl:/b/
	assert_eq "$(cat "$TEST_TMP/bind/h.txt")" host "cp into /b/ lands in the bind mount"
	assert_eq "$(hako exec sl cat /vol/sub/r.txt)" host "the container sees it"
	# and out of it
	hako cp sl:/data/v "$out/v"
	assert_eq "$(cat "$out/v")" in-vol
	hako cp sl:/data/. "$out/content"
	assert_eq "$(cat "$out/content/v")" in-vol
	[ -L "$out/content/esc" ] || fail "a link inside was followed"
	hako cp sl:/data "$out/link"
	[ -L "$out/link" ] || fail "SRC a symlink: copied as the link itself"
	# links never lead out: /vol/sub/up is the container's /, and the host
	# path the other names is not in the container
	hako cp sl:/vol/sub/up/vol/sub/v "$out/up-v"
	assert_eq "$(cat "$out/up-v")" in-vol
	run hako cp "sl:/data/up$TEST_TMP/secret" "$out/s1"
	assert_status 125
	assert_no_file "$out/s1"
	run hako cp sl:/data/esc/. "$out/s2"
	assert_status 125
	assert_no_file "$out/s2"
	run hako cp "$TEST_TMP/h.txt" "sl:/data/up$TEST_TMP/secret"
	run hako cp "$TEST_TMP/h.txt" sl:/data/esc
	assert_eq "$(cat "$TEST_TMP/secret")" host-secret "the host file is intact"
	# a loop of links is an error, not a hang
	hako exec sl sh -c 'ln -s /loop2 /loop1 && ln -s /loop1 /loop2'
	run hako cp "$TEST_TMP/h.txt" sl:/loop1/x
	assert_status 125
}
