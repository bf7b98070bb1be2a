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

test_bearer_token_auth_pull_push() {
	require_cmd skopeo
	start_token_registry dave tok3n
	make_oci_layout "$TEST_TMP/oci"
	skopeo copy -q --dest-tls-verify=false --dest-creds dave:tok3n \
		"oci:$TEST_TMP/oci:latest" "docker://$REG/bear/busy:1"

	# no credentials: the token server refuses
	run hako pull "$REG/bear/busy:1"
	assert_status 125
	assert_contains "$output" "token from http://127.0.0.1:$TOKEN_PORT/cgi-bin/token: HTTP 401 unauthorized"
	run hako login -u dave -p wrong "$REG"
	assert_status 125
	assert_contains "$output" "401"

	run hako login -u dave -p tok3n "$REG"
	assert_status 0
	run hako pull -q "$REG/bear/busy:1"
	assert_status 0
	assert_eq "$output" "${OCI_CONFIG_DIGEST#sha256:}"
	run hako push "$REG/bear/busy:1" "$REG/bear/other:2"
	assert_status 0
	# one token covers the push and the mount source: the blobs are mounted
	assert_contains "$output" "mounted"
	assert_contains "$(cat "$TEST_TMP/tokensrv/scopes.log")" "repository:bear/busy:pull"
	grep -qE 'repository:bear/other:(pull,push|push,pull)' "$TEST_TMP/tokensrv/scopes.log" ||
		fail "no push scope asked: $(cat "$TEST_TMP/tokensrv/scopes.log")"
	run skopeo inspect --tls-verify=false --creds dave:tok3n "docker://$REG/bear/other:2"
	assert_status 0
	assert_eq "$(echo "$output" | jq -r .Digest)" "$OCI_MANIFEST_DIGEST"
}
