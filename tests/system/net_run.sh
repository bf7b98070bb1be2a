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

test_net_run_default_network_lists_no_peers() {
	net_setup
	net_engine_setup
	# as docker's default bridge: no names between containers, so a
	# container coming or going rewrites no other container's hosts file
	hn run -d --name first busybox sleep 60 >/dev/null
	run hn run --rm --name second busybox cat /etc/hosts
	assert_status 0
	assert_contains "$(grep 10.89.0.3 <<<"$output")" "second"
	assert_not_contains "$output" "first"
	run hn exec first cat /etc/hosts
	assert_contains "$(grep 10.89.0.2 <<<"$output")" "first"
	assert_not_contains "$output" "second"
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
	assert_contains "$(in_ns nft list map ip hako pub_ip_tcp)" "127.0.0.1 . 18200 : 10.89.0.2 . 80"
	hn rm -f web >/dev/null
	assert_eq "$(net_sql 'select count(*) from endpoints') $(net_sql 'select count(*) from net_ports')" \
		"0 0" "rows gone with the container"
	# the pair goes with the container's namespace, which the kernel
	# destroys in the background (hako does not wait for it)
	wait_for 5 bash -c "! ip netns exec $NS ip -o link show | grep -q hkv"
	# the default bridge and its rules stay (as docker0), without the ports
	in_ns ip link show hako0 >/dev/null || fail "hako0 went with the last container"
	assert_not_contains "$(in_ns nft list table ip hako)" "18200"
	# pruning takes them away: nothing of hako is left in the namespace
	hn network prune -f >/dev/null
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

test_net_run_system_prune_leaves_nothing() {
	net_setup
	net_engine_setup
	hn network create --subnet 10.155.0.0/24 app >/dev/null
	hn run --rm --network app busybox true
	hn run --rm -p 18210:80 busybox true
	assert_eq "$(in_ns ip -o link show | grep -c 'hkbr\|hako0')" 2 "both bridges stay"
	run hn system prune -f
	assert_status 0
	assert_contains "$output" "Deleted Networks:
app"
	assert_eq "$(in_ns ip -o link show | grep -c 'hkv\|hkbr\|hako0' || true)" 0 "no veth or bridge left"
	run in_ns nft list table ip hako
	assert_status 1
	assert_eq "$(net_sql 'select count(*) from endpoints') $(net_sql 'select count(*) from networks where up')" \
		"0 0"
	# and the next container brings the default network up again
	run hn run --rm busybox ip -4 -o addr show eth0
	assert_contains "$output" "10.89.0.2/16"
}

test_net_run_inspect_network_settings() {
	net_setup
	net_engine_setup
	hn network create --subnet 10.156.0.0/24 app >/dev/null
	hn run -d --name web --network app --network-alias www -p 127.0.0.1:18220:80 -p 81/udp \
		busybox sleep 60 >/dev/null
	run hn inspect web
	assert_status 0
	ns=$(echo "$output" | jq -c '.[0].NetworkSettings')
	assert_eq "$(echo "$ns" | jq -r '.Networks.app.IPAddress')" 10.156.0.2
	assert_eq "$(echo "$ns" | jq -r '.Networks.app.IPPrefixLen')" 24
	assert_eq "$(echo "$ns" | jq -r '.Networks.app.Gateway')" 10.156.0.1
	assert_eq "$(echo "$ns" | jq -r '.Networks.app.MacAddress')" 02:42:0a:9c:00:02
	assert_eq "$(echo "$ns" | jq -r '.Networks.app.Aliases | join(",")')" www
	assert_eq "$(echo "$ns" | jq -r '.Networks.app.NetworkID')" \
		"$(hn network inspect app | jq -r '.[0].Id')"
	assert_eq "$(echo "$ns" | jq -r '.Networks.app.EndpointID')" \
		"$(hn network inspect app | jq -r '.[0].Containers[].EndpointID')"
	assert_eq "$(echo "$ns" | jq -c '.Ports["80/tcp"]')" '[{"HostIp":"127.0.0.1","HostPort":"18220"}]'
	assert_eq "$(echo "$ns" | jq -r '.Ports["81/udp"][0].HostPort')" \
		"$(hn port web 81/udp | sed 's/.*://')"
	pid=$(hn inspect -f '{{.State.Pid}}' web)
	assert_eq "$(echo "$ns" | jq -r '.SandboxKey')" "/proc/$pid/ns/net"
	assert_eq "$(echo "$output" | jq -c '.[0].HostConfig.PortBindings["80/tcp"]')" \
		'[{"HostIp":"127.0.0.1","HostPort":"18220"}]'
	# docker's -f path into it
	assert_eq "$(hn inspect -f '{{.NetworkSettings.Networks.app.IPAddress}}' web)" 10.156.0.2
	# stopped: the network is named, without an address; the ports are unmapped
	hn kill web >/dev/null
	wait_for 10 bash -c "[ \"\$(nsenter --net=/run/netns/$NS $HAKO_BIN --root $TEST_TMP/root --runroot $TEST_TMP/run inspect -f '{{.State.Status}}' web)\" = exited ]"
	run hn inspect web
	assert_eq "$(echo "$output" | jq -r '.[0].NetworkSettings.Networks.app.IPAddress')" ""
	assert_eq "$(echo "$output" | jq -c '.[0].NetworkSettings.Ports["80/tcp"]')" null
}

test_net_run_port_ranges() {
	net_setup
	net_engine_setup
	hn run -d --name rng -p 127.0.0.1:18240-18242:9000-9002 -p 18243-18244:18243-18244/udp \
		-p 127.0.0.1::80 -p 127.0.0.1:18250-18259:7000 -v "$TEST_ROOTFS/bin:/hkbin:ro" \
		busybox sleep 60 >/dev/null
	run hn port rng
	assert_contains "$output" "9000/tcp -> 127.0.0.1:18240"
	assert_contains "$output" "9001/tcp -> 127.0.0.1:18241"
	assert_contains "$output" "9002/tcp -> 127.0.0.1:18242"
	assert_contains "$output" "18243/udp -> 0.0.0.0:18243"
	assert_contains "$output" "18244/udp -> 0.0.0.0:18244"
	assert_contains "$output" "7000/tcp -> 127.0.0.1:18250" "the first free port of the range"
	[[ $output =~ 80/tcp\ -\>\ 127.0.0.1:[1-9][0-9]* ]] || fail "no random port for 80: $output"
	assert_eq "$(hn inspect rng | jq -c '.[0].HostConfig.PortBindings["9001/tcp"]')" \
		'[{"HostIp":"127.0.0.1","HostPort":"18241"}]'
	# ps shows them as docker: by port, runs merged
	run hn ps --format '{{.Ports}}' -f name=rng
	assert_contains "$output" "127.0.0.1:18250->7000/tcp, 127.0.0.1:18240-18242->9000-9002/tcp, 0.0.0.0:18243-18244->18243-18244/udp"
	[[ $output =~ ^127.0.0.1:[1-9][0-9]*-\>80/tcp,\  ]] || fail "80 first: $output"
	# traffic through a port of the range, tcp and udp
	hn exec -d rng sh -c 'echo tcp-9001 | nc -l -p 9001' >/dev/null
	wait_for 10 bash -c "nsenter --net=/run/netns/$NS $TEST_ROOTFS/bin/busybox nc 127.0.0.1 18241 </dev/null | grep -q tcp-9001"
	hn exec -d rng sh -c 'exec /hkbin/hk-testhelper udp-echo 18244' >/dev/null
	assert_eq "$(in_ns "$TEST_ROOTFS/bin/hk-testhelper" udp-ask 127.0.0.1 18244 hi)" "echo:hi"
	# a second container finds 18250 taken and gets the next port of the range
	hn run -d --name rng2 -p 127.0.0.1:18250-18259:7000 busybox sleep 60 >/dev/null
	assert_eq "$(hn port rng2 7000)" "127.0.0.1:18251"
	# bad ranges are clear errors and leave nothing
	run hn run --rm -p 18260-18262:9000-9001 busybox true
	assert_status 125
	assert_contains "$output" "the host and container ranges differ in length"
	run hn run --rm -p 9002-9000 busybox true
	assert_status 125
	assert_contains "$output" "container port must be 1..65535 (or a range N-M)"
	run hn run --rm -p 127.0.0.1:18240-18242:9000-9002 busybox true
	assert_status 125
	assert_contains "$output" "already published by container"
}

test_net_run_ports_follow_restart_and_reconnect() {
	net_setup
	net_engine_setup
	hn run -d --name web -p 127.0.0.1:18270:80 busybox sh -c "$HELLO_SERVER" >/dev/null
	fetch_web() { nsenter --net=/run/netns/$NS "$TEST_ROOTFS/bin/busybox" nc 127.0.0.1 18270 </dev/null; }
	wait_for 10 bash -c "$(declare -f fetch_web); NS=$NS TEST_ROOTFS=$TEST_ROOTFS fetch_web | grep -q hello-from-web"
	hn restart -t 0 web >/dev/null
	assert_eq "$(hn port web 80)" "127.0.0.1:18270" "published again after a restart"
	wait_for 10 bash -c "$(declare -f fetch_web); NS=$NS TEST_ROOTFS=$TEST_ROOTFS fetch_web | grep -q hello-from-web"
	# disconnected, the port goes; connected again, it comes back
	hn network disconnect bridge web
	assert_eq "$(hn port web)" ""
	assert_not_contains "$(in_ns nft list table ip hako)" "18270"
	hn network connect bridge web
	assert_eq "$(hn port web 80)" "127.0.0.1:18270"
	wait_for 10 bash -c "$(declare -f fetch_web); NS=$NS TEST_ROOTFS=$TEST_ROOTFS fetch_web | grep -q hello-from-web"
	# a second network does not publish them twice
	hn network create --subnet 10.157.0.0/24 side >/dev/null
	hn network connect side web
	assert_eq "$(hn port web | wc -l)" 1
}

test_net_run_container_mode_follows_a_restart() {
	net_setup
	net_engine_setup
	hn run -d --name base busybox sleep 120 >/dev/null
	hn run -d --name side --network container:base busybox sleep 120 >/dev/null
	assert_contains "$(hn exec side ip -4 -o addr show eth0)" "10.89.0.2/16"
	hn restart -t 0 base >/dev/null
	# as docker: the joined container keeps the old namespace until it is
	# restarted itself, and then joins the new one.  The old namespace
	# outlives base's processes (side holds it), so base's veth there is
	# deleted by hako, not left holding an address handed out again
	side_lost_eth0() { ! hn exec side ip -o link show eth0 >/dev/null 2>&1; }
	wait_for 5 side_lost_eth0
	assert_eq "$(hn exec side ip -o link | grep -c eth || true)" 0 "the old namespace has loopback only"
	hn restart -t 0 side >/dev/null
	assert_eq "$(hn exec side readlink /proc/self/ns/net)" "$(hn exec base readlink /proc/self/ns/net)"
	assert_contains "$(hn exec side ip -4 -o addr show eth0)" "10.89.0."
	# the other container stopped: a clear error, not a broken namespace
	hn stop -t 0 base >/dev/null
	hn stop -t 0 side >/dev/null
	run hn start side
	assert_ne "$status" 0
	assert_contains "$output" "container base is not running"
}

test_net_run_several_networks_and_connect_persists() {
	net_setup
	net_engine_setup
	hn network create --subnet 10.161.0.0/24 na >/dev/null
	hn network create --subnet 10.162.0.0/24 nb >/dev/null
	hn network create --subnet 10.163.0.0/24 nc >/dev/null
	hn run -d --name srvb --network nb busybox sleep 60 >/dev/null
	# docker >= 25: --network again joins one more network (eth1, ...)
	hn run -d --name multi --network na --network nb busybox sleep 60 >/dev/null
	run hn exec multi ip -4 -o addr show
	assert_contains "$output" "eth0    inet 10.161.0."
	assert_contains "$output" "eth1    inet 10.162.0."
	assert_eq "$(hn inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' multi)" \
		"na nb "
	# the DNS server answers for every network the container is on
	run hn exec multi nslookup srvb
	assert_status 0
	assert_contains "$output" "10.162.0.2"
	# a network connected later stays across a restart, and goes with
	# a disconnect
	hn network connect nc multi
	hn restart -t 0 multi >/dev/null
	assert_contains "$(hn exec multi ip -4 -o addr show)" "eth2    inet 10.163.0."
	run hn network connect nc multi
	assert_status 125
	assert_contains "$output" "already connected to network nc"
	hn network disconnect nc multi
	hn restart -t 0 multi >/dev/null
	assert_not_contains "$(hn exec multi ip -4 -o addr show)" "10.163.0."
	# a stopped container joins at its next start
	hn stop -t 0 multi >/dev/null
	hn network connect --alias third nc multi
	hn start multi >/dev/null
	assert_contains "$(hn exec multi ip -4 -o addr show)" "10.163.0."
	run hn run --rm --network nc busybox nslookup third
	assert_contains "$output" "10.163.0."
	# bad combinations: clear errors, nothing created
	run hn run --rm --network na --network na busybox true
	assert_status 125
	assert_contains "$output" "network na given twice"
	run hn run --rm --network na --network host busybox true
	assert_status 125
	assert_contains "$output" "host cannot be combined with other networks"
	run hn run --rm --network none --network na busybox true
	assert_status 125
	assert_contains "$output" "cannot be combined"
	run hn run --rm --network na --network nosuch busybox true
	assert_status 125
	assert_contains "$output" "network nosuch not found"
	assert_eq "$(hn ps -aq | wc -l)" 2 "no container left by the errors"
}

test_net_create_range_aux_bridge_name_mtu() {
	net_setup
	net_engine_setup
	hn network create --subnet 10.171.0.0/24 --ip-range 10.171.0.128/28 \
		--aux-address router=10.171.0.128 -o com.docker.network.bridge.name=hkt-br0 \
		-o com.docker.network.driver.mtu=1400 --attachable opt >/dev/null
	run hn network inspect opt
	assert_eq "$(jq -r '.[0].IPAM.Config[0].IPRange' <<<"$output")" "10.171.0.128/28"
	assert_eq "$(jq -r '.[0].IPAM.Config[0].AuxiliaryAddresses.router' <<<"$output")" "10.171.0.128"
	assert_eq "$(jq -r '.[0].Options["com.docker.network.driver.mtu"]' <<<"$output")" 1400
	# dynamic addresses come from the range, past the reserved one
	hn run -d --name r1 --network opt busybox sleep 60 >/dev/null
	assert_contains "$(hn exec r1 ip -4 -o addr show eth0)" "10.171.0.129/24"
	assert_contains "$(hn exec r1 ip -o link show eth0)" "mtu 1400"
	assert_contains "$(in_ns ip -o link show hkt-br0)" "mtu 1400"
	# a fixed address may be outside the range, inside the subnet
	hn run -d --name r2 --network opt --ip 10.171.0.5 busybox sleep 60 >/dev/null
	assert_contains "$(hn exec r2 ip -4 -o addr show eth0)" "10.171.0.5/24"
	run hn run --rm --network opt --ip 10.171.0.128 busybox true
	assert_status 125
	assert_contains "$output" "already in use"
	hn rm -f r1 r2 >/dev/null
	hn network rm opt >/dev/null
	run in_ns ip link show hkt-br0
	assert_ne "$status" 0 "the named bridge goes with the network"
	# bad input: clear errors, no row
	run hn network create --ip-range 10.172.0.0/28 a
	assert_status 125
	assert_contains "$output" "--ip-range needs --subnet"
	run hn network create --subnet 10.172.0.0/24 --ip-range 10.173.0.0/28 a
	assert_contains "$output" "is not inside the subnet"
	run hn network create --subnet 10.172.0.0/24 --aux-address 10.172.0.9 a
	assert_contains "$output" "expected NAME=IPv4"
	run hn network create --subnet 10.172.0.0/24 --aux-address gw=10.172.0.1 a
	assert_contains "$output" "not a free host address"
	run hn network create -o com.docker.network.driver.mtu=10 a
	assert_contains "$output" "invalid MTU '10'"
	run hn network create -o com.docker.network.bridge.enable_icc=false a
	assert_contains "$output" "unsupported driver option"
	run hn network create -o com.docker.network.bridge.name=lo a
	assert_contains "$output" "this host has such a device"
	run hn network create -o com.docker.network.bridge.name=much-too-long-bridge a
	assert_contains "$output" "invalid bridge name"
	assert_eq "$(net_sql 'select count(*) from networks')" 0 "no network row left"
}
