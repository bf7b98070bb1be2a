#!/bin/sh
# Install the Debian packages hako needs to build, test and benchmark.
# --if-missing: do nothing (quickly) when every package is already there.
set -e
export DEBIAN_FRONTEND=noninteractive
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
PKGS="gcc make pkg-config clang-format shellcheck libc6-dev
  libseccomp-dev libcap-dev libjson-c-dev libarchive-dev libcurl4-openssl-dev
  libsqlite3-dev libssl-dev libnftables-dev libmicrohttpd-dev
  busybox-static iproute2 nftables util-linux procps tmux jq bc file
  docker-registry docker-compose apache2-utils curl skopeo umoci crun runc hyperfine sqlite3 tar gzip zstd
  containerd strace buildah
  qemu-system-x86 qemu-utils e2fsprogs cpio time"
if [ "${1:-}" = --if-missing ]; then
	missing=
	for p in $PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
			missing="$missing $p"
	done
	if [ -z "$missing" ]; then
		# The guest kernel of hako's VMs (a download, not an install).
		$SUDO "$(dirname "$0")/fetch-kernel.sh" || true
		exit 0
	fi
	echo "deps: installing$missing"
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $PKGS
$SUDO "$(dirname "$0")/fetch-kernel.sh" || echo "deps: no guest kernel for VMs (scripts/fetch-kernel.sh)" >&2
