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
