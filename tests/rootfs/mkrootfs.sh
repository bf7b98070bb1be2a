#!/bin/sh
# Build a minimal rootfs from the host's busybox-static plus hk-testhelper.
# usage: mkrootfs.sh DEST [HELPER]
set -eu
dest=$1
helper=${2:-}
# Debian's busybox-static installs /bin/busybox; a dynamic busybox would not
# run inside the rootfs, so insist on the static one.
bb=/bin/busybox
[ -x "$bb" ] || { echo "mkrootfs: busybox-static is not installed (make deps)" >&2; exit 1; }
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
cd "$dest.tmp"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root home var/tmp run
chmod 1777 tmp var/tmp
cp "$bb" bin/busybox
for app in $(bin/busybox --list); do
	[ "$app" = busybox ] && continue
	ln -sf busybox "bin/$app"
done
[ -n "$helper" ] && cp "$helper" bin/hk-testhelper
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\ntest:x:1000:1000:test:/home/test:/bin/sh\n' > etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\ntest:x:1000:\nextra:x:2000:test\n' > etc/group
echo hako > etc/hostname
cd - >/dev/null
rm -rf "$dest"
mv "$dest.tmp" "$dest"
