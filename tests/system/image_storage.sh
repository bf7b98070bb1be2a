# Storage drivers: overlay and the vfs copy give the same root filesystem.

_tree() { (cd "$1" && find . -printf '%p %y %m %U %s %l\n' | sort); }

test_vfs_and_overlay_give_the_same_tree() {
	local mp_o mp_v
	hako image build-default -q >/dev/null
	mp_v=$(HAKO_STORAGE_DRIVER=vfs hako image mount busybox)
	_tree "$mp_v" >"$TEST_TMP/vfs.txt"
	HAKO_STORAGE_DRIVER=vfs hako image unmount busybox
	grep -q '^./bin/busybox f 755 0 ' "$TEST_TMP/vfs.txt" || fail "no busybox in the vfs tree"
	if ! grep -qw overlay /proc/filesystems && ! modprobe overlay 2>/dev/null; then
		skip "no overlayfs in this kernel"
	fi
	mp_o=$(HAKO_STORAGE_DRIVER=overlay hako image mount busybox)
	defer hako image unmount busybox
	grep -q " $mp_o overlay " /proc/mounts || fail "not an overlay mount: $mp_o"
	_tree "$mp_o" >"$TEST_TMP/overlay.txt"
	diff -u "$TEST_TMP/overlay.txt" "$TEST_TMP/vfs.txt" || fail "trees differ"
	hako image unmount busybox
	grep -q " $mp_o " /proc/mounts && fail "still mounted"
	[ ! -e "$mp_o" ] || fail "rootfs dir left"
}

test_unknown_driver_is_an_error() {
	hako image build-default -q >/dev/null
	run env HAKO_STORAGE_DRIVER=zfs "$HAKO_BIN" --root "$TEST_TMP/root" image mount busybox
	assert_status 125
	assert_contains "$output" "unknown storage driver 'zfs'"
	# The failed mount did not keep the image busy.
	run hako rmi busybox
	assert_status 0
}

# A 3-layer image (a docker-archive made here, loaded by `hako load`):
# whiteouts and an opaque directory hide lower files in the mounted rootfs,
# with overlay and with vfs alike.
_three_layer_archive() {
	python3 - "$1" <<'PY'
import hashlib, io, json, sys, tarfile

def layer(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, data in entries:
            i = tarfile.TarInfo(name)
            i.mtime = 1000000000
            if kind == "d":
                i.type = tarfile.DIRTYPE; i.mode = 0o755
                t.addfile(i)
            elif kind == "l":
                i.type = tarfile.SYMTYPE; i.linkname = data
                t.addfile(i)
            else:
                i.size = len(data); i.mode = 0o644
                t.addfile(i, io.BytesIO(data))
    return buf.getvalue()

layers = [
    layer([("etc", "d", None), ("etc/a", "f", b"a1"), ("etc/b", "f", b"b1"),
           ("opt", "d", None), ("opt/old", "f", b"o1"), ("keep", "f", b"k1"),
           ("lnk", "l", "etc/b")]),
    layer([("etc/.wh.a", "f", b""), ("new2", "f", b"n2"), ("opt/mid", "f", b"m2")]),
    layer([("opt", "d", None), ("opt/.wh..wh..opq", "f", b""), ("opt/top", "f", b"t3"),
           ("keep", "f", b"k3"), (".wh.lnk", "f", b"")]),
]
cfg = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
       "rootfs": {"type": "layers",
                  "diff_ids": ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]}}
with tarfile.open(sys.argv[1], "w") as t:
    def add(name, data):
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    c = json.dumps(cfg).encode()
    add("config.json", c)
    for n, l in enumerate(layers):
        add("%d/layer.tar" % n, l)
    add("manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["three:latest"],
        "Layers": ["%d/layer.tar" % n for n in range(3)]}]).encode())
PY
}

_check_three() {
	local mp=$1
	assert_eq "$(cd "$mp" && find . -mindepth 1 | sort | tr '\n' ' ')" \
		"./etc ./etc/b ./keep ./new2 ./opt ./opt/top " "merged tree"
	assert_eq "$(cat "$mp/keep" "$mp/opt/top" "$mp/new2")" "k3t3n2"
}

test_three_layers_whiteouts_overlay_and_vfs() {
	require_cmd python3
	_three_layer_archive "$TEST_TMP/three.tar"
	run hako load -i "$TEST_TMP/three.tar"
	assert_status 0
	assert_eq "$(hako image inspect -f '{{json .RootFS.Layers}}' three | jq length)" 3
	local mp
	mp=$(HAKO_STORAGE_DRIVER=vfs hako image mount three)
	_check_three "$mp"
	HAKO_STORAGE_DRIVER=vfs hako image unmount three
	grep -qw overlay /proc/filesystems || skip "no overlayfs in this kernel"
	mp=$(HAKO_STORAGE_DRIVER=overlay hako image mount three)
	defer hako image unmount three
	grep -q " $mp overlay " /proc/mounts || fail "not an overlay mount"
	_check_three "$mp"
	# The lower layer still has the hidden files: only the view hides them.
	assert_eq "$(find "$TEST_TMP/root/layers" -name a -path '*/etc/*' -type f | wc -l)" 1
}
