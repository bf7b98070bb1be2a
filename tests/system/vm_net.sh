# Managed VMs on hako networks: a tap made by hako on the network's bridge,
# a MAC per NIC, an address from the network's IPAM told by hako-dns's DHCP,
# the VM's name in the network's DNS (both ways).  Everything runs in the
# test's own network namespace (net_lib.sh); QEMU under TCG here.
source "$TOP/tests/system/net_lib.sh"

require_vm() {
	require_cmd qemu-system-x86_64
	require_cmd qemu-img
	[ -e "${HAKO_VM_KERNEL:-/var/cache/hako/kernel/vmlinuz}" ] ||
		skip "no guest kernel (scripts/fetch-kernel.sh)"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	KERNEL=$(hako vm kernel)
	INITRD=$(hako vm kernel --initramfs)
}

vmf() { hn vm inspect "$1" | jq -r ".[0].$2"; }
console_has() { grep -q -- "$2" "$TEST_TMP/root/vm/vms/$1/console.log"; }
vm_kill() {
	local m q
	m=$(vmf "$1" monitor_pid 2>/dev/null) q=$(vmf "$1" qemu_pid 2>/dev/null)
	[ "${q:-0}" != 0 ] && kill -9 "$q"
	[ "${m:-0}" != 0 ] && kill -9 "$m"
	return 0
}
taps() { in_ns ip -o link show | grep -c ' hkt' || true; }
taps_are() { [ "$(taps)" = "$1" ]; }
vm_state_is() { [ "$(vmf "$1" state)" = "$2" ]; }
ep_rows() { net_sql "SELECT count(*) FROM endpoints WHERE container_id = '$1'"; }

# The guest: udhcpc (busybox) configures eth0 from the lease and writes
# resolv.conf, then resolves the container c1 by name.
GUEST_SCRIPT='mkdir -p /etc; ip link set eth0 up
printf "%s\n" "#!/bin/sh" "[ \"\$1\" = bound ] || exit 0" "ip addr add \$ip/\$mask dev \$interface" "ip route add default via \$router" "echo nameserver \$dns >/etc/resolv.conf" "echo hako-lease \$ip/\$mask via \$router dns \$dns" >/dh.sh
chmod +x /dh.sh
udhcpc -i eth0 -f -q -n -t 20 -T 3 -s /dh.sh || echo hako-no-lease
i=0
until nslookup c1 >/ns 2>&1; do i=$((i+1)); [ $i -gt 120 ] && break; sleep 1; done
sed "s/^/ns: /" /ns
echo "hako-resolved c1 $(grep -A9 "^Name:" /ns | grep "^Address" | head -1 | sed "s/.* //")"
ping -c 1 -W 5 c1 >/dev/null && echo hako-pinged-c1
while true; do echo hello-fwd | nc -l -p 8000; done'

test_vm_net_dhcp_names_and_cleanup() {
	require_vm
	net_setup
	net_engine_setup
	hn network create --subnet 10.171.0.0/24 vnet >/dev/null
	hn run -d --name c1 --network vnet busybox sleep 3600 >/dev/null
	local port=$((20000 + RANDOM % 20000))
	hn vm create vm1 --memory 256M --kernel "$KERNEL" --initrd "$INITRD" -p "$port:8000" \
		--append "console=ttyS0 quiet" --network vnet --init-script "$GUEST_SCRIPT" >/dev/null
	hn vm create vm2 --memory 256M --kernel "$KERNEL" --initrd "$INITRD" \
		--append "console=ttyS0 quiet" --network vnet --network user \
		--init-script 'sleep 3600' >/dev/null
	defer "hn vm rm vm1; hn vm rm vm2"
	defer vm_kill vm1
	defer vm_kill vm2

	# MACs: recorded with the VM (stable before and after start), distinct
	local mac1 mac2 mac2b
	mac1=$(vmf vm1 'interfaces[0].mac')
	mac2=$(vmf vm2 'interfaces[0].mac')
	mac2b=$(vmf vm2 'interfaces[1].mac')
	[[ $mac1 == 52:54:00:* ]] || fail "MAC of vm1: $mac1"
	assert_ne "$mac1" "$mac2"
	assert_ne "$mac2" "$mac2b"
	assert_ne "$mac1" "52:54:00:12:34:56"

	hn vm start vm1
	hn vm start vm2
	assert_eq "$(vmf vm1 'interfaces[0].mac')" "$mac1"
	local ip1 ip2 cip
	ip1=$(vmf vm1 'interfaces[0].ip')
	ip2=$(vmf vm2 'interfaces[0].ip')
	[[ $ip1 == 10.171.0.* ]] || fail "address of vm1: $ip1"
	[[ $ip2 == 10.171.0.* ]] || fail "address of vm2: $ip2"
	assert_ne "$ip1" "$ip2"
	assert_eq "$(vmf vm2 'interfaces[1].network')" "user"
	assert_eq "$(vmf vm2 'interfaces[1].ip')" "null"
	run hn vm list
	assert_contains "$output" "vnet=$mac1/$ip1"
	assert_eq "$(taps)" 2
	run hn vm attach-interface vm1 --network user
	assert_status 125
	assert_contains "$output" "shut it off first"
	# hako's tap on the network's bridge, no qemu-bridge-helper
	in_ns ip -o link show master "$(net_sql "SELECT bridge FROM networks WHERE name='vnet'")" |
		grep -q ' hkt' || fail "no tap on vnet's bridge"
	hn vm destroy vm2
	assert_eq "$(ep_rows "$(vmf vm2 id)")" 0
	wait_for 10 taps_are 1

	# the lease: the reserved address, the gateway as router and DNS
	wait_for 400 console_has vm1 hako-lease || {
		tail -20 "$TEST_TMP/root/vm/vms/vm1/console.log"
		fail "vm1 got no lease"
	}
	console_has vm1 "hako-lease $ip1/24 via 10.171.0.1 dns 10.171.0.1" ||
		fail "lease: $(grep hako-lease "$TEST_TMP/root/vm/vms/vm1/console.log")"
	# the VM resolves and reaches the container by name
	cip=$(hn inspect -f '{{.NetworkSettings.Networks.vnet.IPAddress}}' c1)
	wait_for 200 console_has vm1 "hako-resolved c1" || fail "vm1 did not resolve c1"
	console_has vm1 "hako-resolved c1 $cip" ||
		fail "$(grep -a 'ns:\|hako-' "$TEST_TMP/root/vm/vms/vm1/console.log"), want $cip"
	wait_for 60 console_has vm1 hako-pinged-c1 || fail "vm1 could not ping c1"
	# the container resolves and reaches the VM by name
	run hn exec c1 nslookup vm1
	assert_contains "$output" "$ip1"
	run hn exec c1 ping -c 1 -W 10 vm1
	assert_status 0
	# -p on a hako network: the containers' nftables maps
	wait_for 120 fwd_gets 10.171.0.1 "$port" || fail "nothing from vm1 on 10.171.0.1:$port"
	assert_eq "$(net_sql "SELECT count(*) FROM net_ports WHERE container_id = '$(vmf vm1 id)'")" 1

	# a VM killed behind hako's back: its address and tap go at the next
	# repair (here: a container joining the network)
	local id1
	id1=$(vmf vm1 id)
	kill -9 "$(vmf vm1 monitor_pid)"
	wait_for 60 taps_are 0
	wait_for 30 vm_state_is vm1 crashed
	assert_eq "$(ep_rows "$id1")" 1
	hn run --rm --network vnet busybox true
	assert_eq "$(ep_rows "$id1")" 0

	hn vm rm vm1
	hn vm rm vm2
	hn rm -f c1 >/dev/null
	assert_eq "$(net_sql 'SELECT count(*) FROM endpoints')" 0
	assert_eq "$(taps)" 0
}

test_vm_net_bad_network() {
	require_vm
	net_setup
	run hn vm create bad --kernel "$KERNEL" --network nosuchnet
	assert_status 125
	assert_contains "$output" "nosuchnet"
	run hn vm create bad --kernel "$KERNEL" --network none --network user
	assert_status 125
	run hn vm list --all
	assert_not_contains "$output" "bad"
}

fwd_gets() { in_ns "$TEST_ROOTFS/bin/busybox" timeout 5 nc "$1" "$2" </dev/null 2>/dev/null | grep -q hello-fwd; }

# -p on the user network: QEMU's hostfwd, on the loopback by default.
test_vm_net_user_publish() {
	require_vm
	net_setup
	local port=$((20000 + RANDOM % 20000))
	hn vm create pub --memory 256M --kernel "$KERNEL" --initrd "$INITRD" -p "$port:8000" \
		--init-script 'ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; while true; do echo hello-fwd | nc -l -p 8000; done' >/dev/null
	defer "hn vm rm pub"
	defer vm_kill pub
	assert_eq "$(vmf pub ports)" "$port:8000"
	hn vm start pub
	wait_for 300 fwd_gets 127.0.0.1 "$port" || fail "nothing from the guest on 127.0.0.1:$port"
	hn vm destroy pub
	# bad values leave no VM
	run hn vm create bad --kernel "$KERNEL" -p 8000
	assert_status 125
	assert_contains "$output" "host port"
	run hn vm create bad --kernel "$KERNEL" --network none -p 1:2
	assert_status 125
	assert_contains "$output" "-p needs a NIC"
	run hn vm list --all
	assert_not_contains "$output" "bad"
}

# NICs added and removed while shut off; each keeps its recorded MAC.
test_vm_net_attach_detach_interface() {
	require_vm
	net_setup
	hn network create --subnet 10.172.0.0/24 anet >/dev/null
	hn vm create ad --kernel "$KERNEL" >/dev/null
	defer "hn vm rm ad"
	local m0 m1 m2
	m0=$(vmf ad 'interfaces[0].mac')
	hn vm attach-interface ad --network anet
	hn vm attach-interface ad --network user --mac 52:54:00:01:02:03
	assert_eq "$(vmf ad network)" "user,anet,user"
	assert_eq "$(vmf ad 'interfaces[0].mac')" "$m0"
	m1=$(vmf ad 'interfaces[1].mac')
	m2=$(vmf ad 'interfaces[2].mac')
	assert_eq "$m2" "52:54:00:01:02:03"
	assert_ne "$m1" "$m0"
	hn vm detach-interface ad --mac "$m0"
	assert_eq "$(vmf ad network)" "anet,user"
	assert_eq "$(vmf ad 'interfaces[0].mac')" "$m1"
	assert_eq "$(vmf ad 'interfaces[1].mac')" "$m2"
	hn vm detach-interface ad --network anet
	assert_eq "$(vmf ad network)" "user"
	run hn vm detach-interface ad --network anet
	assert_status 125
	assert_contains "$output" "no NIC on anet"
	run hn vm attach-interface ad --network nosuch
	assert_status 125
	run hn vm attach-interface ad --network user --mac 01:00:00:00:00:01
	assert_status 125
	assert_eq "$(vmf ad network)" "user"
}
