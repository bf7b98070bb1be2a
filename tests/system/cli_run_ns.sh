# run / create namespaces and identity: --pid, --ipc, --uts (host,
# container:NAME, private, shareable, none), --cgroupns, --cgroup-parent,
# --group-add, --userns, as the container sees them.

ns_setup() {
	hako image build-default >/dev/null
	defer ns_cleanup
}

ns_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

test_run_host_namespaces() {
	ns_setup
	run hako run --rm --pid host busybox readlink /proc/self/ns/pid
	assert_eq "$output" "$(readlink /proc/self/ns/pid)"
	run hako run --rm --pid host busybox cat /proc/1/comm
	assert_eq "$output" "$(cat /proc/1/comm)"
	run hako run --rm --ipc host busybox readlink /proc/self/ns/ipc
	assert_eq "$output" "$(readlink /proc/self/ns/ipc)"
	run hako run --rm --uts host busybox hostname
	assert_eq "$output" "$(hostname)"
	# the defaults are private
	run hako run --rm busybox sh -c 'readlink /proc/self/ns/pid /proc/self/ns/ipc'
	assert_not_contains "$output" "$(readlink /proc/self/ns/pid)"
	assert_not_contains "$output" "$(readlink /proc/self/ns/ipc)"
	run hako run --rm --pid private --uts private --ipc private busybox cat /proc/1/comm
	assert_eq "$output" "cat"

	run hako run --rm --uts host --hostname x busybox true
	assert_status 125
	assert_contains "$output" "Conflicting options: hostname and the UTS mode"
	run hako run --rm --pid sideways busybox true
	assert_status 125
	assert_contains "$output" "--pid sideways"
	run hako run --rm --ipc container: busybox true
	assert_status 125

	hako create --name modes --pid host --ipc host --uts host busybox true >/dev/null
	assert_eq "$(hako inspect modes | jq -c '.[0].HostConfig | [.PidMode, .IpcMode, .UTSMode]')" \
		'["host","host","host"]'
	hako create --name defmodes busybox true >/dev/null
	assert_eq "$(hako inspect defmodes | jq -c '.[0].HostConfig | [.PidMode, .IpcMode, .UTSMode]')" \
		'["","private",""]'
}

test_run_join_container_namespaces() {
	local dpid
	ns_setup
	hako run -d --name donor --hostname donorhost --ipc shareable --shm-size 5m \
		busybox sleep 1000 >/dev/null
	dpid=$(hako inspect -f '{{.State.Pid}}' donor)
	run hako run --rm --pid container:donor --ipc container:donor --uts container:donor \
		busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; hostname; readlink /proc/self/ns/ipc; echo shared >/dev/shm/note; df -k /dev/shm | tail -n 1'
	assert_status 0
	assert_contains "$output" "sleep 1000"
	assert_contains "$output" "donorhost"
	assert_contains "$output" "$(readlink "/proc/$dpid/ns/ipc")"
	assert_contains "$output" " 5120 "
	# the donor's /dev/shm is the same
	assert_eq "$(hako exec donor cat /dev/shm/note)" "shared"

	# made while the donor ran, started after it restarted: the donor as it
	# runs now
	hako create --name joiner --pid container:donor busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "' >/dev/null
	hako restart -t 0 donor >/dev/null 2>&1
	run hako start -a joiner
	assert_status 0
	assert_contains "$output" "sleep 1000"

	# only a shareable (or host) donor shares its IPC namespace
	hako run -d --name priv busybox sleep 1000 >/dev/null
	run hako run --rm --ipc container:priv busybox true
	assert_status 125
	assert_contains "$output" "non-shareable IPC"
	run hako run --rm --pid container:nosuch busybox true
	assert_status 125
	assert_contains "$output" "nosuch"
	hako stop -t 0 priv >/dev/null 2>&1
	run hako run --rm --uts container:priv busybox true
	assert_status 125
	assert_contains "$output" "not running"

	# none: no /dev/shm at all
	run hako run --rm --ipc none busybox sh -c 'grep -c " /dev/shm " /proc/mounts'
	assert_eq "$output" 0
}

test_run_cgroupns_and_cgroup_parent() {
	local parent want
	ns_setup
	run hako run --rm --cgroupns private busybox cat /proc/self/cgroup
	assert_status 0
	assert_not_contains "$output" "/hako/"
	run hako run --rm --cgroupns host busybox cat /proc/self/cgroup
	assert_contains "$output" "/hako/"
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then want=private; else want=host; fi
	hako create --name cgdef busybox true >/dev/null
	assert_eq "$(hako inspect -f '{{.HostConfig.CgroupnsMode}}' cgdef)" "$want"
	run hako run --rm --cgroupns sometimes busybox true
	assert_status 125

	parent=hako-test/cp-$(basename "$TEST_TMP" | tr -cd 'a-zA-Z0-9')
	defer "for c in /sys/fs/cgroup/*/$parent /sys/fs/cgroup/$parent; do rmdir \$c; done"
	run hako run --rm --cgroup-parent "/$parent" -m 64m busybox cat /proc/self/cgroup
	assert_status 0
	assert_contains "$output" "/$parent/"
	hako create --name cgp --cgroup-parent "$parent" busybox true >/dev/null
	assert_eq "$(hako inspect -f '{{.HostConfig.CgroupParent}}' cgp)" "$parent"
	run hako run --rm --cgroup-parent ../escape busybox true
	assert_status 125
}

test_run_group_add_and_userns() {
	ns_setup
	run hako run --rm --group-add adm --group-add 77 -u daemon busybox id
	assert_status 0
	assert_eq "$output" "uid=1(daemon) gid=1(daemon) groups=1(daemon),4(adm),77"
	hako create --name ga --group-add adm --group-add 77 busybox id >/dev/null
	assert_eq "$(hako inspect ga | jq -c '.[0].HostConfig.GroupAdd')" '["adm","77"]'
	run hako start -a ga
	assert_eq "$output" "uid=0(root) gid=0(root) groups=0(root),4(adm),77"
	run hako run --rm --group-add nosuchgroup busybox true
	assert_status 125
	assert_contains "$output" "unable to find group nosuchgroup"

	run hako run --rm --userns host busybox true
	assert_status 0
	run hako run --rm --userns auto busybox true
	assert_status 125
	assert_contains "$output" "--userns auto: not supported"
	assert_eq "$(hako ps -aq | wc -l)" 1 "only ga is left"
}
