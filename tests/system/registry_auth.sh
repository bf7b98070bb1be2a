# hako login / logout against a docker-registry with htpasswd basic auth.
source "$TOP/tests/system/registry_lib.sh"

test_login_good_and_bad_password() {
	start_registry alice s3cret
	run hako login -u alice -p wrong "$REG"
	assert_status 125
	assert_contains "$output" "login $REG: HTTP 401 unauthorized"
	assert_no_file "$TEST_TMP/root/auth.json"

	run bash -c "echo s3cret | '$HAKO_BIN' --root '$TEST_TMP/root' login -u alice --password-stdin $REG"
	assert_status 0
	assert_contains "$output" "Login Succeeded"
	assert_eq "$(stat -c %a "$TEST_TMP/root/auth.json")" 600 "auth.json mode"
	assert_eq "$(jq -r --arg h "$REG" '.auths[$h].auth' "$TEST_TMP/root/auth.json" | base64 -d)" \
		"alice:s3cret"

	run hako logout "$REG"
	assert_status 0
	assert_eq "$(jq -r --arg h "$REG" '.auths[$h] // "none"' "$TEST_TMP/root/auth.json")" none
	run hako logout "$REG"
	assert_status 1
	assert_contains "$output" "not logged in"
}

test_login_keeps_other_entries_and_authfile_env() {
	start_registry bob pw1
	local f=$TEST_TMP/conf/auth.json
	mkdir -p "$TEST_TMP/conf"
	echo '{"auths":{"other.example":{"auth":"eDp5"}},"credHelpers":{}}' >"$f"
	REGISTRY_AUTH_FILE=$f run hako login -u bob -p pw1 "http://$REG/some/path"
	assert_status 0
	assert_eq "$(jq -r '.auths["other.example"].auth' "$f")" "eDp5"
	assert_eq "$(jq -r --arg h "$REG" '.auths[$h].auth' "$f" | base64 -d)" "bob:pw1"
	assert_eq "$(jq -c '.credHelpers' "$f")" "{}"
}

test_login_connection_refused() {
	local port
	port=$(_free_port)
	run hako login -u a -p b "127.0.0.1:$port"
	assert_status 125
	assert_contains "$output" "login 127.0.0.1:$port"
	assert_contains "$output" "127.0.0.1"
	assert_no_file "$TEST_TMP/root/auth.json"
}
