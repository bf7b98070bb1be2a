# hako system-test library, sourced by tests/run for every test file.
#
# A test file defines functions named test_*; each runs in its own subshell
# with errexit, a fresh $TEST_TMP, and its own hako --root/--runroot.
# Helpers:
#   defer CMD...        run CMD at the end of the test, even when it fails (LIFO)
#   run CMD...          run CMD, setting $status and $output (stdout+stderr), never fails
#   skip REASON         end the test as skipped (printed with the reason)
#   fail MSG            end the test as failed
#   assert_eq A B [MSG] / assert_ne / assert_contains HAYSTACK NEEDLE / assert_not_contains
#   assert_status N     check $status of the last `run`
#   wait_for SECONDS CMD...   poll until CMD succeeds (10 ms steps)
#   require_cmd NAME    skip unless NAME is installed
#   hako ARGS...        the hako under test with the test's --root and --runroot
#   hako_runtime ARGS.. hako-runtime with the test's --root

HAKO_BIN=${HAKO_BIN:-$TOP/build/hako}
HAKO_BIN_DIR=$(dirname "$HAKO_BIN")
TEST_ROOTFS=${TEST_ROOTFS:-$TOP/build/test-rootfs}

_deferred=()
defer() { _deferred=("$*" "${_deferred[@]}"); }
_run_deferred() {
	local c
	set +e
	for c in "${_deferred[@]}"; do eval "$c" >/dev/null 2>&1; done
	_deferred=()
}

run() {
	local e=0
	[[ $- == *e* ]] && e=1
	set +e
	output=$("$@" 2>&1)
	status=$?
	((e)) && set -e
	return 0
}

skip() { echo "# skip: $*" >&3; exit 77; }
fail() { echo "  FAIL: $*" >&2; exit 1; }

assert_eq() { [[ "$1" == "$2" ]] || fail "${3:-values differ}: got '$1', want '$2'"; }
assert_ne() { [[ "$1" != "$2" ]] || fail "${3:-values equal}: both '$1'"; }
assert_contains() { [[ "$1" == *"$2"* ]] || fail "${3:-missing text}: '$2' not in: $1"; }
assert_not_contains() { [[ "$1" != *"$2"* ]] || fail "${3:-unexpected text}: '$2' in: $1"; }
assert_status() { [[ "$status" == "$1" ]] || fail "exit status $status, want $1; output: $output"; }
assert_file() { [[ -e "$1" ]] || fail "missing file $1"; }
assert_no_file() { [[ ! -e "$1" ]] || fail "file should not exist: $1"; }

wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 100; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.01
	done
	fail "timed out after ${secs}s waiting for: $*"
}

# kvm_usable: whether hako runs VMs under KVM here (a /dev/kvm that cannot boot
# a standard kernel, such as PVM's, does not count).
kvm_usable() { "$HAKO_BIN" system check 2>/dev/null | grep -q '^PASS  /dev/kvm'; }

require_cmd() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed"; }

# Containers of tests get no bridge network unless they ask (the host's
# interfaces are never touched; network tests run in namespaces of their own).
hako() { HAKO_DEFAULT_NETWORK=${HAKO_DEFAULT_NETWORK:-none} "$HAKO_BIN" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" "$@"; }
hako_runtime() { "$HAKO_BIN_DIR/hako-runtime" --root "$TEST_TMP/rtstate" "$@"; }

# make_bundle DIR [ARGS...]: an OCI bundle with a copy of the test rootfs and
# `hako-runtime spec` output, its process.args set to ARGS.
make_bundle() {
	local dir=$1
	shift
	mkdir -p "$dir"
	cp -a "$TEST_ROOTFS" "$dir/rootfs"
	(cd "$dir" && "$HAKO_BIN_DIR/hako-runtime" spec)
	if (($#)); then
		local args
		args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
		jq_edit "$dir/config.json" ".process.args = $args | .process.terminal = false"
	fi
}

# jq_edit FILE FILTER: edit a JSON file in place.
jq_edit() {
	local tmp="$1.tmp.$$"
	jq "$2" "$1" >"$tmp" && mv "$tmp" "$1"
}
