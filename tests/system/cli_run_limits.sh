# run / create limits (--ulimit, --shm-size, --sysctl, cpu, memory, blkio,
# oom): what the container sees or the cgroup files say, what inspect shows,
# and that they survive restart and stop/start.

lim_setup() {
	hako image build-default >/dev/null
	defer lim_cleanup
}

lim_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

# lim_cg PID CONTROLLER: the directory of PID's cgroup for CONTROLLER (v1:
# the hierarchy holding it; pure v2: the unified one).
lim_cg() {
	local pid=$1 ctl=$2 mnt path
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		path=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
		echo "/sys/fs/cgroup$path"
		return
	fi
	mnt=$(awk -v c="$ctl" '$0 ~ / - cgroup / { n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $5 }' /proc/self/mountinfo | head -n 1)
	path=$(awk -F: -v c="$ctl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
	[ -n "$mnt" ] && [ -n "$path" ] || return 1
	echo "$mnt$path"
}

lim_v2() { [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; }

lim_pid() { hako inspect -f '{{.State.Pid}}' "$1"; }

hc() { hako inspect "$1" | jq -c ".[0].HostConfig.$2"; }

test_run_ulimit_seen_inside() {
	local hard pid
	lim_setup
	run hako run --rm --ulimit nofile=512:1024 --ulimit nproc=300 busybox \
		sh -c 'ulimit -n; ulimit -Hn; ulimit -u'
	assert_status 0
	assert_eq "$output" "512
1024
300"
	# without CAP_SYS_RESOURCE a hard limit cannot be raised: the soft one
	# is still set when it fits, with a warning
	hard=$(ulimit -Hn)
	if [ "$hard" != unlimited ]; then
		run hako run --rm --ulimit "nofile=256:$((hard * 2))" busybox sh -c 'ulimit -n'
		assert_status 0
		assert_contains "$output" "256"
	fi
	run hako run --rm --ulimit nofile=2048:1024 busybox true
	assert_status 125
	assert_contains "$output" "soft limit must be less than or equal to hard limit"
	run hako run --rm --ulimit bogus=1 busybox true
	assert_status 125
	assert_contains "$output" "--ulimit bogus=1"

	# stored: inspect, and again after restart and stop/start
	hako run -d --name ul --ulimit nofile=700:900 busybox sleep 100 >/dev/null
	assert_eq "$(hc ul Ulimits)" '[{"Name":"nofile","Hard":900,"Soft":700}]'
	pid=$(lim_pid ul)
	assert_contains "$(grep 'Max open files' "/proc/$pid/limits")" "700                  900"
	hako restart -t 0 ul >/dev/null
	pid=$(lim_pid ul)
	assert_contains "$(grep 'Max open files' "/proc/$pid/limits")" "700                  900"
	hako stop -t 0 ul >/dev/null
	hako start ul >/dev/null
	pid=$(lim_pid ul)
	assert_contains "$(grep 'Max open files' "/proc/$pid/limits")" "700                  900"
}

test_run_shm_size() {
	lim_setup
	run hako run --rm --shm-size 10m busybox sh -c 'df -k /dev/shm | tail -n 1'
	assert_status 0
	assert_contains "$output" " 10240 "
	run hako run --rm busybox sh -c 'df -k /dev/shm | tail -n 1'
	assert_contains "$output" " 65536 "
	hako create --name shm --shm-size 1g busybox true >/dev/null
	assert_eq "$(hc shm ShmSize)" 1073741824
	hako create --name shm2 busybox true >/dev/null
	assert_eq "$(hc shm2 ShmSize)" 67108864
	run hako run --rm --shm-size lots busybox true
	assert_status 125
}

test_run_sysctl_namespaced_only() {
	lim_setup
	run hako run --rm --sysctl kernel.shmmax=1234567 --sysctl fs.mqueue.msg_max=20 \
		--sysctl net.ipv4.ip_forward=1 busybox \
		sh -c 'cat /proc/sys/kernel/shmmax /proc/sys/fs/mqueue/msg_max /proc/sys/net/ipv4/ip_forward'
	assert_status 0
	assert_eq "$output" "1234567
20
1"
	# the host is untouched
	assert_ne "$(cat /proc/sys/kernel/shmmax)" 1234567
	# not namespaced: refused with the reason
	run hako run --rm --sysctl kernel.panic=1 busybox true
	assert_status 125
	assert_contains "$output" "sysctl 'kernel.panic' is not allowed"
	assert_contains "$output" "namespaced"
	run hako run --rm --network host --sysctl net.ipv4.ip_forward=1 busybox true
	assert_status 125
	assert_contains "$output" "not allowed with --network host"
	run hako run --rm --ipc host --sysctl kernel.shmmax=1 busybox true
	assert_status 125
	assert_contains "$output" "not allowed with --ipc host"
	run hako run --rm --sysctl noequals busybox true
	assert_status 125
	assert_eq "$(hako ps -aq)" "" "containers after refusals"

	hako create --name sc --sysctl kernel.msgmax=9000 busybox true >/dev/null
	assert_eq "$(hc sc Sysctls)" '{"kernel.msgmax":"9000"}'
}

test_run_cpu_memory_cgroup_files() {
	local pid d
	lim_setup
	hako run -d --name cm --cpuset-cpus 0 --cpu-quota 50000 --cpu-period 200000 \
		--memory-reservation 20m --memory-swappiness 7 -m 100m --oom-kill-disable \
		busybox sleep 100 >/dev/null
	check_cm() {
		pid=$(lim_pid cm)
		# seen from inside: the affinity the cpuset gives
		assert_eq "$(hako exec cm taskset -p 1 | sed 's/.*: //')" 1
		if lim_v2; then
			d=$(lim_cg "$pid" cpu)
			[ -e "$d/cpu.max" ] || skip "no cpu controller delegated on this v2 host"
			assert_eq "$(cat "$d/cpu.max")" "50000 200000"
			assert_eq "$(cat "$d/cpuset.cpus")" 0
			assert_eq "$(cat "$d/memory.low")" 20971520
			return
		fi
		assert_eq "$(cat "$(lim_cg "$pid" cpuset)/cpuset.cpus")" 0
		assert_eq "$(cat "$(lim_cg "$pid" cpu)/cpu.cfs_quota_us")" 50000
		assert_eq "$(cat "$(lim_cg "$pid" cpu)/cpu.cfs_period_us")" 200000
		d=$(lim_cg "$pid" memory)
		assert_eq "$(cat "$d/memory.soft_limit_in_bytes")" 20971520
		assert_eq "$(cat "$d/memory.swappiness")" 7
		assert_contains "$(cat "$d/memory.oom_control")" "oom_kill_disable 1"
	}
	check_cm
	hako restart -t 0 cm >/dev/null
	check_cm
	hako stop -t 0 cm >/dev/null
	hako start cm >/dev/null
	check_cm
	assert_eq "$(hako inspect cm | jq -c '.[0].HostConfig | [.CpusetCpus, .CpuQuota, .CpuPeriod, .MemoryReservation, .MemorySwappiness, .OomKillDisable]')" \
		'["0",50000,200000,20971520,7,true]'
	# unset: docker's zero values
	hako create --name plain busybox true >/dev/null
	assert_eq "$(hako inspect plain | jq -c '.[0].HostConfig | [.CpusetCpus, .CpuQuota, .MemorySwappiness, .OomScoreAdj, .BlkioWeight]')" \
		'["",0,null,0,0]'

	run hako run --rm --cpus 1 --cpu-quota 50000 busybox true
	assert_status 125
	assert_contains "$output" "Conflicting options: Nano CPUs and CPU Quota"
	run hako run --rm --cpu-period 10 busybox true
	assert_status 125
	assert_contains "$output" "CPU cfs period can not be less than 1ms"
	run hako run --rm --memory-swappiness 101 busybox true
	assert_status 125
	run hako run --rm --cpuset-cpus 4095 busybox true
	assert_status 125
	assert_contains "$output" "not available"
	run hako run --rm -m 10m --memory-reservation 20m busybox true
	assert_status 125
	assert_contains "$output" "memory reservation"
}

test_run_cpu_rt_runtime() {
	local pid
	lim_setup
	if lim_v2 || [ ! -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ]; then
		run hako run --rm --cpu-rt-runtime 5000 busybox true
		assert_status 125
		assert_contains "$output" "real-time"
		return
	fi
	# a new cgroup has no real-time budget: its ancestors get what it needs
	hako run -d --name rt --cpu-rt-runtime 5000 busybox sleep 100 >/dev/null
	pid=$(lim_pid rt)
	assert_eq "$(cat "$(lim_cg "$pid" cpu)/cpu.rt_runtime_us")" 5000
	assert_eq "$(hc rt CpuRealtimeRuntime)" 5000
	hako restart -t 0 rt >/dev/null
	pid=$(lim_pid rt)
	assert_eq "$(cat "$(lim_cg "$pid" cpu)/cpu.rt_runtime_us")" 5000
	# more than the host has: refused with the reason
	run hako run --rm --cpu-rt-runtime 990000 busybox true
	assert_status 125
	assert_contains "$output" "real-time budget"
	run hako run --rm --cpu-rt-period 1000 --cpu-rt-runtime 2000 busybox true
	assert_status 125
	assert_contains "$output" "cannot be higher than --cpu-rt-period"
}

test_run_oom_score_and_kernel_memory() {
	lim_setup
	run hako run --rm --oom-score-adj 500 busybox cat /proc/self/oom_score_adj
	assert_status 0
	assert_eq "$output" 500
	# lowering needs CAP_SYS_RESOURCE: done where hako has it, refused
	# with the reason where it has not
	run hako run --rm --oom-score-adj -500 busybox cat /proc/self/oom_score_adj
	if [ "$status" = 0 ]; then
		assert_eq "$output" -500
	else
		assert_status 125
		assert_contains "$output" "CAP_SYS_RESOURCE"
	fi
	run hako run --rm --oom-score-adj 1001 busybox true
	assert_status 125
	# --kernel-memory: accepted, warned about, ignored (as docker)
	run hako run --rm --kernel-memory 50m busybox echo ok
	assert_status 0
	assert_contains "$output" "kernel memory limit is deprecated and ignored"
	assert_contains "$output" "ok"
	hako create --name oom --oom-score-adj 300 busybox true >/dev/null
	assert_eq "$(hc oom OomScoreAdj)" 300
}

test_run_blkio() {
	local dev pid d
	lim_setup
	for d in /sys/block/*; do
		case ${d##*/} in loop* | zram* | ram*) continue ;; esac
		[ -b "/dev/${d##*/}" ] && dev=/dev/${d##*/} && break
	done
	[ -n "$dev" ] || skip "no block device"
	hako run -d --name bio --device-read-bps "$dev:1mb" --device-write-bps "$dev:2mb" \
		--device-read-iops "$dev:100" --device-write-iops "$dev:200" \
		--blkio-weight-device "$dev:300" --blkio-weight 400 busybox sleep 100 \
		>"$TEST_TMP/out" 2>"$TEST_TMP/err"
	pid=$(lim_pid bio)
	assert_eq "$(hc bio BlkioDeviceReadBps)" "[{\"Path\":\"$dev\",\"Rate\":1048576}]"
	assert_eq "$(hc bio BlkioDeviceWriteIOps)" "[{\"Path\":\"$dev\",\"Rate\":200}]"
	if lim_v2; then
		d=$(lim_cg "$pid" io)
		[ -e "$d/io.max" ] || skip "no io controller delegated on this v2 host"
		assert_contains "$(cat "$d/io.max")" "rbps=1048576 wbps=2097152 riops=100 wiops=200"
		return
	fi
	d=$(lim_cg "$pid" blkio)
	assert_contains "$(cat "$d/blkio.throttle.read_bps_device")" " 1048576"
	assert_contains "$(cat "$d/blkio.throttle.write_bps_device")" " 2097152"
	assert_contains "$(cat "$d/blkio.throttle.read_iops_device")" " 100"
	assert_contains "$(cat "$d/blkio.throttle.write_iops_device")" " 200"
	# weight needs CFQ or BFQ: where the kernel has none, docker's warning
	# and the weight dropped
	if [ -e "$d/blkio.weight" ] || [ -e "$d/blkio.bfq.weight" ]; then
		assert_eq "$(hc bio BlkioWeight)" 400
	else
		assert_contains "$(cat "$TEST_TMP/err")" "Weight discarded"
		assert_eq "$(hc bio BlkioWeight)" 0
	fi
	run hako run --rm --device-read-bps /etc/passwd:1mb busybox true
	assert_status 125
	assert_contains "$output" "not a block device"
	run hako run --rm --blkio-weight 5 busybox true
	assert_status 125
}
