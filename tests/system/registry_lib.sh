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

# shellcheck disable=SC2120 # USER and PASS are optional
start_registry() {
	local user=${1:-} pass=${2:-} dir=$TEST_TMP/registry port code i
	require_cmd docker-registry
	require_cmd curl
	mkdir -p "$dir/data"
	if [ -n "$user" ]; then
		require_cmd htpasswd
		htpasswd -Bbn "$user" "$pass" >"$dir/htpasswd"
	fi
	for _ in 1 2 3; do
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
		[ -n "${REG_EXTRA_CONFIG:-}" ] && echo "$REG_EXTRA_CONFIG" >>"$dir/config.yml"
		docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
		REG_PID=$!
		defer "kill $REG_PID 2>/dev/null; wait $REG_PID 2>/dev/null"
		for ((i = 0; i < 500; i++)); do
			code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)
			if [ "$code" = 200 ] || [ "$code" = 401 ]; then
				# shellcheck disable=SC2034 # for the tests that source this
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

# make_oci_layout DIR [TAG [N]]: an OCI image layout holding one image: the
# test rootfs (busybox) as a gzip layer, then N (default 0) layers of 256 KiB
# of random bytes each.  Built with tar, gzip and jq only, so it does not
# depend on hako.  Sets OCI_MANIFEST_DIGEST, OCI_CONFIG_DIGEST and
# OCI_LAYERS (a JSON array of the layer digests).
make_oci_layout() {
	local dir=$1 tag=${2:-latest} n=${3:-0} tmp=$1.tmp i diff layer size cfg csize man msize
	local diffs="[]" layers="[]"
	mkdir -p "$dir/blobs/sha256" "$tmp"
	for ((i = 0; i <= n; i++)); do
		if ((i == 0)); then
			tar -C "$TEST_ROOTFS" --sort=name --mtime=@0 --owner=0 --group=0 \
				--numeric-owner -cf "$tmp/layer.tar" .
		else
			mkdir -p "$tmp/l$i"
			head -c 262144 /dev/urandom >"$tmp/l$i/data-$i"
			tar -C "$tmp/l$i" --sort=name --mtime=@0 --owner=0 --group=0 \
				--numeric-owner -cf "$tmp/layer.tar" .
		fi
		diff=$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)
		gzip -n -c "$tmp/layer.tar" >"$tmp/layer.tar.gz"
		layer=$(sha256sum "$tmp/layer.tar.gz" | cut -d' ' -f1)
		size=$(stat -c %s "$tmp/layer.tar.gz")
		mv "$tmp/layer.tar.gz" "$dir/blobs/sha256/$layer"
		diffs=$(jq -c --arg d "sha256:$diff" '. + [$d]' <<<"$diffs")
		layers=$(jq -c --arg l "sha256:$layer" --argjson s "$size" \
			'. + [{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:$l,size:$s}]' \
			<<<"$layers")
	done
	jq -cn --argjson d "$diffs" '{architecture:"amd64",os:"linux",
		created:"2024-01-01T00:00:00Z",
		config:{Cmd:["/bin/sh"],Env:["PATH=/bin"]},
		rootfs:{type:"layers",diff_ids:$d}}' | tr -d '\n' >"$tmp/config.json"
	cfg=$(sha256sum "$tmp/config.json" | cut -d' ' -f1)
	csize=$(stat -c %s "$tmp/config.json")
	mv "$tmp/config.json" "$dir/blobs/sha256/$cfg"
	jq -cn --arg c "sha256:$cfg" --argjson cs "$csize" --argjson l "$layers" '{schemaVersion:2,
		mediaType:"application/vnd.oci.image.manifest.v1+json",
		config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$c,size:$cs},
		layers:$l}' | tr -d '\n' >"$tmp/manifest.json"
	man=$(sha256sum "$tmp/manifest.json" | cut -d' ' -f1)
	msize=$(stat -c %s "$tmp/manifest.json")
	mv "$tmp/manifest.json" "$dir/blobs/sha256/$man"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
	jq -cn --arg m "sha256:$man" --argjson ms "$msize" --arg t "$tag" '{schemaVersion:2,
		manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$m,
		size:$ms,annotations:{"org.opencontainers.image.ref.name":$t}}]}' >"$dir/index.json"
	rm -rf "$tmp"
	# shellcheck disable=SC2034 # for the tests that source this
	OCI_MANIFEST_DIGEST=sha256:$man
	# shellcheck disable=SC2034
	OCI_CONFIG_DIGEST=sha256:$cfg
	# shellcheck disable=SC2034
	OCI_LAYERS=$(jq -c '[.[].digest]' <<<"$layers")
}

# start_token_registry USER PASS: a docker-registry with bearer token auth
# and its token server: busybox httpd (basic auth USER:PASS on /cgi-bin)
# running a CGI that signs RS256 JWTs with openssl (the x5c header carries
# the self-signed certificate the registry trusts).  Sets REG, TOKEN_PORT.
start_token_registry() {
	local user=$1 pass=$2 dir=$TEST_TMP/tokensrv port i code
	require_cmd openssl
	require_cmd busybox
	mkdir -p "$dir/www/cgi-bin"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" \
		-days 2 -subj /CN=hako-test-token >/dev/null 2>&1 || fail "openssl req"
	openssl x509 -in "$dir/cert.pem" -outform DER | openssl base64 -A >"$dir/cert.b64"
	cat >"$dir/www/cgi-bin/token" <<-CGI
		#!/bin/sh
		PATH=/usr/bin:/bin
		b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
		scopes=\$(printf '%s' "\$QUERY_STRING" | tr '&' '\n' | sed -n 's/^scope=//p' |
			sed 's/%20/\n/g; s/+/\n/g; s/%3[Aa]/:/g; s/%2[Ff]/\//g; s/%2[Cc]/,/g; s/%2[Dd]/-/g')
		access=\$(printf '%s\n' "\$scopes" | jq -R 'select(length > 0) | split(":") |
			{type: .[0], name: .[1], actions: (.[2] // "" | split(","))}' | jq -sc .)
		now=\$(date +%s)
		h=\$(jq -cn --arg c "\$(cat $dir/cert.b64)" '{typ:"JWT",alg:"RS256",x5c:[\$c]}' | b64url)
		c=\$(jq -cn --argjson a "\$access" --argjson t "\$now" \
			'{iss:"hako-test-issuer",sub:"$user",aud:"hako-test",exp:(\$t+300),nbf:(\$t-10),
			  iat:\$t,jti:(\$t|tostring),
			  access:\$a}' | b64url)
		s=\$(printf '%s.%s' "\$h" "\$c" | openssl dgst -sha256 -sign $dir/key.pem | b64url)
		echo "\$scopes" | tr '\n' ' ' >>$dir/scopes.log
		echo >>$dir/scopes.log
		printf 'Content-Type: application/json\r\n\r\n{"token":"%s.%s.%s"}\n' "\$h" "\$c" "\$s"
	CGI
	chmod +x "$dir/www/cgi-bin/token"
	echo "/cgi-bin:$user:$pass" >"$dir/httpd.conf"
	TOKEN_PORT=$(_free_port) || fail "no free port"
	busybox httpd -f -p "127.0.0.1:$TOKEN_PORT" -h "$dir/www" -c "$dir/httpd.conf" &
	local hpid=$!
	defer "kill $hpid 2>/dev/null; wait $hpid 2>/dev/null"
	for ((i = 0; i < 300; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$TOKEN_PORT/cgi-bin/token" || true)
		[ "$code" = 401 ] && break
		sleep 0.02
	done
	[ "$code" = 401 ] || fail "token server did not start"
	REG_EXTRA_CONFIG="auth:
  token:
    realm: http://127.0.0.1:$TOKEN_PORT/cgi-bin/token
    service: hako-test
    issuer: hako-test-issuer
    rootcertbundle: $dir/cert.pem"
	start_registry
}
