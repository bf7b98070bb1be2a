# run / create --mount, --volumes-from, --device, --device-cgroup-rule:
# what the container sees (files, ro, tmpfs size, device nodes, EPERM for a
# device not allowed), what inspect shows, and bad input (exit 125, a clear
# message, no container left).

mnt_setup() {
	hako image build-default >/dev/null
	defer mnt_cleanup
}

mnt_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f -v "$id"; done
	for id in $(hako volume ls -q 2>/dev/null); do hako volume rm -f "$id"; done
}

# mnt_refused ARGS...: run ARGS, expect 125 and no container left
mnt_refused() {
	local before
	before=$(hako ps -aq | wc -l)
	run hako run --rm "$@" busybox true
	assert_status 125
	assert_eq "$(hako ps -aq | wc -l)" "$before" "a container was left"
}

test_mount_bind_rw_ro() {
	local d
	mnt_setup
	d=$(mktemp -d)
	defer rm -rf "$d"
	echo hello >"$d/f"
	run hako run --rm --mount "type=bind,source=$d,target=/data" busybox \
		sh -c 'cat /data/f; echo new >/data/g'
	assert_status 0
	assert_eq "$output" "hello"
	assert_eq "$(cat "$d/g")" "new"
	# readonly (and its spellings): writes refused inside
	for ro in readonly ro readonly=true ro=1; do
		run hako run --rm --mount "type=bind,src=$d,dst=/data,$ro" busybox \
			sh -c 'cat /data/f && echo x >/data/h'
		assert_status 1
		assert_contains "$output" "hello"
		assert_contains "$output" "Read-only file system"
	done
	[ ! -e "$d/h" ] || fail "a read-only bind was written"
	run hako run --rm --mount "type=bind,src=$d,dst=/data,readonly=false" busybox \
		sh -c 'echo y >/data/h'
	assert_status 0
	assert_eq "$(cat "$d/h")" "y"
	# destination as another spelling, and a file bind
	run hako run --rm --mount "type=bind,source=$d/f,destination=/etc/f" busybox cat /etc/f
	assert_status 0
	assert_eq "$output" "hello"
}

test_mount_bind_inspect() {
	local d
	mnt_setup
	d=$(mktemp -d)
	defer rm -rf "$d"
	run hako create --name mb --mount "type=bind,src=$d,dst=/data,ro,bind-propagation=rslave" \
		busybox true
	assert_status 0
	run hako inspect -f '{{json .Mounts}}' mb
	assert_status 0
	assert_eq "$(echo "$output" | jq -c '.[0] | [.Type, .Source, .Destination, .RW, .Propagation]')" \
		"[\"bind\",\"$d\",\"/data\",false,\"rslave\"]"
	run hako inspect -f '{{json .HostConfig.Mounts}}' mb
	assert_eq "$output" "[{\"Type\":\"bind\",\"Source\":\"$d\",\"Target\":\"/data\",\"ReadOnly\":true,\"BindOptions\":{\"Propagation\":\"rslave\"}}]"
	# -v does not appear in HostConfig.Mounts, as docker
	run hako create --name mv -v "$d:/x" busybox true
	assert_status 0
	assert_eq "$(hako inspect -f '{{json .HostConfig.Mounts}}' mv)" "[]"
	assert_eq "$(hako inspect -f '{{json .HostConfig.Binds}}' mv)" "[\"$d:/x\"]"
}

test_mount_bind_propagation_seen() {
	local d
	mnt_setup
	d=$(mktemp -d)
	defer rm -rf "$d"
	run hako run --rm --mount "type=bind,src=$d,dst=/data,bind-propagation=rshared" busybox \
		grep ' /data ' /proc/self/mountinfo
	assert_status 0
	assert_contains "$output" "shared:"
	run hako run --rm --mount "type=bind,src=$d,dst=/data" busybox \
		grep ' /data ' /proc/self/mountinfo
	assert_status 0
	assert_not_contains "$output" "shared:"
}

test_mount_volume_named_and_anonymous() {
	local src
	mnt_setup
	run hako run --rm --mount type=volume,source=mv1,target=/v busybox sh -c 'echo kept >/v/f'
	assert_status 0
	run hako run --rm --mount src=mv1,dst=/w,ro busybox sh -c 'cat /w/f; echo x >/w/g'
	assert_status 1
	assert_contains "$output" "kept"
	assert_contains "$output" "Read-only file system"
	hako volume inspect mv1 >/dev/null || fail "volume mv1 not created"
	# inspect: Type volume, Name, Driver; HostConfig.Mounts as given
	run hako create --name mvc --mount type=volume,src=mv1,dst=/v,volume-nocopy busybox true
	assert_status 0
	assert_eq "$(hako inspect mvc | jq -c '.[0].Mounts[0] | [.Type, .Name, .Driver, .Destination, .RW]')" \
		'["volume","mv1","local","/v",true]'
	assert_eq "$(hako inspect -f '{{json .HostConfig.Mounts}}' mvc)" \
		'[{"Type":"volume","Source":"mv1","Target":"/v","VolumeOptions":{"NoCopy":true}}]'
	# no source: an anonymous volume, removed by --rm
	run hako create --name anon --mount type=volume,dst=/a busybox true
	assert_status 0
	src=$(hako inspect -f '{{range .Mounts}}{{.Name}}{{end}}' anon)
	[ ${#src} -eq 64 ] || fail "anonymous volume name: '$src'"
	hako rm -v anon >/dev/null
	run hako volume inspect "$src"
	assert_status 1
}

test_mount_volume_copy_and_nocopy() {
	mnt_setup
	# an empty volume gets the image's files at its mount point...
	run hako run --rm --mount type=volume,src=mcopy,dst=/etc busybox test -e /etc/passwd
	assert_status 0
	# ...unless volume-nocopy
	run hako run --rm --mount type=volume,src=mnocopy,dst=/etc,volume-nocopy busybox \
		sh -c 'test -e /etc/passwd || echo none; cat /etc/hostname'
	assert_status 0
	# the files hako mounts itself (hostname...) are still over the volume
	assert_contains "$output" "none
"
}

test_mount_tmpfs_size_mode() {
	mnt_setup
	run hako run --rm --mount type=tmpfs,dst=/t,tmpfs-size=2m,tmpfs-mode=1770 busybox \
		sh -c 'grep " /t " /proc/self/mountinfo; df -k /t | tail -n 1; stat -c %a /t; echo x >/t/f && cat /t/f'
	assert_status 0
	assert_contains "$output" "size=2048k"
	assert_contains "$output" "mode=1770"
	assert_contains "$output" " 2048 "
	assert_contains "$output" "
1770
x"
	run hako run --rm --mount type=tmpfs,dst=/t,readonly busybox touch /t/f
	assert_status 1
	assert_contains "$output" "Read-only file system"
	run hako create --name mt --mount type=tmpfs,target=/t,tmpfs-size=1048576 busybox true
	assert_status 0
	assert_eq "$(hako inspect mt | jq -c '.[0].Mounts[0] | [.Type, .Source, .Destination, .RW]')" \
		'["tmpfs","","/t",true]'
	assert_eq "$(hako inspect -f '{{json .HostConfig.Mounts}}' mt)" \
		'[{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":1048576}}]'
}

test_mount_bad_input() {
	local d
	mnt_setup
	d=$(mktemp -d)
	defer rm -rf "$d"
	# unlike -v, --mount does not create a missing bind source
	mnt_refused --mount "type=bind,src=$d/nope,dst=/x"
	assert_contains "$output" "bind source path does not exist: $d/nope"
	[ ! -e "$d/nope" ] || fail "--mount created the bind source"
	mnt_refused --mount "type=bind,src=$d"
	assert_contains "$output" "field Target must not be empty"
	mnt_refused --mount "type=bind,dst=/x"
	assert_contains "$output" "field Source must not be empty"
	mnt_refused --mount "type=bind,src=$d,dst=x"
	assert_contains "$output" "must be absolute"
	mnt_refused --mount "type=nfs,src=$d,dst=/x"
	assert_contains "$output" "'nfs' is not supported"
	mnt_refused --mount "type=bind,src=$d,dst=/x,bogus=1"
	assert_contains "$output" "unexpected key 'bogus'"
	mnt_refused --mount "type=bind,src=$d,dst=/x,bind-propagation=sideways"
	assert_contains "$output" "invalid bind-propagation 'sideways'"
	mnt_refused --mount "type=volume,src=v,dst=/x,bind-propagation=shared"
	assert_contains "$output" "field BindOptions must not be specified"
	mnt_refused --mount "type=volume,src=v,dst=/x,volume-opt=type=nfs"
	assert_contains "$output" "volume-opt is not supported"
	mnt_refused --mount "type=tmpfs,src=$d,dst=/x"
	assert_contains "$output" "field Source must not be specified"
	mnt_refused --mount "type=tmpfs,dst=/x,tmpfs-size=lots"
	assert_contains "$output" "invalid tmpfs-size 'lots'"
	mnt_refused --mount "type=tmpfs,dst=/x,tmpfs-mode=99"
	assert_contains "$output" "invalid tmpfs-mode '99'"
	mnt_refused --mount "type=tmpfs,dst=/x" --mount "type=tmpfs,dst=/x/"
	assert_contains "$output" "Duplicate mount point: /x"
	mnt_refused -v "$d:/x" --mount "type=tmpfs,dst=/x"
	assert_contains "$output" "Duplicate mount point: /x"
	assert_eq "$(hako volume ls -q)" ""
}

test_volumes_from() {
	local d anon
	mnt_setup
	d=$(mktemp -d)
	defer rm -rf "$d"
	echo bound >"$d/f"
	run hako create --name vsrc -v vf1:/vol -v "$d:/bind:ro" -v /anon \
		--mount type=tmpfs,dst=/t busybox true
	assert_status 0
	hako run --rm -v vf1:/vol busybox sh -c 'echo shared >/vol/f'
	run hako run --rm --volumes-from vsrc busybox \
		sh -c 'cat /vol/f /bind/f; echo w >/vol/g && echo wrote; echo x >/bind/x; grep -c " /t " /proc/self/mountinfo'
	assert_contains "$output" "shared
bound
wrote"
	assert_contains "$output" "Read-only file system"
	# its tmpfs is not taken
	assert_contains "$output" "
0"
	# :ro makes them all read-only, :rw all writable
	run hako run --rm --volumes-from vsrc:ro busybox sh -c 'echo x >/vol/h'
	assert_status 1
	assert_contains "$output" "Read-only file system"
	run hako run --rm --volumes-from vsrc:rw busybox sh -c 'echo x >/bind/rw && echo ok'
	assert_status 0
	assert_eq "$(cat "$d/rw")" "x"
	# inspect; own mounts win at the same destination
	run hako create --name vdst --volumes-from vsrc -v vf2:/vol busybox true
	assert_status 0
	assert_eq "$(hako inspect -f '{{json .HostConfig.VolumesFrom}}' vdst)" '["vsrc"]'
	anon=$(hako inspect vsrc | jq -r '.[0].Mounts[] | select(.Destination == "/anon") | .Name')
	assert_eq "$(hako inspect vdst | jq -c '[.[0].Mounts[] | [.Destination, .Name // .Source]]')" \
		"[[\"/vol\",\"vf2\"],[\"/bind\",\"$d\"],[\"/anon\",\"$anon\"]]"
	# removing the borrower keeps the lender's volumes, anonymous ones too
	hako rm -v vdst >/dev/null
	hako volume inspect vf1 >/dev/null || fail "vf1 removed with a borrower"
	hako volume inspect "$anon" >/dev/null || fail "the lender's anonymous volume was removed"
	mnt_refused --volumes-from nosuchctr
	assert_contains "$output" "nosuchctr"
	mnt_refused --volumes-from vsrc:rx
	assert_contains "$output" "invalid mode 'rx'"
}

test_device_node_usable() {
	mnt_setup
	run hako run --rm --device /dev/null:/dev/mynull busybox \
		sh -c 'echo x >/dev/mynull && echo ok; stat -c "%t:%T %F" /dev/mynull'
	assert_status 0
	assert_eq "$output" "ok
1:3 character special file"
	# no container path: the host's
	run hako run --rm --device /dev/zero busybox sh -c 'head -c 4 /dev/zero | wc -c'
	assert_status 0
	assert_eq "$output" "4"
	# the permissions go to the device cgroup: w only, opening to read is
	# refused (/dev/loop-control: not allowed by default, unlike /dev/null)
	if [ -c /dev/loop-control ]; then
		run hako run --rm --device /dev/loop-control:/dev/lc:w busybox \
			sh -c 'exec 3>/dev/lc && echo write-open; exec 4</dev/lc'
		assert_status 1
		assert_contains "$output" "write-open"
		assert_contains "$output" "Operation not permitted"
		run hako run --rm --device /dev/loop-control:/dev/lc:r busybox \
			sh -c 'exec 4</dev/lc && echo read-open'
		assert_status 0
		assert_eq "$output" "read-open"
	fi
	run hako create --name dev --device /dev/null:/dev/mynull:rw busybox true
	assert_status 0
	assert_eq "$(hako inspect -f '{{json .HostConfig.Devices}}' dev)" \
		'[{"PathOnHost":"/dev/null","PathInContainer":"/dev/mynull","CgroupPermissions":"rw"}]'
}

test_device_not_allowed_eperm() {
	local maj min
	mnt_setup
	[ -e /dev/loop-control ] || skip "no /dev/loop-control on this host"
	maj=$((0x$(stat -c %t /dev/loop-control)))
	min=$((0x$(stat -c %T /dev/loop-control)))
	# a node made with mknod (CAP_MKNOD) but not allowed: EPERM on open
	run hako run --rm busybox sh -c "mknod /tmp/lc c $maj $min && cat /tmp/lc"
	assert_status 1
	assert_contains "$output" "Operation not permitted"
	# --device-cgroup-rule allows it: open now succeeds (the read then
	# fails in the driver, not the cgroup)
	run hako run --rm --device-cgroup-rule "c $maj:$min rwm" busybox \
		sh -c "mknod /tmp/lc c $maj $min && exec 3</tmp/lc && echo opened"
	assert_status 0
	assert_eq "$output" "opened"
	run hako create --name rule --device-cgroup-rule "c $maj:* rw" busybox true
	assert_status 0
	assert_eq "$(hako inspect -f '{{json .HostConfig.DeviceCgroupRules}}' rule)" \
		"[\"c $maj:* rw\"]"
}

test_device_bad_input() {
	mnt_setup
	mnt_refused --device /dev/nosuchdev
	assert_contains "$output" "error gathering device information while adding custom device \"/dev/nosuchdev\""
	mnt_refused --device /dev/null:/dev/x:rwx
	assert_contains "$output" "invalid device mode: rwx"
	mnt_refused --device /etc/passwd
	assert_contains "$output" "not a device node"
	mnt_refused --device /dev/null:relative
	assert_contains "$output" "must be absolute"
	mnt_refused --device-cgroup-rule 'x 1:3 rwm'
	assert_contains "$output" "invalid device cgroup rule 'x 1:3 rwm'"
	mnt_refused --device-cgroup-rule 'c 1:3 rwq'
	assert_contains "$output" "invalid device cgroup rule"
}
