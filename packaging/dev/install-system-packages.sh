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
start_postgresql() {
    # The tests need PostgreSQL on 127.0.0.1:5432; start the cluster if it is down.
    if command -v pg_lsclusters >/dev/null 2>&1 && [ "$(id -u)" = 0 ] \
        && ! pg_lsclusters -h 2>/dev/null | grep -q ' online'; then
        version=$(ls /etc/postgresql 2>/dev/null | head -n 1)
        if [ -n "$version" ]; then
            echo "starting PostgreSQL $version"
            pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        fi
    fi
}
if [ -z "$missing" ]; then
    start_postgresql
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
start_postgresql
