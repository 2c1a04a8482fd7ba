#!/usr/bin/env bash
# `npm run image:build`: builds the project's own Dockerfile (the one Cloud Build builds) with
# Debian's podman, as IMAGE (default inkstone:local), and prints its size and the build time.
# Idempotent and quick when nothing changed (podman's layer cache). Extra arguments go to
# `podman build` (e.g. --quiet, --target test).
#
# Here, unlike Cloud Build: no registry (node:24-slim is a local stand-in, scripts/image/
# base-image.sh), --network host (the build's npm ci reaches the registry through the machine's
# network) and --isolation chroot (crun refuses this machine's hybrid cgroups).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/image/lib.sh

IMAGE=${IMAGE:-inkstone:local}
require_image_tools
scripts/image/base-image.sh

started=$(date +%s%N)
podman build --pull=never --network host --isolation chroot --layers -t "$IMAGE" "$@" .
seconds=$(awk -v ns=$(($(date +%s%N) - started)) 'BEGIN { printf "%.1f", ns / 1e9 }')
size=$(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f", $1 / 1e6 }')
driver=$(podman info --format '{{.Store.GraphDriverName}}')
echo "image: $IMAGE built in ${seconds} s, ${size} MB (storage driver $driver)"
