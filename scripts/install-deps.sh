#!/usr/bin/env bash
# Installs the host packages that the tests need: a Docker engine (the
# machine ships only the docker CLI), debootstrap (to build the PostgreSQL
# image without pulling from a registry), docker-compose (the compose.yaml
# test) and Chromium with a font (the
# browser test of the confirm pages) and wrk (make bench-http). Idempotent and quiet:
# when everything is present it only queries dpkg.
# Where npm is installed, it also installs e2e/node's pinned JavaScript
# clients (npm ci, from package-lock.json) for the Node client suite.
set -euo pipefail

node_deps() {
	local dir
	dir="$(dirname "${BASH_SOURCE[0]}")/../e2e/node"
	command -v npm >/dev/null || return 0
	# npm ci wipes and reinstalls; skip it when the lock has not changed.
	if [[ -f "$dir/node_modules/.package-lock.json" && "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]]; then
		return 0
	fi
	echo "install-deps: npm ci in e2e/node"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}
node_deps

packages=(docker.io containerd runc iptables debootstrap chromium fonts-liberation docker-compose wrk)

missing=()
for p in "${packages[@]}"; do
	if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
		missing+=("$p")
	fi
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
	echo "install-deps: need root to install: ${missing[*]}" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"

# Package maintainer scripts would otherwise try to start dockerd through
# init scripts; scripts/dockerd.sh owns its lifecycle.
created_policy=""
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	created_policy=1
fi
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() { [[ -n "$created_policy" ]] && rm -f /usr/sbin/policy-rc.d; return 0; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-q -y -o Dpkg::Use-Pty=0 -o Acquire::Retries=3 --no-install-recommends)

# Package lists on the machine may be stale (404 on superseded versions), so
# refresh them once whenever something has to be installed. A transient
# mirror failure gets one more try.
for attempt in 1 2; do
	if apt-get -q update -o Acquire::Retries=3 >/tmp/install-deps.apt.log 2>&1 &&
		apt-get install "${apt_opts[@]}" "${missing[@]}" >>/tmp/install-deps.apt.log 2>&1; then
		exit 0
	fi
	echo "install-deps: apt attempt $attempt failed" >&2
done
tail -n 30 /tmp/install-deps.apt.log >&2
exit 1
