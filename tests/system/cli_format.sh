# --format: Go templates (src/util/template.c) on the real commands, as
# Docker users type them; Docker's "table" headers; errors with positions.

format_setup() {
	hako image build-default >/dev/null
	defer format_cleanup
	mkdir -p "$TEST_TMP/vol"
	hako run -d --name fmt1 -l com.example.x=yes -l b=2 -e FOO=bar \
		-v "$TEST_TMP/vol:/data" busybox sleep 300 >/dev/null || fail "run -d"
}

format_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id" >/dev/null; done
}

test_format_inspect_templates() {
	format_setup
	run hako inspect -f '{{.State.Running}} {{if .State.Running}}up{{else}}down{{end}}' fmt1
	assert_status 0
	assert_eq "$output" "true up"
	run hako inspect -f '{{index .Config.Labels "com.example.x"}}|{{index .Config.Labels "nope"}}|' fmt1
	assert_eq "$output" "yes||"
	run hako inspect -f '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}' fmt1
	assert_eq "$output" "b=2;com.example.x=yes;" "objects range in sorted key order"
	run hako inspect --format '{{json .Config.Labels}}' fmt1
	assert_contains "$output" '"com.example.x":"yes"'
	run hako inspect -f '{{join .Config.Cmd " "}}|{{len .Mounts}}|{{upper .Name}}|{{printf "%s-%d" .Name 3}}|{{.Name | lower}}' fmt1
	assert_eq "$output" "sleep 300|1|/FMT1|/fmt1-3|/fmt1"
	pid=$(hako inspect -f '{{with .State}}{{.Pid}}{{end}}' fmt1)
	[ -d "/proc/$pid" ] || fail "{{with .State}}{{.Pid}}: '$pid' is not a live pid"
	run hako inspect -f '{{range $i, $m := .Mounts}}{{$i}}:{{$m.Destination}} {{end}}' fmt1
	assert_eq "$output" "0:/data "
	run hako inspect -f '{{range .NetworkSettings.Networks}}[{{.IPAddress}}]{{end}}' fmt1
	assert_eq "$output" "[]" "--network none: one network, no address"
	run hako inspect -f '{{range $k, $v := .NetworkSettings.Ports}}{{$k}} -> {{(index $v 0).HostPort}}{{"\n"}}{{end}}' fmt1
	assert_status 0
	run hako inspect -f '{{if and .State.Running (not .State.Paused)}}ok{{end}} {{- /* c */ -}} !' fmt1
	assert_eq "$output" "ok!"
	run hako inspect -f '{{range .Config.Env}}{{if eq . "FOO=bar"}}{{.}}{{end}}{{end}} {{.Missing}} {{title "a b"}}' fmt1
	assert_eq "$output" "FOO=bar <no value> A B"
	# two containers: one line each
	run hako inspect -f '{{.Name}}' fmt1 fmt1
	assert_eq "$output" $'/fmt1\n/fmt1'
	hako volume create fmtvol >/dev/null
	defer hako volume rm fmtvol
	run hako volume inspect -f '{{.Name}} {{.Driver}} {{json .Labels}}' fmtvol
	assert_eq "$output" "fmtvol local {}"
	run hako volume ls --format '{{.Name}}'
	assert_eq "$output" "fmtvol"
	run hako version -f '{{.Client.Os}}'
	assert_eq "$output" "linux"
}

test_format_list_commands_and_tables() {
	format_setup
	run hako ps --format '{{.Names}}: {{.Ports}}|{{.Image}}|{{.Label "com.example.x"}}|{{.Label "no"}}|'
	assert_status 0
	assert_eq "$output" "fmt1: |busybox|yes||"
	run hako ps --format 'table {{.Names}}\t{{.Status}}\t{{.ID}}'
	assert_status 0
	local head row
	head=$(sed -n 1p <<<"$output")
	row=$(sed -n 2p <<<"$output")
	# Go's tabwriter as Docker sets it up: columns at least 10 wide, 3 apart
	[[ "$head" =~ ^NAMES\ {5}STATUS\ +CONTAINER\ ID$ ]] || fail "header: '$head'"
	[[ "$row" =~ ^fmt1\ {6}Up\ .*\ {3}[0-9a-f]{12}$ ]] || fail "row: '$row'"
	local col_h=${head%%CONTAINER ID} col_r=${row%%[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]}
	assert_eq "${#col_h}" "${#col_r}" "the id column is aligned"
	run hako images --format '{{.Repository}}:{{.Tag}}'
	assert_eq "$output" "busybox:latest"
	run hako images --format 'table {{.Repository}}\t{{.Tag}}'
	assert_eq "$output" $'REPOSITORY   TAG\nbusybox      latest'
	run hako ps --format json
	assert_contains "$output" '"Names":"fmt1"'
	run hako system df --format '{{.Type}}={{.TotalCount}}'
	assert_contains "$output" "Containers=1"
	run hako history --format 'table {{.ID}}\t{{.Size}}' busybox
	assert_contains "$output" "IMAGE"
	run hako stats --no-stream --format 'table {{.Name}}\t{{.PIDs}}' fmt1
	assert_status 0
	assert_eq "$(sed -n 1p <<<"$output")" "NAME      PIDS"
	assert_eq "$(sed -n 2p <<<"$output")" "fmt1      1"
	# no rows: the header alone, titles from the field names
	run hako volume ls --format 'table {{.Name}}\t{{.Driver}}\t{{.Mountpoint}}'
	assert_eq "$(sed -n 1p <<<"$output")" "VOLUME NAME   DRIVER    MOUNTPOINT"
}

test_format_errors_are_125_with_position() {
	format_setup
	run hako inspect -f '{{.Name}' fmt1
	assert_status 125
	assert_contains "$output" "template: :1:8: bad character U+007D '}'"
	run hako inspect -f '{{if .State.Running}}x' fmt1
	assert_status 125
	assert_contains "$output" "unexpected EOF"
	run hako ps --format '{{nosuchfunc .Names}}'
	assert_status 125
	assert_contains "$output" 'function "nosuchfunc" not defined'
	run hako inspect -f '{{.State.Pid.X}}' fmt1
	assert_status 125
	assert_contains "$output" 'template: :1:3: executing "" at <.State.Pid.X>: can'"'"'t evaluate field X in type int'
	run hako images --format '{{index .Repository 1}}'
	assert_status 125
	assert_contains "$output" "can't index item of type string"
	run hako inspect -f "$(printf '{{%.0s' $(seq 300))" fmt1
	assert_status 125
	# nothing was started or left by the failures
	run hako ps -aq
	assert_eq "$(wc -l <<<"$output")" "1"
}
