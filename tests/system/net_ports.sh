# Published ports: DNAT from the host's loopback and its other addresses.
source "$TOP/tests/system/net_lib.sh"

# serve C PORT TEXT: a one-shot TCP server in stand-in container C.
serve() {
	in_c "$1" timeout 10 "$TEST_ROOTFS/bin/busybox" nc -l -p "$2" -e echo "$3" &
	defer "kill $! 2>/dev/null"
	wait_for 5 bash -c "ip netns exec $NS-$1 ss -ltn | grep -q ':$2 '"
}

fetch() { in_ns timeout 5 "$TEST_ROOTFS/bin/busybox" nc "$1" "$2" </dev/null; }

test_net_publish_on_loopback() {
	net_setup
	hn network create --subnet 10.141.0.0/24 web >/dev/null
	net_container c1
	run hn network connect --netns "/run/netns/$NS-c1" -p 127.0.0.1:18080:80 web c1
	assert_status 0
	assert_contains "$output" "80/tcp -> 127.0.0.1:18080"
	serve c1 80 hello-from-c1
	assert_eq "$(fetch 127.0.0.1 18080)" hello-from-c1
	# only on the loopback address it was published on
	assert_contains "$(in_ns nft list map ip hako pub_ip_tcp)" "127.0.0.1 . 18080 : 10.141.0.2 . 80"
	assert_not_contains "$(in_ns nft list map ip hako pub_tcp)" "18080"
}

test_net_publish_all_addresses_and_random_port() {
	net_setup
	# another address of the "host", on an interface other than lo
	in_ns ip link add hk-x type veth peer name hk-y
	in_ns ip addr add 192.0.2.10/24 dev hk-x
	in_ns ip link set hk-x up
	in_ns ip link set hk-y up
	hn network create --subnet 10.142.0.0/24 web >/dev/null
	net_container c1
	net_container c2
	hn network connect --netns "/run/netns/$NS-c1" -p 18090:90 web c1
	serve c1 90 one
	assert_eq "$(fetch 192.0.2.10 18090)" one "through a host address"
	serve c1 90 two
	assert_eq "$(fetch 127.0.0.1 18090)" two "through the loopback"
	# hairpin: a peer on the same bridge through the gateway's published port
	serve c1 90 three
	assert_eq "$(in_c c2 true; hn network connect --netns "/run/netns/$NS-c2" web c2 &&
		in_c c2 timeout 5 "$TEST_ROOTFS/bin/busybox" nc 10.142.0.1 18090 </dev/null)" three

	# -p CONTAINER picks a free host port
	net_container c3
	run hn network connect --netns "/run/netns/$NS-c3" -p 91/udp -p 127.0.0.1::92 web c3
	assert_status 0
	port=$(echo "$output" | sed -n 's|^92/tcp -> 127.0.0.1:||p')
	[[ $port =~ ^[0-9]+$ ]] && ((port > 0)) || fail "no random port in: $output"
	assert_contains "$output" "91/udp -> 0.0.0.0:"
	serve c3 92 random
	assert_eq "$(fetch 127.0.0.1 "$port")" random
}

test_net_taken_host_port_is_a_clear_error() {
	net_setup
	hn network create --subnet 10.143.0.0/24 web >/dev/null
	in_ns timeout 20 "$TEST_ROOTFS/bin/busybox" nc -l -p 18100 >/dev/null &
	defer "kill $! 2>/dev/null"
	wait_for 5 bash -c "ip netns exec $NS ss -ltn | grep -q ':18100 '"
	net_container c1
	run hn network connect --netns "/run/netns/$NS-c1" -p 18100:80 web c1
	assert_status 125
	assert_contains "$output" "host port 0.0.0.0:18100/tcp is already in use by another program"
	assert_eq "$(net_sql 'select count(*) from endpoints') $(net_sql 'select count(*) from net_ports')" \
		"0 0" "no rows left"
	assert_eq "$(in_ns ip -o link show | grep -c 'hkv\|hkbr' || true)" 0 "no veth or bridge"
	assert_eq "$(in_c c1 ip -o link | grep -c eth0 || true)" 0

	# two containers cannot publish the same host port
	hn network connect --netns "/run/netns/$NS-c1" -p 18101:80 web c1
	net_container c2
	run hn network connect --netns "/run/netns/$NS-c2" -p 127.0.0.1:18101:80 web c2
	assert_status 125
	assert_contains "$output" "host port 18101/tcp is already published by container c1"
	run hn network connect --netns "/run/netns/$NS-c2" -p 99999 web c2
	assert_status 125
	assert_contains "$output" "container port must be 1..65535"
	run hn network connect --netns "/run/netns/$NS-c2" -p 80/sctp web c2
	assert_status 125
	assert_contains "$output" "protocol must be tcp or udp"
}

# Published ports are map elements: a container coming or going adds or
# deletes its elements and leaves the rules (and their handles) alone.
test_net_ports_change_only_map_elements() {
	net_setup
	hn network create --subnet 10.144.0.0/24 web >/dev/null
	net_container c1
	net_container c2
	hn network connect --netns "/run/netns/$NS-c1" -p 18110:80 web c1 >/dev/null
	rules() { in_ns nft -a list table ip hako | sed '/^\tmap /,/^\t}/d'; }
	before=$(rules)
	assert_contains "$before" "dnat ip to tcp dport map @pub_tcp"
	hn network connect --netns "/run/netns/$NS-c2" -p 18111:81/udp -p 127.0.0.1:18112:82 web c2 \
		>/dev/null
	assert_contains "$(in_ns nft list map ip hako pub_udp)" "18111 : 10.144.0.3 . 81"
	assert_contains "$(in_ns nft list map ip hako pub_ip_tcp)" "127.0.0.1 . 18112 : 10.144.0.3 . 82"
	hn network disconnect web c1
	assert_not_contains "$(in_ns nft list map ip hako pub_tcp)" "18110"
	assert_eq "$(rules)" "$before" "rules and handles untouched by containers"
	serve c2 82 still-there
	assert_eq "$(fetch 127.0.0.1 18112)" still-there
	# someone flushes the ruleset: the next change rebuilds the table
	in_ns nft flush ruleset
	net_container c3
	hn network connect --netns "/run/netns/$NS-c3" -p 18113:83 web c3 >/dev/null
	assert_contains "$(in_ns nft list map ip hako pub_tcp)" "18113 : 10.144.0.2 . 83" \
		"c1's address again"
	assert_contains "$(in_ns nft list map ip hako pub_ip_tcp)" "127.0.0.1 . 18112"
}
