# hako pull --all-tags against a real docker-registry on loopback, seeded by
# skopeo (an independent implementation).
source "$TOP/tests/system/registry_lib.sh"

seed_tags() {
	require_cmd skopeo
	make_oci_layout "$TEST_TMP/oci"
	local t
	for t in "$@"; do
		skopeo copy -q --dest-tls-verify=false "oci:$TEST_TMP/oci:latest" "docker://$REG/src/busy:$t"
	done
}

test_pull_all_tags() {
	start_registry
	seed_tags 1 2 v3.0_rc-1
	run hako pull -a "$REG/src/busy"
	assert_status 0
	# one image id a tag, in the registry's order
	assert_eq "$(echo "$output" | grep -cx "${OCI_CONFIG_DIGEST#sha256:}")" 3 "ids: $output"
	local t
	for t in 1 2 v3.0_rc-1; do
		run hako image inspect "$REG/src/busy:$t"
		assert_status 0
	done
	# -q and --all-tags together, again: nothing to download
	run hako pull --all-tags -q "$REG/src/busy"
	assert_status 0
	assert_eq "$(echo "$output" | wc -l)" 3
}

test_pull_all_tags_errors() {
	start_registry
	seed_tags 1
	run hako pull -a "$REG/src/busy:1"
	assert_status 125
	assert_contains "$output" "a tag or digest can't be used with --all-tags"
	run hako pull -a "$REG/src/busy@$OCI_MANIFEST_DIGEST"
	assert_status 125
	assert_contains "$output" "can't be used with --all-tags"
	run hako pull -a "$REG/no/such"
	assert_status 125
	assert_contains "$output" "list tags of $REG/no/such: tags list: repository name not known"
	# nothing was stored by the failures
	run hako image ls -q
	assert_eq "$output" ""
}

# A registry that pages its tags list: a small Python server on loopback
# that answers /v2/, the tags pages (with Link headers) and nothing else.
# MODE "good" links page 1 to page 2; "evil" links page 1 to another host.
start_paging_registry() {
	require_cmd python3
	local mode=$1 port
	cat >"$TEST_TMP/pager.py" <<'PY'
import http.server, json, sys
mode, portfile, log = sys.argv[1], sys.argv[2], open(sys.argv[3], "a")
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        log.write(self.path + "\n"); log.flush()
        link = None
        if self.path == "/v2/":
            body = {}
        elif self.path == "/v2/paged/repo/tags/list":
            body = {"name": "paged/repo", "tags": ["a", "b"]}
            link = ("</v2/paged/repo/tags/list?last=b&n=2>; rel=\"next\"" if mode == "good"
                    else "<http://198.51.100.7/v2/paged/repo/tags/list?last=b>; rel=\"next\"")
        elif self.path == "/v2/paged/repo/tags/list?last=b&n=2":
            body = {"name": "paged/repo", "tags": ["c"]}
        else:
            self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if link:
            self.send_header("Link", link)
        self.end_headers()
        self.wfile.write(data)
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write(str(s.server_address[1]))
s.serve_forever()
PY
	python3 "$TEST_TMP/pager.py" "$mode" "$TEST_TMP/pager.port" "$TEST_TMP/pager.log" &
	PAGER_PID=$!
	defer "kill $PAGER_PID 2>/dev/null; wait $PAGER_PID 2>/dev/null"
	wait_for 10 test -s "$TEST_TMP/pager.port"
	PAGER=127.0.0.1:$(cat "$TEST_TMP/pager.port")
}

test_pull_all_tags_follows_pages() {
	start_paging_registry good
	# every page is read, then the first tag's pull fails (no manifests here)
	run hako pull -a -q "$PAGER/paged/repo"
	assert_status 125
	assert_contains "$output" "pull $PAGER/paged/repo:a"
	grep -qx "/v2/paged/repo/tags/list?last=b&n=2" "$TEST_TMP/pager.log" ||
		fail "page 2 not fetched: $(cat "$TEST_TMP/pager.log")"
	grep -q "/v2/paged/repo/manifests/a" "$TEST_TMP/pager.log" || fail "tag a not pulled"
}

test_pull_all_tags_refuses_foreign_next_page() {
	start_paging_registry evil
	run hako pull -a -q "$PAGER/paged/repo"
	assert_status 125
	assert_contains "$output" "next page http://198.51.100.7/v2/paged/repo/tags/list?last=b is not on http://$PAGER"
	assert_not_contains "$(cat "$TEST_TMP/pager.log")" "manifests"
}
