# The hako command line itself: help, version, errors.

test_help_lists_commands() {
	run hako --help
	assert_status 0
	assert_contains "$output" "Usage: hako"
	assert_contains "$output" "version"
}

test_unknown_command_is_125() {
	run hako no-such-command
	assert_status 125
	assert_contains "$output" "unknown command 'no-such-command'"
}

test_version() {
	run hako version
	assert_status 0
	assert_contains "$output" "hako version"
}

test_runtime_alias_dispatch() {
	run "$HAKO_BIN_DIR/hako-runtime" --version
	assert_status 0
	assert_contains "$output" "hako-runtime version"
	run hako runtime --log-format xml list
	assert_status 1
	assert_contains "$output" "--log-format: unknown format 'xml'"
}

# An alias of two words is one alias: `hako undefine X` once removed VM X
# (the alias "vm undefine" was split into "vm" and "undefine"), and an unknown
# verb of a group ran another command of it (`hako vm dominfo` ran vm list).
test_aliases_match_whole() {
	hako vm create victim --memory 64M --disk 16M >/dev/null
	defer hako vm rm victim
	for words in "undefine victim" "vm bogus victim" "container bogus" "ls" "list" "remove victim" "vm"; do
		# shellcheck disable=SC2086
		run hako $words
		if [[ $words == vm ]]; then
			assert_status 0
			assert_contains "$output" "vm list"
			assert_not_contains "$output" "NAME"
			continue
		fi
		assert_status 125
		assert_contains "$output" "unknown command"
	done
	run hako vm list --all
	assert_contains "$output" "victim" "a VM was removed by an unknown command"
	run hako container ls -a
	assert_status 0
	assert_contains "$output" "CONTAINER ID"
	run hako container list -a
	assert_status 0
	run hako container
	assert_status 0
	assert_contains "$output" "container run"
	run hako vm undefine victim
	assert_status 0
	run hako vm list --all
	assert_not_contains "$output" "victim"
}
