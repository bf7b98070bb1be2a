#!/bin/sh
# Fetch Debian's cloud kernel for hako's micro VMs and managed VMs, without
# installing it on the host: `apt-get download` the package and extract it
# with `dpkg-deb -x` into a cache (default /var/cache/hako/kernel, or $1).
# The result: DIR/<version>/boot/vmlinuz-<version>, DIR/<version>/lib/modules/
# <version>/..., and DIR/vmlinuz, a symlink hako uses by default (HAKO_VM_KERNEL
# overrides it).  Quick and quiet when the kernel is already there.
set -e
DIR=${1:-${HAKO_VM_KERNEL_CACHE:-/var/cache/hako/kernel}}
META=${HAKO_VM_KERNEL_PACKAGE:-linux-image-cloud-amd64}

if [ -e "$DIR/vmlinuz" ] && [ "${FORCE:-0}" != 1 ]; then
	exit 0
fi
# The meta package depends on exactly one versioned image package.
PKG=$(apt-cache depends "$META" 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
if [ -z "$PKG" ]; then
	echo "fetch-kernel: cannot resolve $META (apt-get update first?)" >&2
	exit 1
fi
VER=${PKG#linux-image-}
mkdir -p "$DIR"
TMP=$(mktemp -d "$DIR/.fetch-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# _apt cannot write into a root-only directory: download as the caller.
(cd "$TMP" && apt-get download -q "$PKG" 2>&1 | grep -v 'unsandboxed' || true)
DEB=$(ls "$TMP"/*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] || { echo "fetch-kernel: download of $PKG failed" >&2; exit 1; }
rm -rf "$TMP/x"
dpkg-deb -x "$DEB" "$TMP/x"
[ -f "$TMP/x/boot/vmlinuz-$VER" ] || { echo "fetch-kernel: no vmlinuz-$VER in $PKG" >&2; exit 1; }
rm -rf "${DIR:?}/$VER"
mv "$TMP/x" "$DIR/$VER"
ln -sfn "$VER/boot/vmlinuz-$VER" "$DIR/vmlinuz.new"
mv -T "$DIR/vmlinuz.new" "$DIR/vmlinuz"
echo "fetch-kernel: $PKG in $DIR/$VER"
