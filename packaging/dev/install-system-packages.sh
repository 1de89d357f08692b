#!/bin/sh
# Install the Debian packages listed in apt-packages.txt that are missing.
# As root it runs apt-get; otherwise it prints what is missing and carries on.
set -eu
here=$(dirname "$0")
missing=""
for pkg in $(grep -v '^#' "$here/apt-packages.txt"); do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
if [ -z "$missing" ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "note: no apt-get here; install these yourself:$missing"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "note: not root, so not installing system packages; install them yourself:$missing"
    exit 0
fi
echo "installing system packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
