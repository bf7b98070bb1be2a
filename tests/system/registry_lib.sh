# Helpers for the registry and archive tests: a real Debian docker-registry on
# a free loopback port, stopped by PID at the end of the test.
#   start_registry [USER PASS]   sets REG (host:port), REG_DIR (its storage), REG_PID
# With USER/PASS the registry requires htpasswd (bcrypt) basic auth.

_free_port() {
	local p i
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + RANDOM % 40000))
		ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

start_registry() {
	local user=${1:-} pass=${2:-} dir=$TEST_TMP/registry port try code i
	require_cmd docker-registry
	require_cmd curl
	mkdir -p "$dir/data"
	if [ -n "$user" ]; then
		require_cmd htpasswd
		htpasswd -Bbn "$user" "$pass" >"$dir/htpasswd"
	fi
	for try in 1 2 3; do
		port=$(_free_port) || fail "no free port"
		cat >"$dir/config.yml" <<-YML
			version: 0.1
			log:
			  level: error
			  accesslog:
			    disabled: true
			storage:
			  filesystem:
			    rootdirectory: $dir/data
			  delete:
			    enabled: true
			http:
			  addr: 127.0.0.1:$port
		YML
		if [ -n "$user" ]; then
			cat >>"$dir/config.yml" <<-YML
				auth:
				  htpasswd:
				    realm: hako-test
				    path: $dir/htpasswd
			YML
		fi
		docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
		REG_PID=$!
		defer "kill $REG_PID 2>/dev/null; wait $REG_PID 2>/dev/null"
		for ((i = 0; i < 500; i++)); do
			code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)
			if [ "$code" = 200 ] || [ "$code" = 401 ]; then
				REG=127.0.0.1:$port
				REG_DIR=$dir/data
				return 0
			fi
			kill -0 "$REG_PID" 2>/dev/null || break
			sleep 0.02
		done
		kill "$REG_PID" 2>/dev/null
		wait "$REG_PID" 2>/dev/null
	done
	cat "$dir/log" >&2
	fail "docker-registry did not start"
}

# The blob file of digest in the registry's storage.
registry_blob_path() {
	local hex=${1#sha256:}
	echo "$REG_DIR/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}
