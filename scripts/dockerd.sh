#!/usr/bin/env bash
# Starts or stops a Docker engine for the end-to-end tests. The machines this
# project runs on ship only the docker CLI and start no engine, so CI starts
# one itself (scripts/install-deps.sh installs it).
#
#   scripts/dockerd.sh start   # no-op if an engine already answers
#   scripts/dockerd.sh stop    # stops only an engine this script started
#   scripts/dockerd.sh status
#
# The engine uses the standard socket (/var/run/docker.sock) and data root
# (/var/lib/docker), so the docker CLI and testcontainers find it without
# DOCKER_HOST, and images built earlier on the same machine stay cached.
#
# Environment:
#   SYSTEMUSER_DOCKERD_DIR             pid and log files (default /var/run/systemuser-dockerd)
#   SYSTEMUSER_DOCKERD_STORAGE_DRIVER  e.g. vfs if overlay2 is not usable (default: dockerd picks)
#   SYSTEMUSER_DOCKERD_START_TIMEOUT   seconds to wait for the API (default 60)
set -euo pipefail

state_dir="${SYSTEMUSER_DOCKERD_DIR:-/var/run/systemuser-dockerd}"
pid_file="$state_dir/dockerd.pid"
log_file="$state_dir/dockerd.log"
start_timeout="${SYSTEMUSER_DOCKERD_START_TIMEOUT:-60}"
stop_timeout=30

log() { echo "dockerd.sh: $*" >&2; }

engine_up() { docker info >/dev/null 2>&1; }

owned_pid() {
	[[ -s "$pid_file" ]] || return 1
	local pid
	pid="$(<"$pid_file")"
	# Guards against a stale pid file whose pid was reused by another program.
	[[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == dockerd ]] || return 1
	echo "$pid"
}

# Polls with a deadline instead of sleeping for a guessed duration.
wait_until() {
	local timeout="$1"
	shift
	local deadline=$((SECONDS + timeout))
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

# An engine killed with its session can leave containerd's pid file behind,
# naming a process that is gone, reused, or a zombie not yet reaped; dockerd
# would then wait for that "running" containerd until it times out.
clear_stale_containerd() {
	local f=/var/run/docker/containerd/containerd.pid pid state
	[[ -s "$f" ]] || return 0
	pid="$(<"$f")"
	state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
	if [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" != containerd || "$state" == Z ]]; then
		log "removing stale containerd pid file (pid $pid)"
		rm -f "$f"
	fi
}

start() {
	if engine_up; then
		log "engine already running"
		return 0
	fi
	command -v dockerd >/dev/null || {
		log "dockerd not installed: run scripts/install-deps.sh"
		return 1
	}
	mkdir -p "$state_dir"
	rm -f "$pid_file"
	clear_stale_containerd

	local args=(--pidfile "$pid_file")
	if [[ -n "${SYSTEMUSER_DOCKERD_STORAGE_DRIVER:-}" ]]; then
		args+=(--storage-driver "$SYSTEMUSER_DOCKERD_STORAGE_DRIVER")
	fi

	# setsid + closed stdio: the engine must not hold the caller's terminal or
	# pipes open, or CI would wait on it after .ci/run exits.
	setsid dockerd "${args[@]}" </dev/null >"$log_file" 2>&1 &
	local launcher=$!

	alive() { kill -0 "$launcher" 2>/dev/null; }
	ready_or_dead() { engine_up || ! alive; }
	if ! wait_until "$start_timeout" ready_or_dead || ! engine_up; then
		if alive; then
			log "engine did not answer within ${start_timeout}s; stopping it"
			kill "$launcher" 2>/dev/null || true
		else
			log "engine exited during start"
		fi
		log "last log lines ($log_file, gRPC chatter omitted):"
		grep -v 'module=grpc' "$log_file" | tail -n 15 >&2 || true
		return 1
	fi
	log "engine up (pid $(<"$pid_file"), log $log_file)"
}

stop() {
	local pid
	if ! pid="$(owned_pid)"; then
		log "no engine started by this script is running"
		return 0
	fi
	kill -TERM "$pid"
	gone() { ! kill -0 "$pid" 2>/dev/null; }
	if ! wait_until "$stop_timeout" gone; then
		log "engine (pid $pid) ignored SIGTERM for ${stop_timeout}s; killing"
		kill -KILL "$pid" 2>/dev/null || true
		wait_until 5 gone || true
	fi
	rm -f "$pid_file"
	log "engine stopped"
}

status() {
	if engine_up; then
		echo "running$(pid="$(owned_pid)" && echo " (pid $pid, started by this script)")"
	else
		echo "stopped"
		return 1
	fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
