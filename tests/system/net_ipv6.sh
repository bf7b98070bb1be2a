# IPv6 networks (network create --ipv6): dual-stack addresses, routes, names
# over IPv6 (hosts and DNS AAAA/PTR on the IPv6 gateway), published ports
# over IPv6, --internal, bad input, teardown.  Everything runs in the test's
# network namespace.
source "$TOP/tests/system/net_lib.sh"

HELLO6='while true; do echo hello6 | nc -l -p 80; done'

# Nothing of hako left in the test's namespace: no bridge, veth, nft table.
v6_nothing_left() {
	assert_eq "$(in_ns ip -o link show | grep -c 'hkbr-\|hkv')" 0 "bridges or veths left"
	assert_eq "$(in_ns nft list tables | grep -c hako)" 0 "nft tables left"
}

test_net_ipv6_dual_stack_names_ports_and_teardown() {
	net_setup
	net_engine_setup
	hn network create --ipv6 --subnet 10.181.0.0/24 --subnet fd00:181::/64 v6a >/dev/null
	run hn network inspect v6a
	assert_status 0
	assert_eq "$(echo "$output" | jq -r '.[0].EnableIPv6')" true
	assert_eq "$(echo "$output" | jq -r '.[0].IPAM.Config[1].Subnet')" "fd00:181::/64"
	assert_eq "$(echo "$output" | jq -r '.[0].IPAM.Config[1].Gateway')" "fd00:181::1"
	assert_eq "$(echo "$output" | jq -r '.[0].IPAM.Config[0].Subnet')" "10.181.0.0/24"
	hn run -d --name srv --network v6a busybox sh -c "$HELLO6" >/dev/null
	hn run -d --name cli --network v6a --ip6 fd00:181::99 -v "$HAKO_BIN_DIR/hk-testhelper:/hk:ro" \
		busybox sleep 60 >/dev/null
	# addresses, routes: usable at once (no DAD), default route via the
	# gateway's IPv6 address
	run hn exec cli ip -6 addr show eth0
	assert_contains "$output" "fd00:181::99/64"
	assert_not_contains "$output" "fd00:181::99/64 scope global tentative"
	run hn exec cli ip -6 route
	assert_contains "$output" "default via fd00:181::1"
	run hn inspect -f '{{.NetworkSettings.Networks.v6a.GlobalIPv6Address}}' cli
	assert_eq "$output" "fd00:181::99"
	run hn inspect cli
	assert_eq "$(echo "$output" | jq -r '.[0].NetworkSettings.Networks.v6a.GlobalIPv6PrefixLen')" 64
	assert_eq "$(echo "$output" | jq -r '.[0].NetworkSettings.Networks.v6a.IPv6Gateway')" "fd00:181::1"
	run hn network inspect v6a
	assert_contains "$output" '"IPv6Address": "fd00:181::99/64"'
	# names over IPv6: /etc/hosts has the IPv6 lines, ping6 by name
	run hn exec cli cat /etc/hosts
	assert_contains "$output" "fd00:181::2	srv"
	run hn exec cli ping6 -c 1 -W 2 srv
	assert_status 0
	assert_contains "$output" "fd00:181::2"
	run hn exec cli sh -c 'nc -w 2 fd00:181::2 80 </dev/null'
	assert_eq "$output" "hello6"
	# DNS: AAAA (asked on the IPv6 gateway too), PTR in ip6.arpa, A still
	run hn exec cli /hk dns-bench fd00:181::1 53 srv 2 aaaa
	assert_status 0
	assert_contains "$output" "answered 2"
	assert_contains "$output" "first fd00:181::2"
	run hn exec cli /hk dns-bench 10.181.0.1 53 srv 1 a
	assert_contains "$output" "first 10.181.0.2"
	run hn exec cli nslookup -type=aaaa srv.v6a
	assert_contains "$output" "fd00:181::2"
	local ptr=9.9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.8.1.0.0.0.d.f.ip6.arpa
	run hn exec cli /hk dns-bench fd00:181::1 53 "$ptr" 1 ptr
	assert_contains "$output" "first cli.v6a."
	# a published port answers over IPv6 on the host's addresses (one on
	# a veth pair inside the namespace here: nothing leaves it)
	in_ns ip link add hkt6a type veth peer name hkt6b
	in_ns ip addr add fd00:99::1/64 dev hkt6a nodad
	in_ns ip link set hkt6a up
	in_ns ip link set hkt6b up
	hn run -d --name web --network v6a -p 18400:80 -p '[fd00:99::1]:18401:80' busybox \
		sh -c "$HELLO6" >/dev/null
	wait_for 10 bash -c "nsenter --net=/run/netns/$NS $TEST_ROOTFS/bin/busybox nc -w 2 fd00:99::1 18400 </dev/null | grep -q hello6"
	wait_for 10 bash -c "nsenter --net=/run/netns/$NS $TEST_ROOTFS/bin/busybox nc -w 2 fd00:99::1 18401 </dev/null | grep -q hello6"
	# and over IPv4 as before
	wait_for 10 bash -c "nsenter --net=/run/netns/$NS $TEST_ROOTFS/bin/busybox nc -w 2 127.0.0.1 18400 </dev/null | grep -q hello6"
	run hn port web
	assert_contains "$output" "80/tcp -> [fd00:99::1]:18401"
	run in_ns nft list table ip6 hako
	assert_contains "$output" "fd00:99::1 . 18401 : fd00:181::3 . 80"
	# the IPv6 loopback cannot be published (the kernel routes no ::1
	# traffic off lo): a clear error, nothing made
	run hn run --rm --network v6a -p '[::1]:18402:80' busybox true
	assert_ne "$status" 0
	assert_contains "$output" "IPv6 loopback"
	# teardown leaves nothing: rows, bridge, veths, nft tables
	hn rm -f srv cli web >/dev/null
	assert_eq "$(net_sql "SELECT count(*) FROM endpoints")" 0
	hn network rm v6a >/dev/null
	in_ns ip link del hkt6a
	assert_eq "$(net_sql "SELECT count(*) FROM networks WHERE subnet6 IS NOT NULL")" 0
	v6_nothing_left
}

test_net_ipv6_internal_pool_and_bad_input() {
	net_setup
	net_engine_setup
	hn network create --ipv6 --internal --subnet 10.182.0.0/24 --subnet fd00:182::/64 priv >/dev/null
	# --internal: IPv6 address, no default route
	run hn run --rm --network priv busybox ip -6 route
	assert_status 0
	assert_contains "$output" "fd00:182::/64"
	assert_not_contains "$output" "default"
	# without an IPv6 --subnet: the next free /64 of hako's ULA prefix
	hn network create --ipv6 auto1 >/dev/null
	hn network create --ipv6 auto2 >/dev/null
	local s1 s2
	s1=$(hn network inspect auto1 | jq -r '.[0].IPAM.Config[1].Subnet')
	s2=$(hn network inspect auto2 | jq -r '.[0].IPAM.Config[1].Subnet')
	assert_contains "$s1" "fd89:6861:6b6f:"
	assert_contains "$s2" "fd89:6861:6b6f:"
	assert_ne "$s1" "$s2"
	local nets
	nets=$(net_sql "SELECT count(*) FROM networks")
	# bad input: a clear error, no row
	run hn network create --ipv6 --subnet fd00:182:0:0:1::/80 over
	assert_ne "$status" 0
	assert_contains "$output" "IPv6 subnet fd00:182:0:0:1::/80 overlaps network priv"
	run hn network create --ipv6 --subnet fd00:183::/130 bad1
	assert_contains "$output" "invalid IPv6 subnet 'fd00:183::/130': prefix must be 48..124"
	run hn network create --ipv6 --subnet fd00::/8 bad2
	assert_contains "$output" "prefix must be 48..124"
	run hn network create --subnet fd00:184::/64 bad3
	assert_contains "$output" "needs --ipv6"
	run hn network create --ipv6 --subnet fd00:185::/64 --gateway fd00:186::1 bad4
	assert_contains "$output" "IPv6 gateway fd00:186::1 is not a host address of fd00:185::/64"
	assert_eq "$(net_sql "SELECT count(*) FROM networks")" "$nets"
	# --ip6 outside the subnet, taken, or on a network without IPv6
	run hn run --rm --network priv --ip6 fd00:999::5 busybox true
	assert_ne "$status" 0
	assert_contains "$output" "IPv6 address fd00:999::5 is not in subnet fd00:182::/64"
	hn network create --subnet 10.187.0.0/24 v4only >/dev/null
	run hn run --rm --network v4only --ip6 fd00:182::5 busybox true
	assert_ne "$status" 0
	assert_contains "$output" "network v4only has no IPv6"
	run hn run --rm --network v4only -p '[fd00:99::1]:18410:80' busybox true
	assert_ne "$status" 0
	assert_contains "$output" "network v4only has no IPv6"
	hn run -d --name holder --network priv --ip6 fd00:182::5 busybox sleep 60 >/dev/null
	run hn run --rm --network priv --ip6 fd00:182::5 busybox true
	assert_ne "$status" 0
	assert_contains "$output" "IPv6 address fd00:182::5 is already in use"
	assert_eq "$(net_sql "SELECT count(*) FROM endpoints")" 1 "only holder's endpoint"
	assert_eq "$(in_ns ip -o link show | grep -c hkv)" 1 "only holder's veth"
	# network connect --ip6
	hn network connect --ip6 "${s1%/64}ffff" auto1 holder
	run hn exec holder ip -6 addr show eth1
	assert_contains "$output" "${s1%/64}ffff/64"
	hn rm -f holder >/dev/null
	for n in priv auto1 auto2 v4only; do hn network rm "$n" >/dev/null; done
	assert_eq "$(net_sql "SELECT count(*) FROM endpoints")" 0
	v6_nothing_left
}

test_net_ipv6_crash_repair_frees_the_address() {
	net_setup
	net_engine_setup
	hn network create --ipv6 --subnet 10.188.0.0/24 --subnet fd00:188::/64 rep >/dev/null
	# a "container" whose namespace disappears without any teardown (a
	# crash): its veth goes with it, the next command reclaims the rows
	net_container c1
	hn network connect --netns "/run/netns/$NS-c1" --ip6 fd00:188::7 rep 0123456789ab0001 >/dev/null
	run in_c c1 ip -6 addr show eth0
	assert_contains "$output" "fd00:188::7/64"
	run hn run --rm --network rep --ip6 fd00:188::7 busybox true
	assert_ne "$status" 0
	assert_contains "$output" "already in use"
	ip netns del "$NS-c1"
	wait_for 5 bash -c "[ \$(nsenter --net=/run/netns/$NS ip -o link show | grep -c hkv) = 0 ]"
	run hn run --rm --network rep --ip6 fd00:188::7 busybox sh -c 'ip -6 addr show eth0'
	assert_status 0
	assert_contains "$output" "fd00:188::7/64"
	assert_eq "$(net_sql "SELECT count(*) FROM endpoints")" 0
	hn network rm rep >/dev/null
	v6_nothing_left
}
