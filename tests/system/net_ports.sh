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
	assert_not_contains "$(in_ns nft list chain ip hako published)" "	tcp dport 18080"
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
