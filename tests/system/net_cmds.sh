# hako network create / ls / inspect / rm / prune: records, validation, errors.
source "$TOP/tests/system/net_lib.sh"

test_net_create_ls_inspect_rm() {
	net_setup
	run hn network create --subnet 10.123.4.0/24 --label team=blue --label x=1 blue
	assert_status 0
	id=$output
	assert_eq "${#id}" 64 "network id length"
	hn network create green >/dev/null

	run hn network ls
	assert_status 0
	assert_contains "$output" "blue"
	assert_contains "$output" "10.123.4.0/24"
	assert_contains "$output" "bridge"
	assert_eq "$(hn network ls -q | wc -l)" 3 "ls -q lines (blue, green, bridge)"
	assert_eq "$(hn network ls --format json | jq -r 'select(.Name == "green") | .Subnet')" \
		"10.90.0.0/24" "green gets the first free /24 of the pool"

	run hn network inspect blue
	assert_status 0
	assert_eq "$(echo "$output" | jq -r '.[0].Id')" "$id"
	assert_eq "$(echo "$output" | jq -r '.[0].Gateway')" "10.123.4.1"
	assert_eq "$(echo "$output" | jq -r '.[0].Labels.team')" "blue"
	assert_eq "$(echo "$output" | jq -r '.[0].Internal')" "false"
	# by id prefix too
	assert_eq "$(hn network inspect "${id:0:12}" | jq -r '.[0].Name')" blue
	# docker's -f/--format: a line per network
	assert_eq "$(hn network inspect -f '{{.Name}} {{.Gateway}} {{.Labels.team}}' blue green)" \
		"blue 10.123.4.1 blue
green 10.90.0.1 <no value>"

	# docker's filters: one key ORs, different keys AND
	assert_eq "$(hn network ls --format '{{.Name}}' -f name=blu)" blue
	assert_eq "$(hn network ls --format '{{.Name}}' -f name=blue -f name=green | sort | xargs)" \
		"blue green"
	assert_eq "$(hn network ls --format '{{.Name}}' -f label=team=blue)" blue
	assert_eq "$(hn network ls --format '{{.Name}}' -f label=team -f name=green)" ""
	assert_eq "$(hn network ls --format '{{.Name}}' -f type=builtin)" bridge
	assert_eq "$(hn network ls -q -f type=custom | wc -l)" 2
	assert_eq "$(hn network ls -q -f dangling=true | wc -l)" 2 "no containers on blue and green"
	assert_eq "$(hn network ls -q -f "id=${id:0:6}")" "${id:0:12}"
	assert_eq "$(hn network ls --format '{{.Name}}/{{.Labels}}' -f driver=bridge -f name=blue)" \
		"blue/team=blue,x=1"
	run hn network ls -f colour=red
	assert_status 125
	assert_contains "$output" "invalid filter 'colour=red'"
	run hn network ls -f type=other
	assert_status 125
	run hn network inspect -f '{{.Name' blue
	assert_status 125

	run hn network rm blue green
	assert_status 0
	assert_eq "$(hn network ls -q | wc -l)" 1 "only the default network left"
	assert_eq "$(net_sql 'select count(*) from networks')" 1
}

test_net_create_errors() {
	net_setup
	hn network create --subnet 10.124.0.0/16 one >/dev/null

	run hn network create one
	assert_status 125
	assert_contains "$output" "network one already exists"
	run hn network create --subnet 10.124.7.0/24 two
	assert_status 125
	assert_contains "$output" "subnet 10.124.7.0/24 overlaps network one"
	run hn network create --subnet 10.1.2.3 two
	assert_status 125
	assert_contains "$output" "invalid subnet '10.1.2.3'"
	run hn network create --subnet 10.125.0.0/24 --gateway 10.126.0.1 two
	assert_status 125
	assert_contains "$output" "gateway 10.126.0.1 is not a host address of 10.125.0.0/24"
	run hn network create 'bad name!'
	assert_status 125
	assert_contains "$output" "invalid network name"
	run hn network create bridge
	assert_status 125
	assert_contains "$output" "reserved"
	run hn network create --driver macvlan three
	assert_status 125
	assert_contains "$output" "not supported"
	# nothing half-made by the failures
	assert_eq "$(net_sql 'select group_concat(name) from networks')" "one"

	run hn network rm nosuch
	assert_status 1
	assert_contains "$output" "network nosuch not found"
	hn network ls >/dev/null # makes the default network
	run hn network rm bridge
	assert_status 1
	assert_contains "$output" "the default network bridge cannot be removed"
}

test_net_prune_keeps_used_networks() {
	net_setup
	hn network create a >/dev/null
	hn network create b >/dev/null
	net_container c1
	hn network connect --netns "/run/netns/$NS-c1" b c1
	run hn network prune -f
	assert_status 0
	assert_contains "$output" "a"
	assert_eq "$(net_sql "select group_concat(name) from networks order by rowid")" "b" \
		"a pruned, b kept (in use), bridge never made"
	run hn network rm b
	assert_status 1
	assert_contains "$output" "network b has 1 connected container"
	run hn network rm -f b
	assert_status 0
	assert_eq "$(net_sql 'select count(*) from endpoints')" 0
	assert_eq "$(in_c c1 ip -o link show | grep -c eth0 || true)" 0 "eth0 gone with the network"
}
