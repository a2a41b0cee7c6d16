#!/usr/bin/env bash
# Installs the host packages that the tests need: a Docker engine (the
# machine ships only the docker CLI), debootstrap (to build the PostgreSQL
# image without pulling from a registry), docker-compose (the compose.yaml
# test) and Chromium with a font (the
# browser test of the confirm pages). Idempotent and quiet:
# when everything is present it only queries dpkg.
set -euo pipefail

packages=(docker.io containerd runc iptables debootstrap chromium fonts-liberation docker-compose)

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
