# run / create: --cidfile, --label-file, --annotation, --stop-timeout,
# --domainname, --expose, --dns-search, --dns-option, -a, --sig-proxy, and
# docker's flags hako refuses (with the reason, never silently).

misc_setup() {
	hako image build-default >/dev/null
	defer misc_cleanup
}

misc_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

test_run_cidfile_labels_annotations() {
	local id
	misc_setup
	hako create --cidfile "$TEST_TMP/cid" --name cf busybox true >/dev/null
	id=$(cat "$TEST_TMP/cid")
	assert_eq "$id" "$(hako inspect -f '{{.Id}}' cf)"
	run hako run --rm --cidfile "$TEST_TMP/cid" busybox true
	assert_status 125
	assert_contains "$output" "Container ID file found"
	assert_eq "$(hako ps -aq | wc -l)" 1 "nothing more made"
	hako run -d --cidfile "$TEST_TMP/cid2" busybox true >/dev/null
	assert_eq "$(cat "$TEST_TMP/cid2")" "$(hako ps -lq --no-trunc)"

	printf 'a=1\n# a comment\n\n  b=two words\n' >"$TEST_TMP/labels"
	hako create --name lf --label-file "$TEST_TMP/labels" -l c=3 busybox true >/dev/null
	assert_eq "$(hako inspect lf | jq -c '.[0].Config.Labels')" '{"a":"1","b":"two words","c":"3"}'
	run hako run --rm --label-file "$TEST_TMP/nope" busybox true
	assert_status 125
	assert_contains "$output" "--label-file"

	hako create --name an --annotation org.example.x=y busybox true >/dev/null
	id=$(hako inspect -f '{{.Id}}' an)
	assert_eq "$(hako inspect an | jq -c '.[0].HostConfig.Annotations')" '{"org.example.x":"y"}'
	assert_eq "$(jq -r '.annotations["org.example.x"]' "$TEST_TMP/root/containers/$id/config.json")" y
	run hako run --rm --annotation novalue busybox true
	assert_status 125
}

test_run_domainname_expose_dns() {
	misc_setup
	# -h is docker's short --hostname for run and create; --help is the help
	run hako run --rm -h shortname busybox hostname
	assert_eq "$output" shortname
	run hako create --help
	assert_contains "$output" "-h, --hostname NAME"
	run hako run --rm --hostname box --domainname example.org busybox \
		sh -c 'hostname; cat /proc/sys/kernel/domainname'
	assert_status 0
	assert_eq "$output" "box
example.org"
	hako create --name dn --domainname example.org --expose 80 --expose 9000-9001/udp \
		--stop-timeout 3 busybox true >/dev/null
	assert_eq "$(hako inspect -f '{{.Config.Domainname}}' dn)" example.org
	assert_eq "$(hako inspect dn | jq -c '.[0].Config.ExposedPorts | keys')" \
		'["80/tcp","9000/udp","9001/udp"]'
	assert_eq "$(hako inspect -f '{{.Config.StopTimeout}}' dn)" 3
	run hako run --rm --expose 70000 busybox true
	assert_status 125

	run hako run --rm --dns-search a.example --dns-search b.example --dns-option ndots:3 \
		--dns 192.0.2.1 busybox cat /etc/resolv.conf
	assert_status 0
	assert_contains "$output" "search a.example b.example"
	assert_contains "$output" "nameserver 192.0.2.1"
	assert_contains "$output" "options ndots:3"
	# without --dns: the host's servers with the search and options given
	run hako run --rm --dns-search c.example --dns-opt timeout:2 busybox cat /etc/resolv.conf
	assert_contains "$output" "search c.example"
	assert_contains "$output" "options timeout:2"
	assert_eq "$(echo "$output" | grep -c '^search')" 1 "one search line"
	hako create --name dnsopt --dns-search x.example --dns-option debug busybox true >/dev/null
	assert_eq "$(hako inspect dnsopt | jq -c '.[0].HostConfig | [.DnsSearch, .DnsOptions]')" \
		'[["x.example"],["debug"]]'

	# the stop timeout is kept across a restart
	hako run -d --name st --stop-timeout 1 busybox sleep 100 >/dev/null
	hako restart st >/dev/null 2>&1
	assert_eq "$(hako inspect -f '{{.Config.StopTimeout}}' st)" 1
}

test_run_attach_streams() {
	misc_setup
	hako run --rm -a stdout busybox sh -c 'echo out; echo err >&2' >"$TEST_TMP/o" 2>"$TEST_TMP/e"
	assert_eq "$(cat "$TEST_TMP/o")" out
	assert_eq "$(cat "$TEST_TMP/e")" ""
	hako run --rm -a stderr busybox sh -c 'echo out; echo err >&2' >"$TEST_TMP/o" 2>"$TEST_TMP/e"
	assert_eq "$(cat "$TEST_TMP/o")" ""
	assert_eq "$(cat "$TEST_TMP/e")" err
	hako run --rm -a STDOUT -a STDERR busybox sh -c 'echo out; echo err >&2' >"$TEST_TMP/o" 2>"$TEST_TMP/e"
	assert_eq "$(cat "$TEST_TMP/o")" out
	assert_eq "$(cat "$TEST_TMP/e")" err
	# -i with -a stdin: our stdin reaches it
	run sh -c "echo typed | HAKO_DEFAULT_NETWORK=none '$HAKO_BIN' --root '$TEST_TMP/root' --runroot '$TEST_TMP/run' run --rm -i -a stdin -a stdout busybox cat"
	assert_eq "$output" typed
	run hako run -d -a stdout busybox true
	assert_status 125
	assert_contains "$output" "Conflicting options: -a and -d"
	run hako run -a stdlog busybox true
	assert_status 125
	assert_contains "$output" "valid streams are STDIN, STDOUT and STDERR"
}

# sp_start NAME [OPTS...]: hako run (the binary itself, in the background, so
# a signal reaches it) of a shell that says what it gets; sets SP_PID.
sp_start() {
	local name=$1
	shift
	HAKO_DEFAULT_NETWORK=none "$HAKO_BIN" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" \
		run --name "$name" "$@" busybox sh -c \
		'trap "echo got-term; exit 7" TERM; touch /ready; while :; do sleep 0.1; done' \
		>"$TEST_TMP/$name.out" 2>&1 &
	SP_PID=$!
	defer "kill -9 $SP_PID 2>/dev/null"
	wait_for 10 hako exec "$name" test -e /ready
}

test_run_sig_proxy() {
	local st
	misc_setup
	# the signal the CLI gets goes to the container (docker's default)
	sp_start sp1
	kill -TERM "$SP_PID"
	st=0
	wait "$SP_PID" || st=$?
	assert_eq "$st" 7 "exit status of run"
	assert_contains "$(cat "$TEST_TMP/sp1.out")" "got-term"
	assert_eq "$(hako inspect -f '{{.State.ExitCode}}' sp1)" 7

	# --sig-proxy=false: the CLI dies of it, the container runs on
	sp_start sp2 --sig-proxy=false
	kill -TERM "$SP_PID"
	st=0
	wait "$SP_PID" || st=$?
	assert_eq "$st" 143 "exit status of run"
	assert_eq "$(hako inspect -f '{{.State.Running}}' sp2)" true
	assert_not_contains "$(cat "$TEST_TMP/sp2.out")" "got-term"
}

test_run_refuses_what_it_lacks() {
	local f
	misc_setup
	for f in "--gpus all" \
		"--health-cmd true" "--no-healthcheck" "--link other:alias" "--volume-driver x" \
		"--storage-opt size=1G" "--runtime runc" "--isolation default" \
		"--cpu-count 2" "--io-maxiops 5"; do
		# shellcheck disable=SC2086
		run hako run --rm $f busybox true
		assert_status 125
		assert_contains "$output" "${f%% *}: " "reason for $f"
		assert_not_contains "$output" "unknown flag"
		# shellcheck disable=SC2086
		run hako create $f busybox true
		assert_status 125
	done
	assert_eq "$(hako ps -aq)" "" "nothing made"
	# warned, not silently ignored
	run hako run --rm --security-opt apparmor=unconfined --security-opt label=disable busybox echo ok
	assert_status 0
	assert_contains "$output" "apparmor=unconfined: ignored"
	assert_contains "$output" "label=disable: ignored"
	# a check hako never makes: disabling it is a no-op
	run hako run --rm --disable-content-trust busybox echo ok
	assert_status 0
	assert_eq "$output" ok
}
