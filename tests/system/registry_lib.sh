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

# make_oci_layout DIR [TAG]: an OCI image layout holding one image: the test
# rootfs (busybox) as a gzip layer.  Built with tar, gzip and jq only, so it
# does not depend on hako.
make_oci_layout() {
	local dir=$1 tag=${2:-latest} tmp=$1.tmp diff layer cfg man lsize csize msize
	mkdir -p "$dir/blobs/sha256" "$tmp"
	tar -C "$TEST_ROOTFS" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		-cf "$tmp/layer.tar" .
	diff=$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)
	gzip -n -c "$tmp/layer.tar" >"$tmp/layer.tar.gz"
	layer=$(sha256sum "$tmp/layer.tar.gz" | cut -d' ' -f1)
	lsize=$(stat -c %s "$tmp/layer.tar.gz")
	mv "$tmp/layer.tar.gz" "$dir/blobs/sha256/$layer"
	jq -cn --arg d "sha256:$diff" '{architecture:"amd64",os:"linux",
		created:"2024-01-01T00:00:00Z",
		config:{Cmd:["/bin/sh"],Env:["PATH=/bin"]},
		rootfs:{type:"layers",diff_ids:[$d]}}' | tr -d '\n' >"$tmp/config.json"
	cfg=$(sha256sum "$tmp/config.json" | cut -d' ' -f1)
	csize=$(stat -c %s "$tmp/config.json")
	mv "$tmp/config.json" "$dir/blobs/sha256/$cfg"
	jq -cn --arg c "sha256:$cfg" --argjson cs "$csize" --arg l "sha256:$layer" \
		--argjson ls "$lsize" '{schemaVersion:2,
		mediaType:"application/vnd.oci.image.manifest.v1+json",
		config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$c,size:$cs},
		layers:[{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:$l,size:$ls}]}' |
		tr -d '\n' >"$tmp/manifest.json"
	man=$(sha256sum "$tmp/manifest.json" | cut -d' ' -f1)
	msize=$(stat -c %s "$tmp/manifest.json")
	mv "$tmp/manifest.json" "$dir/blobs/sha256/$man"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
	jq -cn --arg m "sha256:$man" --argjson ms "$msize" --arg t "$tag" '{schemaVersion:2,
		manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$m,
		size:$ms,annotations:{"org.opencontainers.image.ref.name":$t}}]}' >"$dir/index.json"
	rm -rf "$tmp"
	OCI_MANIFEST_DIGEST=sha256:$man
	OCI_CONFIG_DIGEST=sha256:$cfg
}
