#!/bin/sh
# hako's main job on a fresh machine: build the default busybox image from the
# host's busybox-static (no internet needed) and run a container from it.
set -e
cd "$(dirname "$0")/.."
HAKO=build/hako
$HAKO image build-default >/dev/null
exec $HAKO run --rm busybox sh -c 'echo "hello from a hako container: $(hostname), pid $$, $(uname -sr)"'
