# hako-runtime: mount options beyond mount(2)'s flags: idmapped mounts,
# crun's symlink and tmpcopyup extensions, destinations through dangling
# symlinks, rootfsPropagation, recursive attributes, atime and sync flags,
# and mounts under a user namespace.  Written from the OCI runtime spec
# (config.md "Mounts", config-linux.md "Rootfs Mount Propagation") and
# crun(1)'s list of mount options.

rt_bundle() {
	make_bundle "$@"
	jq_edit "$1/config.json" ".linux.cgroupsPath = \"/hako-test/${TEST_TMP##*/}-${1##*/}\""
}

userns_maps='.linux.namespaces += [{type: "user"}]
	| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'

# The mountinfo line of a mount point, as the container sees it.
mnt_line() { echo "awk '\$5 == \"$1\"' /proc/self/mountinfo"; }

test_runtime_mount_idmap_option() {
	mkdir -p "$TEST_TMP/src"
	echo data >"$TEST_TMP/src/f"
	chown 0:0 "$TEST_TMP/src/f"
	rt_bundle "$TEST_TMP/b" sh -c 'ls -ln /m /r; cat /m/f'
	jq_edit "$TEST_TMP/b/config.json" ".mounts += [
		{destination: \"/m\", type: \"bind\", source: \"$TEST_TMP/src\", options: [\"bind\", \"idmap=uids=0-1000-1;gids=0-1001-1\"]},
		{destination: \"/r\", type: \"bind\", source: \"$TEST_TMP/src\", options: [\"rbind\", \"ridmap\"],
		 uidMappings: [{containerID: 0, hostID: 2000, size: 10}], gidMappings: [{containerID: 0, hostID: 2001, size: 10}]}]"
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "data"
	# a file owned by 0 on disk is 1000:1001 through the first mount
	[[ "$output" =~ 1000\ +1001\ +5\  ]] || fail "idmap= not applied: $output"
	[[ "$output" =~ 2000\ +2001\ +5\  ]] || fail "mounts[].uidMappings not applied: $output"
	# the host still sees root
	assert_eq "$(stat -c %u:%g "$TEST_TMP/src/f")" "0:0"
}

test_runtime_mount_idmap_needs_maps() {
	mkdir -p "$TEST_TMP/src"
	rt_bundle "$TEST_TMP/b" true
	jq_edit "$TEST_TMP/b/config.json" ".mounts += [{destination: \"/m\", type: \"bind\", source: \"$TEST_TMP/src\", options: [\"bind\", \"idmap\"]}]"
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 1
	assert_contains "$output" "idmap: no mappings"
	jq_edit "$TEST_TMP/b/config.json" '.mounts[-1].options = ["bind", "idmap=uids=0-x-1;gids=0-1-1"]'
	run hako_runtime run -b "$TEST_TMP/b" c2
	assert_status 1
	assert_contains "$output" "bad uids mapping"
	jq_edit "$TEST_TMP/b/config.json" '.mounts[-1] = {destination: "/t", type: "tmpfs", source: "tmpfs", options: ["idmap"]}'
	run hako_runtime run -b "$TEST_TMP/b" c3
	assert_status 1
	assert_contains "$output" "only bind mounts can be idmapped"
}

test_runtime_mount_symlink_sources() {
	mkdir -p "$TEST_TMP/src"
	echo hi >"$TEST_TMP/src/f"
	ln -s /nonexistent/target "$TEST_TMP/dangling"
	ln -s "$TEST_TMP/src/f" "$TEST_TMP/tofile"
	rt_bundle "$TEST_TMP/b" sh -c "readlink /nf; readlink /nf2; $(mnt_line /nf2); readlink /copied/l; $(mnt_line /copied/l) | wc -l"
	jq_edit "$TEST_TMP/b/config.json" ".mounts += [
		{destination: \"/nf\", type: \"bind\", source: \"$TEST_TMP/dangling\", options: [\"bind\", \"src-nofollow\"]},
		{destination: \"/nf2\", type: \"bind\", source: \"$TEST_TMP/tofile\", options: [\"bind\", \"src-nofollow\", \"ro\"]},
		{destination: \"/copied/l\", type: \"bind\", source: \"$TEST_TMP/dangling\", options: [\"bind\", \"copy-symlink\"]}]"
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	# the symlinks themselves, not what they point to
	assert_contains "$output" "/nonexistent/target"
	assert_contains "$output" "$TEST_TMP/src/f"
	assert_contains "$output" "/nf2 ro,"
	# copy-symlink made a symlink in the rootfs, and no mount
	[[ "$output" == *$'\n0' ]] || fail "copy-symlink mounted something: $output"
	[ -L "$TEST_TMP/b/rootfs/copied/l" ] || fail "copy-symlink: no symlink in the rootfs"
	# without src-nofollow a dangling source is an error
	jq_edit "$TEST_TMP/b/config.json" '.mounts |= map(select(.destination != "/nf2" and .destination != "/copied/l")) | .mounts[-1].options = ["bind"]'
	run hako_runtime run -b "$TEST_TMP/b" c2
	assert_status 1
	assert_contains "$output" "No such file"
}

test_runtime_mount_dest_nofollow() {
	mkdir -p "$TEST_TMP/src"
	echo over >"$TEST_TMP/src/f"
	rt_bundle "$TEST_TMP/b" sh -c "cat /lnk; $(mnt_line /lnk); cat /etc/hostname"
	echo keep >"$TEST_TMP/b/rootfs/etc/hostname"
	ln -s /etc/hostname "$TEST_TMP/b/rootfs/lnk"
	jq_edit "$TEST_TMP/b/config.json" ".mounts += [{destination: \"/lnk\", type: \"bind\", source: \"$TEST_TMP/src/f\", options: [\"bind\", \"dest-nofollow\"]}]"
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "over"
	# the mount is on /lnk itself: the file the link names is untouched
	assert_contains "$output" " /lnk "
	assert_contains "$output" "keep"
}

# A destination through a dangling symlink (or a dangling symlink itself)
# is made inside the rootfs, where the link points when / is the rootfs.
test_runtime_mount_dangling_symlink_destination() {
	mkdir -p "$TEST_TMP/src"
	echo hi >"$TEST_TMP/src/f"
	rt_bundle "$TEST_TMP/b" sh -c 'cat /lnk /data/sub/f; cat /etc/rel; ls /dl'
	ln -s "$TEST_TMP/host-data/f" "$TEST_TMP/b/rootfs/lnk"
	ln -s ../../../../host-rel "$TEST_TMP/b/rootfs/etc/rel"
	ln -s "$TEST_TMP/host-dir" "$TEST_TMP/b/rootfs/dl"
	jq_edit "$TEST_TMP/b/config.json" ".mounts += [
		{destination: \"/lnk\", type: \"bind\", source: \"$TEST_TMP/src/f\", options: [\"bind\"]},
		{destination: \"/etc/rel\", type: \"bind\", source: \"$TEST_TMP/src/f\", options: [\"bind\"]},
		{destination: \"/dl\", type: \"bind\", source: \"$TEST_TMP/src\", options: [\"bind\"]}]"
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "hi"
	assert_no_file "$TEST_TMP/host-data"
	assert_no_file "$TEST_TMP/host-dir"
	assert_no_file "/host-rel"
	assert_file "$TEST_TMP/b/rootfs/$TEST_TMP/host-data/f"
	assert_file "$TEST_TMP/b/rootfs/host-rel"
	assert_file "$TEST_TMP/b/rootfs/$TEST_TMP/host-dir"
}

test_runtime_mount_tmpcopyup() {
	rt_bundle "$TEST_TMP/b" sh -c "cat /etc/passwd | head -1; ls -ld /etc/sub; readlink /etc/sub/l; touch /etc/new && echo wrote; $(mnt_line /etc)"
	mkdir -p "$TEST_TMP/b/rootfs/etc/sub"
	chown 12:34 "$TEST_TMP/b/rootfs/etc/sub"
	chmod 0751 "$TEST_TMP/b/rootfs/etc/sub"
	ln -s ../passwd "$TEST_TMP/b/rootfs/etc/sub/l"
	jq_edit "$TEST_TMP/b/config.json" '.mounts += [{destination: "/etc", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", "nosuid"]}]'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "root:x:0:0"
	assert_contains "$output" "drwxr-x--x"
	assert_contains "$output" " 12 "
	assert_contains "$output" "../passwd"
	assert_contains "$output" "wrote"
	assert_contains "$output" " - tmpfs "
	# the writes went to the tmpfs, not to the image
	assert_no_file "$TEST_TMP/b/rootfs/etc/new"
}

test_runtime_mount_atime_sync_and_recursive_flags() {
	mkdir -p "$TEST_TMP/src/inner"
	rt_bundle "$TEST_TMP/b" sh -c "$(mnt_line /t1); $(mnt_line /t2); $(mnt_line /r); $(mnt_line /r/inner); $(mnt_line /s); $(mnt_line /n); $(mnt_line /n/inner)"
	jq_edit "$TEST_TMP/b/config.json" ".mounts += [
		{destination: \"/t1\", type: \"tmpfs\", source: \"tmpfs\", options: [\"sync\", \"dirsync\", \"strictatime\"]},
		{destination: \"/t2\", type: \"tmpfs\", source: \"tmpfs\", options: [\"noatime\"]},
		{destination: \"/r\", type: \"bind\", source: \"$TEST_TMP/src\", options: [\"rbind\"]},
		{destination: \"/r/inner\", type: \"tmpfs\", source: \"tmpfs\", options: []},
		{destination: \"/s\", type: \"bind\", source: \"$TEST_TMP/src\", options: [\"rbind\", \"rro\", \"rnosuid\", \"relatime\"]},
		{destination: \"/n\", type: \"bind\", source: \"$TEST_TMP/src\", options: [\"rbind\", \"rnoatime\"]},
		{destination: \"/n/inner\", type: \"tmpfs\", source: \"tmpfs\", options: []}]"
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "rw,sync,dirsync"
	assert_contains "$output" "/t1 rw - tmpfs"
	assert_contains "$output" "/t2 rw,noatime"
	assert_contains "$output" "/s ro,nosuid,relatime"
	# an atime attribute replaces the whole atime field (partial: EINVAL)
	assert_contains "$output" "/n rw,noatime"
}

test_runtime_rootfs_propagation() {
	rt_bundle "$TEST_TMP/b" sh -c "$(mnt_line /)"
	for p in shared rshared slave private unbindable runbindable; do
		jq_edit "$TEST_TMP/b/config.json" ".linux.rootfsPropagation = \"$p\""
		run hako_runtime run -b "$TEST_TMP/b" "c-$p"
		assert_status 0
		case $p in
		*shared) assert_contains "$output" "shared:" ;;
		*unbindable) assert_contains "$output" "unbindable" ;;
		*) assert_not_contains "$output" "shared:" ;;
		esac
	done
	# nothing the containers mounted is on the host (other tests of the
	# machine mount things at the same time: no count of lines)
	assert_not_contains "$(cat /proc/self/mountinfo)" "$TEST_TMP/b/rootfs"
}

# In a user namespace the kernel locks the flags of mounts the container
# did not make: binds, tmpfs with size= and ro/nodev/nosuid still work.
test_runtime_userns_mounts() {
	mkdir -p "$TEST_TMP/src"
	rt_bundle "$TEST_TMP/b" sh -c "$(mnt_line /t); $(mnt_line /ro); $(mnt_line /ps); ls -l /dev/hk-zero; head -c 3 /dev/hk-zero | wc -c"
	chown -R 100000:100000 "$TEST_TMP/b/rootfs"
	chmod 0711 "$TEST_TMP" "$TEST_TMP/b"
	jq_edit "$TEST_TMP/b/config.json" "$userns_maps
		| .linux.devices = [{path: \"/dev/hk-zero\", type: \"c\", major: 1, minor: 5, fileMode: 438}]
		| .mounts += [{destination: \"/t\", type: \"tmpfs\", source: \"tmpfs\", options: [\"size=1m\", \"nodev\", \"nosuid\"]},
		{destination: \"/ro\", type: \"bind\", source: \"$TEST_TMP/src\", options: [\"bind\", \"ro\", \"nodev\", \"nosuid\"]},
		{destination: \"/ps\", type: \"bind\", source: \"/proc/sys\", options: [\"rbind\", \"ro\"]}]"
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "size=1024k"
	assert_contains "$output" "/ro ro,nosuid,nodev"
	assert_contains "$output" "/ps ro"
	assert_contains "$output" "1,   5"
	[[ "$output" == *$'\n3' ]] || fail "the bound device does not read: $output"
}

# In a container with its own user namespace the runtime idmaps the tree
# before the clone (the kernel wants CAP_SYS_ADMIN over the filesystem):
# the host's root-owned files are root's in the container, and what the
# container's root makes is the host's root's.
test_runtime_mount_idmap_in_user_namespace() {
	mkdir -p "$TEST_TMP/src"
	echo data >"$TEST_TMP/src/f"
	rt_bundle "$TEST_TMP/b" sh -c 'ls -ln /m/f /plain/f /x/f; touch /m/new && echo made'
	chown -R 100000:100000 "$TEST_TMP/b/rootfs"
	chmod 0711 "$TEST_TMP" "$TEST_TMP/b"
	jq_edit "$TEST_TMP/b/config.json" "$userns_maps | .mounts += [
		{destination: \"/m\", type: \"bind\", source: \"$TEST_TMP/src\", options: [\"bind\", \"idmap\"]},
		{destination: \"/x\", type: \"bind\", source: \"$TEST_TMP/src\", options: [\"rbind\", \"idmap=uids=0-100005-10;gids=0-100006-10\"]},
		{destination: \"/plain\", type: \"bind\", source: \"$TEST_TMP/src\", options: [\"bind\"]}]"
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	[[ "$output" =~ 0\ +0\ +5\ .*/m/f ]] || fail "idmap with the container's maps: $output"
	[[ "$output" =~ 65534\ +65534\ +5\ .*/plain/f ]] || fail "a plain bind is unmapped: $output"
	[[ "$output" =~ 5\ +6\ +5\ .*/x/f ]] || fail "idmap= in a user namespace: $output"
	assert_contains "$output" made
	assert_eq "$(stat -c %u:%g "$TEST_TMP/src/new")" "0:0"
}
