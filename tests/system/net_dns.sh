# The DNS responder of user networks (hako-dns): names by DNS, scoping per
# network, forwarding, the process's life.  Everything runs in the test's
# network namespace; "upstream" is hk-testhelper's fake resolver on the
# namespace's loopback (HAKO_DNS_UPSTREAM), so no query ever leaves it.
source "$TOP/tests/system/net_lib.sh"

ECHO_SERVER='while true; do nc -l -p 7 -e cat; done'
HELLO_SERVER='while true; do echo hello-from-web | nc -l -p 80; done'

# dns_setup: namespace, image, and the fake upstream resolver.
dns_setup() {
	net_setup
	net_engine_setup
	export HAKO_DNS_UPSTREAM=127.0.0.1:5354
	# nsenter execs the helper: $! is its pid
	nsenter --net="/run/netns/$NS" "$TEST_ROOTFS/bin/hk-testhelper" dns-upstream 127.0.0.1 5354 \
		>"$TEST_TMP/upstream.log" &
	UPSTREAM_PID=$!
	defer "kill $UPSTREAM_PID"
	wait_for 5 grep -q ready "$TEST_TMP/upstream.log"
}

# The responder's pid (from its lock file), empty when none runs.
dns_pid() {
	local p
	p=$(cat "$TEST_TMP/run/dns/lock" 2>/dev/null) || return 0
	[[ -n $p ]] && grep -qs hako-dns "/proc/$p/cmdline" && echo "$p"
	return 0
}
dns_gone() { [[ -z $(dns_pid) ]]; }

test_net_dns_names_aliases_and_scope() {
	dns_setup
	hn network create --subnet 10.161.0.0/24 app >/dev/null
	hn network create --subnet 10.162.0.0/24 other >/dev/null
	hn run -d --name srv --network app --network-alias db busybox sh -c "$ECHO_SERVER" >/dev/null
	hn run -d --name cli --network app -v "$HAKO_BIN_DIR/hk-testhelper:/hk:ro" busybox sleep 60 >/dev/null
	hn run -d --name far --network other busybox sleep 60 >/dev/null
	local id
	id=$(hn inspect -f '{{.Id}}' srv)
	run hn exec cli cat /etc/resolv.conf
	assert_contains "$output" "nameserver 10.161.0.1"
	assert_contains "$output" "options ndots:0"
	# nslookup asks the DNS server only (no /etc/hosts): name, alias,
	# case and trailing dot, NAME.NETWORK, short id
	for n in srv db SRV. Db.App "${id:0:12}"; do
		run hn exec cli nslookup "$n"
		assert_status 0
		assert_contains "$output" "Address: 10.161.0.2" "lookup of $n"
	done
	# over TCP, several queries on one connection
	run hn exec cli /hk dns-bench 10.161.0.1 tcp:53 srv 3
	assert_status 0
	assert_contains "$output" "answered 3"
	assert_contains "$output" "first 10.161.0.2"
	# garbage on the wire changes nothing
	hn exec cli sh -c 'for i in 1 2 3 4 5 6 7 8; do
		head -c $((i * 37)) /dev/urandom | nc -u -w 1 10.161.0.1 53 &
	done; head -c 3000 /dev/urandom | nc -w 1 10.161.0.1 53 & wait' >/dev/null 2>&1 || true
	run hn exec cli /hk dns-bench 10.161.0.1 53 db 2
	assert_contains "$output" "answered 2"
	# reach it by a name only DNS knows (not in /etc/hosts)
	run hn exec cli sh -c 'echo ping-pong | nc -w 2 srv.app 7'
	assert_eq "$output" "ping-pong"
	run hn exec cli ping -c 1 -W 2 "${id:0:12}"
	assert_status 0
	# the reverse: NAME.NETWORK
	run hn exec cli nslookup 10.161.0.2
	assert_contains "$output" "srv.app"
	# another network's container never sees them: the name goes to the
	# upstream (which answers everything with 198.51.100.7)
	run hn exec far nslookup srv
	assert_not_contains "$output" "10.161.0.2"
	assert_contains "$output" "198.51.100.7"
	run hn exec far nslookup "${id:0:12}"
	assert_not_contains "$output" "10.161.0.2"
	# a removed container stops resolving at once
	hn rm -f srv >/dev/null
	run hn exec cli nslookup db
	assert_not_contains "$output" "10.161.0.2"
	# a container connected later resolves without any restart
	hn network connect --alias late-alias app far
	run hn exec cli nslookup late-alias
	assert_contains "$output" "Address: 10.161.0."
	# and disconnected, it is gone again
	hn network disconnect app far
	run hn exec cli nslookup late-alias
	assert_not_contains "$output" "Address: 10.161.0."
}

test_net_dns_forwarding_and_internal_networks() {
	dns_setup
	hn network create --subnet 10.163.0.0/24 pub >/dev/null
	hn network create --internal --subnet 10.164.0.0/24 priv >/dev/null
	hn run -d --name ca --network pub busybox sleep 60 >/dev/null
	run hn exec ca nslookup external.example
	assert_status 0
	assert_contains "$output" "198.51.100.7"
	run hn exec ca nslookup nxthing.example
	assert_contains "$output" "NXDOMAIN"
	# internal: names of the network resolve, nothing goes out
	hn run -d --name i1 --network priv busybox sleep 60 >/dev/null
	hn run -d --name i2 --network priv busybox sleep 60 >/dev/null
	run hn exec i1 nslookup i2
	assert_status 0
	assert_contains "$output" "Address: 10.164.0.3"
	run hn exec i1 nslookup external.example
	assert_not_contains "$output" "198.51.100.7"
	# all upstreams down: SERVFAIL, not silence
	kill "$UPSTREAM_PID"
	wait "$UPSTREAM_PID" || true
	run hn exec ca nslookup external.example
	assert_contains "$output" "SERVFAIL"
	# --dns overrides the responder; the default network keeps the host's
	run hn run --rm --network pub --dns 192.0.2.53 busybox cat /etc/resolv.conf
	assert_contains "$output" "nameserver 192.0.2.53"
	assert_not_contains "$output" "10.163.0.1"
	HAKO_NET_DEFAULT_SUBNET=10.165.0.0/24 run hn run --rm busybox cat /etc/resolv.conf
	assert_not_contains "$output" "10.165.0.1"
}

test_net_dns_process_lifecycle_and_repair() {
	dns_setup
	hn network create --subnet 10.166.0.0/24 life >/dev/null
	assert_eq "$(dns_pid)" "" "no responder before any container"
	hn run -d --name one --network life busybox sleep 60 >/dev/null
	local pid
	pid=$(dns_pid)
	[[ -n $pid ]] || fail "no responder after the first container"
	# survives the CLI; one per runroot, however many containers
	hn run -d --name two --network life busybox sleep 60 >/dev/null
	assert_eq "$(dns_pid)" "$pid"
	# killed: the next command brings it back
	kill -9 "$pid"
	wait_for 5 bash -c "! grep -qs hako-dns /proc/$pid/cmdline"
	run hn run --rm --network life busybox nslookup one
	assert_status 0
	assert_contains "$output" "Address: 10.166.0.2"
	local pid2
	pid2=$(dns_pid)
	[[ -n $pid2 && $pid2 != "$pid" ]] || fail "responder not restarted: '$pid2'"
	# the last container leaves: the responder goes
	hn rm -f one >/dev/null
	assert_eq "$(dns_pid)" "$pid2" "still serving two"
	hn rm -f two >/dev/null
	wait_for 5 dns_gone
	hn network rm life >/dev/null
	assert_no_file "$TEST_TMP/run/dns/records"
	# network rm -f with a container on it stops it too
	hn network create --subnet 10.167.0.0/24 gone >/dev/null
	hn run -d --name three --network gone busybox sleep 60 >/dev/null
	[[ -n $(dns_pid) ]] || fail "no responder for network gone"
	hn network rm -f gone >/dev/null
	wait_for 5 dns_gone
}

test_net_dns_compose_server_and_client() {
	dns_setup
	hn network create --subnet 10.168.0.0/24 compose >/dev/null
	hn run -d --name web --network compose -p 127.0.0.1:18310:80 busybox sh -c "$HELLO_SERVER" >/dev/null
	run hn run --rm --network compose busybox sh -c \
		'nslookup web >/dev/null && nc -w 2 web.compose 80 </dev/null'
	assert_status 0
	assert_eq "$output" "hello-from-web"
	wait_for 10 bash -c "nsenter --net=/run/netns/$NS $TEST_ROOTFS/bin/busybox nc 127.0.0.1 18310 </dev/null | grep -q hello-from-web"
}

test_net_dns_tcp_falls_back_to_udp_and_truncation_passes() {
	dns_setup
	hn network create --subnet 10.169.0.0/24 fb >/dev/null
	hn run -d --name cli --network fb -v "$HAKO_BIN_DIR/hk-testhelper:/hk:ro" busybox sleep 60 >/dev/null
	# the upstream takes no TCP (connection refused): a TCP query is
	# forwarded over UDP and answered over TCP (length-prefixed)
	run hn exec cli /hk dns-bench 10.169.0.1 tcp:53 external.example 2
	assert_status 0
	assert_contains "$output" "answered 2"
	assert_contains "$output" "first 198.51.100.7"
	# a truncated UDP answer reaches the client with TC set (with and
	# without its question), so it retries over TCP
	run hn exec cli /hk dns-bench 10.169.0.1 53 tcq.example 1
	assert_contains "$output" "tc 1"
	run hn exec cli /hk dns-bench 10.169.0.1 53 tc0.example 1
	assert_contains "$output" "tc 1"
	# an upstream that takes TCP gets the TCP query (it answers .8 there)
	hn rm -f cli >/dev/null
	wait_for 5 dns_gone
	nsenter --net="/run/netns/$NS" "$TEST_ROOTFS/bin/hk-testhelper" dns-upstream 127.0.0.1 5355 tcp \
		>"$TEST_TMP/upstream2.log" &
	local up2=$!
	defer "kill $up2"
	wait_for 5 grep -q ready "$TEST_TMP/upstream2.log"
	HAKO_DNS_UPSTREAM=127.0.0.1:5355 hn run -d --name cli2 --network fb \
		-v "$HAKO_BIN_DIR/hk-testhelper:/hk:ro" busybox sleep 60 >/dev/null
	run hn exec cli2 /hk dns-bench 10.169.0.1 tcp:53 tcq.example 1
	assert_contains "$output" "answered 1 tc 0"
	assert_contains "$output" "first 198.51.100.8"
}

# blocker ADDR udp|tcp: something else holding ADDR:53 in the test's
# namespace; prints its pid.
dns_blocker() {
	# nsenter execs python: $! is its pid
	nsenter --net="/run/netns/$NS" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[2] == "udp" else socket.SOCK_STREAM)
s.bind((sys.argv[1], 53))
if sys.argv[2] == "tcp":
    s.listen(1)
print("bound", flush=True)
time.sleep(120)' "$1" "$2" >"$TEST_TMP/blocker.log" 2>&1 &
	echo $!
}

test_net_dns_bind_failure_is_an_error() {
	require_cmd python3
	dns_setup
	hn network create --subnet 10.170.0.0/24 blocked >/dev/null
	hn network create --subnet 10.171.0.0/24 fine >/dev/null
	hn run -d --name ok1 --network fine busybox sleep 60 >/dev/null
	local pid
	pid=$(dns_pid)
	[[ -n $pid ]] || fail "no responder for network fine"
	# another server holds the gateway's port 53 (the address is on lo)
	in_ns ip addr add 10.170.0.1/32 dev lo
	local b
	b=$(dns_blocker 10.170.0.1 udp)
	defer "kill $b"
	wait_for 5 grep -q bound "$TEST_TMP/blocker.log"
	run hn run --rm --name nope --network blocked busybox true
	assert_ne "$status" 0
	assert_contains "$output" "blocked"
	assert_contains "$output" "DNS server cannot bind 10.170.0.1:53/udp: Address already in use"
	# nothing half-made: no rows, no veth, no container; the responder
	# keeps serving the other network
	assert_eq "$(net_sql "SELECT count(*) FROM endpoints WHERE network = 'blocked'")" 0
	assert_eq "$(in_ns ip -o link show | grep -c hkv)" 1 "only ok1's veth"
	assert_eq "$(hn ps -aq | wc -l)" 1
	assert_eq "$(dns_pid)" "$pid"
	run hn exec ok1 nslookup ok1
	assert_contains "$output" "Address: 10.171.0.2"
	# the same when the responder starts for this container (TCP taken)
	hn rm -f ok1 >/dev/null
	wait_for 5 dns_gone
	kill "$b"
	wait_for 5 bash -c "! kill -0 $b 2>/dev/null"
	b=$(dns_blocker 10.170.0.1 tcp)
	defer "kill $b"
	wait_for 5 grep -q bound "$TEST_TMP/blocker.log"
	run hn run -d --name nope2 --network blocked busybox sleep 60
	assert_ne "$status" 0
	assert_contains "$output" "DNS server cannot bind 10.170.0.1:53/tcp: Address already in use"
	assert_eq "$(net_sql "SELECT count(*) FROM endpoints")" 0
	assert_eq "$(in_ns ip -o link show | grep -c hkv)" 0
	wait_for 5 dns_gone
	# freed, it works
	kill "$b"
	wait_for 5 bash -c "! kill -0 $b 2>/dev/null"
	hn rm -f nope2 >/dev/null 2>&1 || true
	run hn run --rm --network blocked busybox nslookup blocked
	assert_status 0
}
