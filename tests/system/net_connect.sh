# Bridge, veth and IPAM: stand-in containers (namespaces) on hako networks.
source "$TOP/tests/system/net_lib.sh"

test_net_two_namespaces_reach_each_other() {
	net_setup
	hn network create --subnet 10.131.0.0/24 lan >/dev/null
	net_container c1
	net_container c2
	: >"$TEST_TMP/hosts1"
	: >"$TEST_TMP/hosts2"
	hn network connect --netns "/run/netns/$NS-c1" --hosts-file "$TEST_TMP/hosts1" lan web
	hn network connect --netns "/run/netns/$NS-c2" --hosts-file "$TEST_TMP/hosts2" \
		--alias db --alias store --ip 10.131.0.50 --mac-address 02:aa:bb:cc:dd:ee lan data

	assert_contains "$(in_c c1 ip -4 -o addr show eth0)" "10.131.0.2/24"
	assert_contains "$(in_c c2 ip -4 -o addr show eth0)" "10.131.0.50/24"
	assert_contains "$(in_c c2 ip -o link show eth0)" "02:aa:bb:cc:dd:ee"
	assert_contains "$(in_c c1 ip -o link show lo)" "UP"
	assert_contains "$(in_c c1 ip route show default)" "default via 10.131.0.1 dev eth0"
	in_c c1 "$TEST_ROOTFS/bin/busybox" ping -c 1 -W 2 10.131.0.50 >/dev/null ||
		fail "c1 cannot ping c2"
	in_c c2 "$TEST_ROOTFS/bin/busybox" ping -c 1 -W 2 10.131.0.2 >/dev/null ||
		fail "c2 cannot ping c1"
	# the "host" reaches them through the bridge
	in_ns "$TEST_ROOTFS/bin/busybox" ping -c 1 -W 2 10.131.0.2 >/dev/null ||
		fail "host cannot ping c1"

	# each hosts file names itself and the peer (with its aliases), kept current
	assert_contains "$(cat "$TEST_TMP/hosts1")" "10.131.0.50	data	db	store"
	assert_contains "$(cat "$TEST_TMP/hosts1")" "10.131.0.2	web"
	assert_contains "$(cat "$TEST_TMP/hosts2")" "10.131.0.2	web"
	assert_contains "$(cat "$TEST_TMP/hosts2")" "127.0.0.1	localhost"

	run hn network inspect lan
	assert_eq "$(echo "$output" | jq -r '.[0].Containers.data.IPv4Address')" 10.131.0.50
	assert_eq "$(echo "$output" | jq -r '.[0].Containers.data.Aliases | join(",")')" db,store

	# the same address twice, or the same container twice, is refused
	net_container c3
	run hn network connect --netns "/run/netns/$NS-c3" --ip 10.131.0.50 lan third
	assert_status 125
	assert_contains "$output" "address 10.131.0.50 is already in use on network lan"
	run hn network connect --netns "/run/netns/$NS-c3" lan web
	assert_status 125
	assert_contains "$output" "already connected"
	assert_eq "$(in_c c3 ip -o link | grep -c eth || true)" 0 "nothing left in c3"

	hn network disconnect lan data
	assert_not_contains "$(cat "$TEST_TMP/hosts1")" "data"
	assert_eq "$(in_c c2 ip -o link | grep -c eth0 || true)" 0 "eth0 gone from c2"
}

test_net_internal_has_no_way_out() {
	net_setup
	hn network create --internal --subnet 10.132.0.0/24 secret >/dev/null
	net_container c1
	hn network connect --netns "/run/netns/$NS-c1" secret c1
	assert_eq "$(in_c c1 ip route show default)" "" "no default route"
	assert_contains "$(in_c c1 ip -4 -o addr show eth0)" "10.132.0.2/24"
	rules=$(in_ns nft list table ip hako)
	assert_not_contains "$rules" "10.132.0.0/24 oifname" "no masquerade for internal"
	assert_contains "$rules" "oifname != \"$(hn network inspect secret | jq -r '.[0].Bridge')\" drop"
	# a non-internal network next to it does get NAT
	hn network create --subnet 10.133.0.0/24 open >/dev/null
	net_container c2
	hn network connect --netns "/run/netns/$NS-c2" open c2
	assert_contains "$(in_ns nft list table ip hako)" "ip saddr 10.133.0.0/24 oifname"
	assert_contains "$(in_c c2 ip route show default)" "via 10.133.0.1"
}

test_net_default_bridge_on_first_use() {
	net_setup
	net_container c1
	hn network connect --netns "/run/netns/$NS-c1" bridge c1
	assert_contains "$(in_ns ip -4 -o addr show hako0)" "10.89.0.1/16"
	assert_contains "$(in_c c1 ip -4 -o addr show eth0)" "10.89.0.2/16"
	assert_eq "$(in_ns cat /proc/sys/net/ipv4/ip_forward)" 1
	mac=$(in_ns ip -o link show hako0 | sed -n "s|.*link/ether \([^ ]*\).*|\1|p")
	hn network disconnect bridge c1
	# the bridge stays for the next container (as docker0), with the MAC
	# it was given (not one borrowed from a port)
	assert_eq "$(in_ns ip -o link show hako0 | sed -n "s|.*link/ether \([^ ]*\).*|\1|p")" "$mac"
	assert_eq "$mac" "02:42:0a:59:00:01"
	net_container c2
	hn network connect --netns "/run/netns/$NS-c2" bridge c2
	assert_contains "$(in_c c2 ip -4 -o addr show eth0)" "10.89.0.2/16"
	hn network disconnect bridge c2
	# network prune takes the default network's bridge and rules down; the
	# record stays
	hn network prune -f >/dev/null
	run in_ns ip link show hako0
	assert_status 1
	run in_ns nft list table ip hako
	assert_status 1
	assert_eq "$(hn network ls -q | wc -l)" 1
}

test_net_teardown_leaves_nothing() {
	net_setup
	hn network create --subnet 10.134.0.0/24 t >/dev/null
	net_container c1
	net_container c2
	hn network connect --netns "/run/netns/$NS-c1" -p 127.0.0.1:18080:80 t c1
	hn network connect --netns "/run/netns/$NS-c2" t c2
	assert_eq "$(in_ns ip -o link show | grep -c hkv)" 2 "two host-side veths"
	in_ns nft list table ip hako >/dev/null || fail "no nft table while containers run"

	hn network disconnect t c1
	hn network disconnect t c2
	assert_eq "$(in_ns ip -o link show | grep -c 'hkv' || true)" 0 "no veth left"
	assert_not_contains "$(in_ns nft list table ip hako)" "18080" "no port left"
	assert_eq "$(net_sql 'select count(*) from endpoints') $(net_sql 'select count(*) from net_ports')" \
		"0 0" "no IPAM or port rows"
	assert_eq "$(net_sql 'select count(*) from net_hosts')" 0
	# the network keeps its bridge and rules until it is removed
	assert_eq "$(in_ns ip -o link show | grep -c 'hkbr' || true)" 1 "the bridge stays"
	hn network rm t >/dev/null
	assert_eq "$(in_ns ip -o link show | grep -c 'hkv\|hkbr' || true)" 0 "no veth or bridge left"
	run in_ns nft list table ip hako
	assert_status 1
	run hn network disconnect t c1
	assert_status 125
	assert_contains "$output" "not connected to network t"
}

test_net_crashed_container_is_reclaimed() {
	net_setup
	hn network create --subnet 10.135.0.0/24 r >/dev/null
	net_container c1
	hn network connect --netns "/run/netns/$NS-c1" -p 18081:80 r gone
	# the container dies without telling anyone: its namespace (and with it
	# the veth pair) disappears
	ip netns del "$NS-c1"
	wait_for 5 bash -c "! ip netns exec $NS ip -o link show | grep -q hkv"
	run hn network inspect r
	assert_eq "$(echo "$output" | jq -r '.[0].Containers | length')" 0 "endpoint reclaimed"
	assert_eq "$(net_sql 'select count(*) from net_ports')" 0 "port freed"
	assert_not_contains "$(in_ns nft list map ip hako pub_tcp)" "18081" "its map element too"
	# the address is handed out again
	net_container c2
	hn network connect --netns "/run/netns/$NS-c2" -p 18081:80 r next
	assert_contains "$(in_c c2 ip -4 -o addr show eth0)" "10.135.0.2/24"
}

test_net_parallel_connects_get_distinct_addresses() {
	net_setup
	hn network create --subnet 10.136.0.0/24 p >/dev/null
	local i pids=()
	for i in 1 2 3 4 5 6; do net_container c$i; done
	for i in 1 2 3 4 5 6; do
		hn network connect --netns "/run/netns/$NS-c$i" p c$i &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || fail "a parallel connect failed"; done
	assert_eq "$(net_sql "select count(distinct ip) from endpoints where network = 'p'")" 6
	assert_eq "$(net_sql "select min(ip) || ' ' || max(ip) from endpoints")" \
		"10.136.0.2 10.136.0.7"
	for i in 2 3 4 5 6; do
		in_c c1 "$TEST_ROOTFS/bin/busybox" ping -c 1 -W 2 \
			"$(net_sql "select ip from endpoints where container_id = 'c$i'")" >/dev/null ||
			fail "c1 cannot reach c$i"
	done
}

test_net_connect_errors_leave_nothing() {
	net_setup
	hn network create --subnet 10.137.0.0/24 e >/dev/null
	net_container c1
	run hn network connect --netns "/run/netns/$NS-nosuch" e c1
	assert_status 125
	assert_contains "$output" "open network namespace"
	run hn network connect --netns "/run/netns/$NS-c1" --ip 10.1.1.1 e c1
	assert_status 125
	assert_contains "$output" "address 10.1.1.1 is not in the subnet of network e"
	run hn network connect --netns "/run/netns/$NS-c1" --mac-address 01:00:00:00:00:01 e c1
	assert_status 125
	assert_contains "$output" "invalid MAC address"
	run hn network connect --netns "/run/netns/$NS-c1" nosuch c1
	assert_status 125
	assert_contains "$output" "network nosuch not found"
	run hn network connect --netns /proc/self/ns/net e c1
	assert_status 125
	assert_contains "$output" "host's own network namespace"
	assert_eq "$(net_sql 'select count(*) from endpoints')" 0
	assert_eq "$(in_ns ip -o link show | grep -c 'hkv\|hkbr' || true)" 0 "no veth or bridge"
	run in_ns nft list table ip hako
	assert_status 1
}
