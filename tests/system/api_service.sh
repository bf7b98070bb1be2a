# hako system service: the Docker Engine API over a unix socket, driven with
# curl (always) and the docker CLI (when installed), plus hako events/info.

source "$TOP/tests/system/registry_lib.sh"
source "$TOP/tests/system/net_lib.sh"

# Start the service on a socket in $TEST_TMP; sets SOCK and SVC_PID.  With
# API_NETNS=1 the service (and so every container it starts on a bridge
# network) lives in a network namespace of the test's own ($NS, net_lib.sh):
# bridges, NAT and published ports never touch the host's.
api_start() {
	local pre=()
	if [ "${API_NETNS:-}" = 1 ]; then
		net_setup
		pre=(nsenter --net="/run/netns/$NS")
	fi
	hako image build-default >/dev/null
	defer api_cleanup
	SOCK=$TEST_TMP/docker.sock
	HAKO_DEFAULT_NETWORK=${HAKO_DEFAULT_NETWORK:-none} "${pre[@]}" "$HAKO_BIN" --root "$TEST_TMP/root" \
		--runroot "$TEST_TMP/run" system service --listen "unix://$SOCK" \
		>"$TEST_TMP/service.log" 2>&1 &
	SVC_PID=$!
	defer "kill $SVC_PID 2>/dev/null; wait $SVC_PID 2>/dev/null"
	wait_for 10 test -S "$SOCK" || fail "the service did not start: $(cat "$TEST_TMP/service.log")"
}

api_cleanup() {
	local id h=(hako)
	[ "${API_NETNS:-}" = 1 ] && h=(hn)
	for id in $("${h[@]}" ps -aq --no-trunc 2>/dev/null); do "${h[@]}" rm -f "$id" >/dev/null 2>&1; done
}

# api METHOD PATH [BODY]: sets $code and $body.
api() {
	local out
	out=$(curl -s --max-time 30 --unix-socket "$SOCK" -X "$1" -w '\n%{http_code}' \
		-H 'Content-Type: application/json' ${3:+--data-binary "$3"} "http://d$2")
	code=${out##*$'\n'}
	body=${out%$'\n'*}
}

need_docker() {
	command -v docker >/dev/null 2>&1 || skip "no docker client on this machine"
	export DOCKER_HOST=unix://$SOCK
}

alive() { kill -0 "$SVC_PID" 2>/dev/null || fail "the service died: $(cat "$TEST_TMP/service.log")"; }

test_api_ping_version_socket_mode() {
	api_start
	api GET /_ping
	assert_eq "$code" 200
	assert_eq "$body" OK
	run curl -sI --unix-socket "$SOCK" http://d/_ping
	assert_contains "$output" "Api-Version: 1.41"
	run curl -s -o /dev/null -w '%{http_code}' --head --unix-socket "$SOCK" http://d/_ping
	assert_eq "$output" 200
	api GET /v1.41/version
	assert_eq "$code" 200
	assert_eq "$(jq -r .ApiVersion <<<"$body")" 1.41
	api GET /v1.99/version
	assert_eq "$code" 400
	assert_contains "$(jq -r .message <<<"$body")" "too new"
	assert_eq "$(stat -c %a "$SOCK")" 660
}

test_api_container_lifecycle_curl() {
	api_start
	api POST "/v1.41/containers/create?name=c1" \
		'{"Image":"busybox","Cmd":["sh","-c","echo out; echo err >&2; sleep 100"],"Labels":{"k":"v"},"HostConfig":{"NetworkMode":"none"}}'
	assert_eq "$code" 201 "create: $body"
	local id
	id=$(jq -r .Id <<<"$body")
	# the API's container is hako's
	run hako ps -a --format '{{.Names}}'
	assert_contains "$output" c1
	api POST "/v1.41/containers/$id/start"
	assert_eq "$code" 204 "start: $body"
	api POST "/v1.41/containers/$id/start"
	assert_eq "$code" 304
	api GET "/v1.41/containers/json?filters=%7B%22label%22%3A%5B%22k%3Dv%22%5D%7D"
	assert_eq "$(jq -r '.[0].Names[0]' <<<"$body")" /c1
	api GET "/v1.41/containers/c1/json"
	assert_eq "$(jq -r .State.Status <<<"$body")" running
	wait_for 5 sh -c "curl -s --unix-socket '$SOCK' 'http://d/containers/c1/logs?stdout=1&stderr=1' | grep -q err"
	# multiplexed framing: stream 1 for stdout, 2 for stderr
	run sh -c "curl -s --unix-socket '$SOCK' 'http://d/containers/c1/logs?stdout=1&stderr=1' | od -An -tu1 -N1"
	assert_eq "$(echo $output)" 1
	api GET "/v1.41/containers/c1/top"
	assert_contains "$body" "sleep 100"
	# docker cp's archive: the path's stat in a header, the file as a tar
	run curl -s -o /dev/null -D - --head --unix-socket "$SOCK" "http://d/v1.41/containers/c1/archive?path=/etc/hostname"
	assert_contains "$output" "X-Docker-Container-Path-Stat"
	run sh -c "curl -s --unix-socket '$SOCK' 'http://d/v1.41/containers/c1/archive?path=/etc/hostname' | tar -tf -"
	assert_eq "$output" hostname
	api GET "/v1.41/containers/c1/archive?path=/no/such"
	assert_eq "$code" 404
	api POST "/v1.41/containers/c1/pause"
	assert_eq "$code" 204
	api POST "/v1.41/containers/c1/unpause"
	assert_eq "$code" 204
	api POST "/v1.41/containers/c1/rename?name=c2"
	assert_eq "$code" 204
	api DELETE "/v1.41/containers/c2"
	assert_eq "$code" 409
	api POST "/v1.41/containers/c2/stop?t=1"
	assert_eq "$code" 204
	api POST "/v1.41/containers/c2/wait"
	assert_eq "$(jq -r .StatusCode <<<"$body")" 137
	api DELETE "/v1.41/containers/c2"
	assert_eq "$code" 204
	api GET "/v1.41/containers/c2/json"
	assert_eq "$code" 404
	assert_eq "$(jq -r .message <<<"$body")" "No such container: c2"
	alive
}

test_api_bad_requests() {
	api_start
	api POST /v1.41/containers/create '{bad json'
	assert_eq "$code" 400
	api POST /v1.41/containers/create '{"Image":"busybox","HostConfig":{"Devices":[{"PathOnHost":"/dev/sda"}]}}'
	assert_eq "$code" 400
	assert_contains "$body" "HostConfig.Devices"
	api POST /v1.41/containers/create '{"Image":"no-such-image"}'
	assert_eq "$code" 404
	assert_contains "$body" "No such image"
	api POST /v1.41/containers/nope/start
	assert_eq "$code" 404
	api GET /v1.41/nope
	assert_eq "$code" 404
	api PUT /v1.41/info
	assert_eq "$code" 405
	api POST "/v1.41/containers/create?name=dup" '{"Image":"busybox","HostConfig":{"NetworkMode":"none"}}'
	assert_eq "$code" 201
	api POST "/v1.41/containers/create?name=dup" '{"Image":"busybox","HostConfig":{"NetworkMode":"none"}}'
	assert_eq "$code" 409
	api GET "/v1.41/containers/json?filters=notjson"
	assert_eq "$code" 400
	api GET "/v1.41/events?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D"
	assert_eq "$code" 400
	api GET /v1.41/exec/nope/json
	assert_eq "$code" 404
	head -c 5000000 /dev/zero >"$TEST_TMP/big"
	run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X POST \
		--data-binary @"$TEST_TMP/big" http://d/v1.41/containers/create
	assert_eq "$output" 413
	# clients that send half a request and wait (slowloris) do not block others
	if command -v python3 >/dev/null; then
		python3 -c '
import socket, sys, time
ss = []
for i in range(20):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    s.send(b"GET /_ping HTTP/1.1\r\nHost: d\r\n"); ss.append(s)
time.sleep(5)' "$SOCK" &
		local slow=$!
		defer "kill $slow 2>/dev/null"
		sleep 0.5
		api GET /_ping
		assert_eq "$code" 200
	fi
	alive
}

test_api_exec_curl() {
	api_start
	api POST "/v1.41/containers/create?name=ex" '{"Image":"busybox","Cmd":["sleep","100"],"HostConfig":{"NetworkMode":"none"}}'
	api POST /v1.41/containers/ex/start
	assert_eq "$code" 204
	api POST /v1.41/containers/ex/exec '{"Cmd":["sh","-c","echo hi; exit 4"],"AttachStdout":true,"AttachStderr":true}'
	assert_eq "$code" 201
	local eid
	eid=$(jq -r .Id <<<"$body")
	api POST "/v1.41/exec/$eid/start" '{"Detach":true}'
	assert_eq "$code" 200
	wait_for 5 sh -c "curl -s --unix-socket '$SOCK' http://d/exec/$eid/json | jq -e '.Running == false and .ExitCode == 4' >/dev/null"
	api POST "/v1.41/exec/$eid/start" '{"Detach":true}'
	assert_eq "$code" 409
}

test_api_volumes_networks_images_curl() {
	api_start
	api POST /v1.41/volumes/create '{"Name":"vol1","Labels":{"a":"b"}}'
	assert_eq "$code" 201
	assert_eq "$(jq -r .Labels.a <<<"$body")" b
	api GET /v1.41/volumes
	assert_eq "$(jq -r '.Volumes[].Name' <<<"$body")" vol1
	api GET /v1.41/volumes/vol1
	assert_eq "$code" 200
	api DELETE /v1.41/volumes/vol1
	assert_eq "$code" 204
	api GET /v1.41/volumes/vol1
	assert_eq "$code" 404
	api GET /v1.41/networks
	assert_eq "$code" 200
	api GET /v1.41/networks/nosuchnet
	assert_eq "$code" 404
	api GET /v1.41/images/json
	assert_eq "$(jq -r '.[0].RepoTags[0]' <<<"$body")" busybox:latest
	api GET /v1.41/images/busybox/json
	assert_eq "$(jq -r .Os <<<"$body")" linux
	api POST "/v1.41/images/busybox/tag?repo=localhost:5000/a/b&tag=t1"
	assert_eq "$code" 201
	api GET /v1.41/images/localhost:5000/a/b:t1/json
	assert_eq "$code" 200
	api DELETE /v1.41/images/localhost:5000/a/b:t1
	assert_eq "$code" 200
	assert_contains "$body" Untagged
	api GET /v1.41/images/nosuch/json
	assert_eq "$code" 404
}

test_api_events_and_info() {
	api_start
	local since
	since=$(date +%s)
	hako volume create evvol >/dev/null
	api POST "/v1.41/containers/create?name=ev1" '{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"none"}}'
	api POST /v1.41/containers/ev1/start
	api POST /v1.41/containers/ev1/wait
	hako rm ev1 >/dev/null
	# the CLI and the API wrote to one log, which both read
	run hako events --since "$since" --until 0s --filter type=container --format '{{.Action}} {{.Actor.Attributes.name}}'
	assert_contains "$output" "create ev1"
	assert_contains "$output" "start ev1"
	assert_contains "$output" "die ev1"
	assert_contains "$output" "destroy ev1"
	run hako events --since "$since" --until 0s -f event=die --format '{{.Actor.Attributes.exitCode}}'
	assert_eq "$output" 0
	api GET "/v1.41/events?since=$since&until=$(($(date +%s) + 1))&filters=%7B%22type%22%3A%5B%22volume%22%5D%7D"
	assert_eq "$code" 200
	assert_eq "$(jq -r '.Actor.ID' <<<"$body")" evvol
	api GET /v1.41/info
	assert_eq "$(jq -r .ContainersStopped <<<"$body")" 0
	assert_eq "$(jq -r .Images <<<"$body")" 1
	run hako info --format '{{.Images}} {{.OSType}}'
	assert_eq "$output" "1 linux"
}

test_events_follow_cli() {
	hako image build-default >/dev/null
	# the binary itself in the background, not the hako function: $! must
	# be the follower's pid, or the kill below misses it and it runs on
	"$HAKO_BIN" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" events --filter type=volume \
		--format '{{.Action}} {{.Actor.ID}}' >"$TEST_TMP/ev" &
	local pid=$!
	defer "kill $pid 2>/dev/null"
	sleep 0.3
	hako volume create followed >/dev/null
	wait_for 5 grep -q "create followed" "$TEST_TMP/ev"
	run hako events --since 1h --until 1ns
	assert_status 0
}

test_api_docker_cli() {
	api_start
	need_docker
	local id out
	id=$(docker run -d --name d1 --network none -e FOO=bar busybox sh -c 'echo hello; sleep 100')
	assert_ne "$id" ""
	run hako ps --format '{{.Names}}'
	assert_contains "$output" d1
	run docker ps --format '{{.Names}} {{.Image}}'
	assert_contains "$output" "d1 busybox"
	wait_for 5 sh -c 'docker logs d1 | grep -q hello'
	run docker exec d1 sh -c 'echo $FOO; exit 3'
	assert_status 3
	assert_contains "$output" bar
	run sh -c 'echo piped | docker exec -i d1 cat'
	assert_eq "$output" piped
	docker exec d1 sh -c 'mkdir -p /d/s && echo data >/d/f && ln -s /etc/passwd /d/l'
	docker cp d1:/d "$TEST_TMP/copied"
	assert_eq "$(cat "$TEST_TMP/copied/f")" data
	assert_eq "$(readlink "$TEST_TMP/copied/l")" /etc/passwd
	run docker run --rm --network none busybox sh -c 'echo attached; exit 7'
	assert_status 7
	assert_contains "$output" attached
	if command -v script >/dev/null; then
		run script -qec "docker run --rm -t --network none busybox tty" /dev/null
		assert_contains "$output" /dev/pts
	fi
	# made by hako, seen through the API
	hako run -d --name h1 busybox sleep 100 >/dev/null
	run docker ps --format '{{.Names}}'
	assert_contains "$output" h1
	docker stop -t 1 d1 >/dev/null
	run docker ps -a --filter name=d1 --format '{{.Status}}'
	assert_contains "$output" Exited
	docker rm d1 h1 --force >/dev/null
	run docker images --format '{{.Repository}}:{{.Tag}}'
	assert_contains "$output" busybox:latest
	run docker info --format '{{.ServerVersion}} {{.Driver}}'
	assert_status 0
	# (the docker CLI sends --until in whole seconds: one in the future)
	run docker events --since 1m --until "$(($(date +%s) + 1))" --filter container=d1 --format '{{.Action}}'
	assert_contains "$output" destroy
	run docker volume create dv
	assert_status 0
	run docker volume rm dv
	assert_status 0
	run docker inspect nosuch
	assert_status 1
	alive
}

test_api_docker_pull_local_registry() {
	api_start
	need_docker
	start_registry
	hako tag busybox "$REG/test/bb:v1"
	hako push "$REG/test/bb:v1" >/dev/null
	hako rmi "$REG/test/bb:v1" >/dev/null
	run docker pull "$REG/test/bb:v1"
	assert_status 0
	run hako images --format '{{.Repository}}:{{.Tag}}'
	assert_contains "$output" "$REG/test/bb:v1"
	run docker pull "$REG/test/nosuch:v1"
	assert_ne "$status" 0
	run hako events --since 1m --until 0s -f type=image -f event=pull --format '{{.Actor.ID}}'
	assert_contains "$output" "test/bb:v1"
}

test_api_tcp_refuses_non_loopback() {
	hako image build-default >/dev/null
	run hako system service --listen tcp://0.0.0.0:2375
	assert_ne "$status" 0
	assert_contains "$output" "without TLS"
}

test_api_docker_compose() {
	command -v docker-compose >/dev/null 2>&1 || skip "docker-compose is not installed"
	API_NETNS=1
	api_start
	export DOCKER_HOST=unix://$SOCK
	local port dir=$TEST_TMP/proj
	port=$(_free_port)
	mkdir -p "$dir"
	cat >"$dir/docker-compose.yml" <<-YML
		version: "3"
		services:
		  web:
		    image: busybox
		    command: sh -c 'echo "\$\$GREETING" >/data/index.html; httpd -f -p 8080 -h /data'
		    env_file: app.env
		    volumes:
		      - data:/data
		    ports:
		      - "127.0.0.1:$port:8080"
		    stop_grace_period: 1s
		  client:
		    image: busybox
		    command: sleep 300
		    stop_grace_period: 1s
		volumes:
		  data:
	YML
	echo "GREETING=hello-compose" >"$dir/app.env"
	cd "$dir" || return 1
	defer "cd '$dir' && timeout 60 docker-compose down -v >/dev/null 2>&1"
	run timeout 60 docker-compose -p hkt up -d
	assert_status 0
	run timeout 30 docker-compose -p hkt ps
	assert_contains "$output" hkt_web_1
	assert_eq "$(grep -c hkt_web_1 <<<"$output")" 1 "each container once"
	# one service reaches the other by name on the project's network
	wait_for 10 sh -c "timeout 10 docker-compose -p hkt exec -T client wget -qO- http://web:8080/ | grep -q hello-compose"
	# and the published port on the host's loopback
	wait_for 10 in_ns sh -c "curl -s http://127.0.0.1:$port/ | grep -q hello-compose"
	run timeout 30 docker-compose -p hkt logs
	assert_status 0
	run timeout 60 docker-compose -p hkt restart
	assert_status 0
	wait_for 10 in_ns sh -c "curl -s http://127.0.0.1:$port/ | grep -q hello-compose"
	run timeout 60 docker-compose -p hkt down -v
	assert_status 0
	assert_eq "$(hako ps -aq)" "" "containers left"
	run hako network ls
	assert_not_contains "$output" hkt_default
	in_ns ip -br link >"$TEST_TMP/links"
	assert_not_contains "$(cat "$TEST_TMP/links")" hkbr- "a bridge left behind"
	run hako volume ls -q
	assert_not_contains "$output" hkt_data
	alive
}
