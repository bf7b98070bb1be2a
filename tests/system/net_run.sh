# hako run on networks: names, published ports, none, connect/disconnect.
source "$TOP/tests/system/net_lib.sh"

# An echo server on TCP port 7 (and a "hello" one on 80) in busybox.
ECHO_SERVER='while true; do nc -l -p 7 -e cat; done'
HELLO_SERVER='while true; do echo hello-from-web | nc -l -p 80; done'

test_net_run_containers_reach_each_other_by_name() {
	net_setup
	net_engine_setup
	hn network create --subnet 10.151.0.0/24 app >/dev/null
	hn run -d --name srv --network app --network-alias db busybox sh -c "$ECHO_SERVER" >/dev/null
	# compose style: the client finds the server by name and by alias
	run hn run --rm --network app busybox sh -c \
		'ping -c 1 -W 2 srv >/dev/null && ping -c 1 -W 2 db >/dev/null &&
		 echo ping-pong | nc -w 2 db 7'
	assert_status 0
	assert_eq "$output" "ping-pong"
	run hn run --rm --network app --name cli busybox cat /etc/hosts
	assert_contains "$output" "10.151.0.2	srv	db"
	assert_contains "$output" "cli"
	# a later container shows up in the hosts file of the running one
	hn run -d --name late --network app busybox sleep 30 >/dev/null
	run hn exec srv cat /etc/hosts
	assert_contains "$output" "late"
	# on another network the name does not resolve
	hn network create --subnet 10.152.0.0/24 other >/dev/null
	run hn run --rm --network other busybox ping -c 1 -W 1 srv
	assert_ne "$status" 0 "srv is not on network other"
}

test_net_run_published_port_and_hako_port() {
	net_setup
	net_engine_setup
	hn run -d --name web -p 127.0.0.1:18200:80 -p 81 busybox sh -c "$HELLO_SERVER" >/dev/null
	wait_for 10 bash -c "nsenter --net=/run/netns/$NS $TEST_ROOTFS/bin/busybox nc 127.0.0.1 18200 </dev/null | grep -q hello-from-web"
	run hn port web
	assert_contains "$output" "80/tcp -> 127.0.0.1:18200"
	assert_contains "$output" "81/tcp -> 0.0.0.0:"
	assert_eq "$(hn port web 80)" "127.0.0.1:18200"
	# the default network is the bridge
	assert_eq "$(hn network inspect bridge | jq -r '.[0].Containers | length')" 1
	hn rm -f web >/dev/null
	assert_eq "$(net_sql 'select count(*) from endpoints') $(net_sql 'select count(*) from net_ports')" \
		"0 0" "rows gone with the container"
	assert_eq "$(in_ns ip -o link show | grep -c 'hkv\|hako0' || true)" 0 "no veth or bridge left"
	run in_ns nft list table ip hako
	assert_status 1
}

test_net_run_none_has_only_loopback() {
	net_setup
	net_engine_setup
	run hn run --rm --network none busybox sh -c 'ls /sys/class/net'
	assert_status 0
	assert_eq "$output" "lo"
	run hn run --rm --network none -p 80 busybox true
	assert_status 125
	assert_contains "$output" "need a bridge network"
	run hn run --rm --network nosuch busybox true
	assert_status 125
	assert_contains "$output" "network nosuch not found"
	run hn run --rm --network none --add-host gw:192.0.2.1 --dns 192.0.2.53 busybox \
		sh -c 'cat /etc/hosts /etc/resolv.conf'
	assert_contains "$output" "192.0.2.1	gw"
	assert_contains "$output" "nameserver 192.0.2.53"
}

test_net_connect_running_container() {
	net_setup
	net_engine_setup
	hn network create --subnet 10.153.0.0/24 front >/dev/null
	hn network create --subnet 10.154.0.0/24 back >/dev/null
	hn run -d --name box --network front --ip 10.153.0.77 busybox sleep 60 >/dev/null
	run hn exec box ip -4 -o addr show eth0
	assert_contains "$output" "10.153.0.77/24"
	hn network connect --alias store back box
	run hn exec box ip -4 -o addr show eth1
	assert_contains "$output" "10.154.0.2/24"
	assert_eq "$(hn network inspect back | jq -r '.[0].Containers[].Name')" box
	hn network disconnect back box
	run hn exec box ip -o link show eth1
	assert_ne "$status" 0 "eth1 gone"
	run hn network disconnect back box
	assert_status 125
	assert_contains "$output" "not connected to network back"
}
