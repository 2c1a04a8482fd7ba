# Shared by the image build scripts (sourced, not run). Build tools only: nothing here runs in
# the image.

# Debian's podman, buildah and debootstrap; nothing else builds or runs images here.
require_image_tools() {
  local missing=()
  for tool in podman buildah debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "image: missing ${missing[*]}. Install with: apt-get install -y podman buildah debootstrap" >&2
    exit 1
  fi
  [ "$(id -u)" = 0 ] || { echo "image: run as root (podman's storage here is root's /var/lib/containers)" >&2; exit 1; }
}

# The Debian mirror apt uses on this machine (deb822 .sources or one-line sources.list), so the
# stand-in base image comes from the same place as the machine's own packages.
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
    /^URIs:/ { uri = $2 } /^Suites:/ { if ($0 ~ /[ \t]bookworm([ \t]|$)/ && uri != "" && !found) { print uri; found = 1 } }
    /^$/ { uri = "" }')
  [ -n "$uri" ] || uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" && $0 ~ /[ \t]bookworm[ \t]/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }')
  echo "${uri:-http://deb.debian.org/debian}"
}
