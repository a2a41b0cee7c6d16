#!/usr/bin/env bash
# Builds the container images the end-to-end tests run, without any registry:
#
#   SYSTEMUSER_E2E_POSTGRES_IMAGE (default systemuser-e2e-postgres:15)
#       PostgreSQL 15 from Debian packages (debootstrap + docker import), with
#       an entrypoint that speaks the official image's POSTGRES_* variables.
#       Rebuilt only when its recipe (this script's rootfs settings,
#       e2e/images/postgres/*) changes; the debootstrapped rootfs is a separate
#       image tagged with its recipe hash, so entrypoint edits skip debootstrap.
#   SYSTEMUSER_E2E_IMAGE (default systemuser:dev)
#       ./cmd/systemuser as a static binary FROM scratch; rebuilt whenever the
#       binary's hash differs from the image's label. SYSTEMUSER_E2E_BINARY
#       names a prebuilt static binary to use instead of building one.
#
# Needs a running engine (scripts/dockerd.sh start) and, for the first
# PostgreSQL build, debootstrap and the machine's Debian mirror
# (SYSTEMUSER_E2E_APT_MIRROR overrides the one read from /etc/apt).
#
#   scripts/e2e-images.sh [postgres] [systemuser]   # default: both
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
images_dir="$repo/e2e/images"

postgres_image="${SYSTEMUSER_E2E_POSTGRES_IMAGE:-systemuser-e2e-postgres:15}"
app_image="${SYSTEMUSER_E2E_IMAGE:-systemuser:dev}"
label_prefix=org.systemuser.e2e

# The docker CLI on these machines has no buildx plugin; the classic builder
# needs nothing beyond the engine.
export DOCKER_BUILDKIT=0

# Bump when the rootfs steps below change in a way the hash cannot see.
rootfs_revision=2
suite=bookworm
pg_major=15

log() { echo "e2e-images: $*" >&2; }

# Runs docker build and shows its output only when it fails (the classic
# builder prints a deprecation notice on every run).
docker_build() {
	local out
	if ! out="$(docker build "$@" 2>&1)"; then
		echo "$out" >&2
		return 1
	fi
}

# Drops what earlier builds left behind: rootfs images of other recipes and
# final images whose tag moved to a newer build.
prune_stale() {
	local keep="$1" ref
	docker image prune -f --filter "label=$label_prefix.inputs" >/dev/null
	while read -r ref; do
		[[ "$ref" == "$keep" ]] || docker image rm "$ref" >/dev/null 2>&1 || true
	done < <(docker image ls --format '{{.Repository}}:{{.Tag}}' systemuser-e2e-postgres-rootfs)
}

sha256() { sha256sum | cut -c1-64; }

image_label() {
	docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

# Prints the first Debian archive URI in the machine's apt sources: the one
# serving $suite if any, else any whose path ends in /debian.
apt_mirror() {
	if [[ -n "${SYSTEMUSER_E2E_APT_MIRROR:-}" ]]; then
		echo "$SYSTEMUSER_E2E_APT_MIRROR"
		return
	fi
	local files=() f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[[ -f "$f" ]] && files+=("$f")
	done
	((${#files[@]})) || return 1
	# Normalises one-line and deb822 sources to "URI SUITE" pairs.
	awk '
		function flush() { if (uris != "") { n = split(uris, u, " "); m = split(suites, s, " "); for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j] } uris = ""; suites = "" }
		FNR == 1 { flush() }
		/^[[:space:]]*#/ { next }
		/^deb[[:space:]]/ { sub(/\[[^]]*\][[:space:]]*/, ""); print $2, $3; next }
		/^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $0; next }
		/^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0; next }
		/^[[:space:]]*$/ { flush() }
		END { flush() }
	' "${files[@]}" 2>/dev/null |
		awk -v suite="$suite" '
			$2 == suite { print $1; found = 1; exit }
			$1 ~ /\/debian\/?$/ && fallback == "" { fallback = $1 }
			END { if (!found && fallback != "") print fallback }
		'
}

# Removes a debootstrap target, refusing to recurse into anything still
# mounted inside it (an interrupted debootstrap can leave /proc mounted).
remove_rootfs() {
	local dir="$1"
	[[ -d "$dir" ]] || return 0
	local m
	while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done < <(findmnt -rn -o TARGET | grep -F "$dir/" | sort -r)
	rm -rf --one-file-system "$dir"
}

build_postgres_rootfs() {
	local tag="$1" mirror="$2"
	local work
	work="$(mktemp -d /var/tmp/systemuser-pg-rootfs.XXXXXX)"
	# shellcheck disable=SC2064 # expand now: the trap must remove this dir
	trap "remove_rootfs '$work'" RETURN
	local root="$work/root"

	log "debootstrap $suite postgresql-$pg_major from $mirror (a few minutes)"
	# A second try absorbs a transient mirror failure; CI must not flake.
	local attempt
	for attempt in 1 2; do
		if debootstrap --variant=minbase --include="postgresql-$pg_major" \
			"$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
			break
		fi
		log "debootstrap attempt $attempt failed:"
		tail -n 20 "$work/debootstrap.log" >&2
		[[ -f "$root/debootstrap/debootstrap.log" ]] && tail -n 20 "$root/debootstrap/debootstrap.log" >&2
		remove_rootfs "$root"
		((attempt < 2)) || return 1
	done

	# The package creates a "main" cluster; the entrypoint makes its own.
	rm -rf "$root/var/lib/postgresql/$pg_major" "$root/etc/postgresql/$pg_major"
	# JIT is loaded on demand and PostgreSQL runs without it if absent; LLVM
	# and its z3 were half of the image. Full perl serves only the
	# postgresql-common wrappers, which the entrypoint does not use.
	rm -rf "$root/usr/lib/postgresql/$pg_major/lib/llvmjit"* \
		"$root/usr/lib/postgresql/$pg_major/lib/bitcode" \
		"$root"/usr/lib/x86_64-linux-gnu/{libLLVM,libz3,libperl}* \
		"$root"/usr/lib/x86_64-linux-gnu/perl "$root"/usr/share/{perl,perl5}
	# Docs, translations and all locales but C.UTF-8 (initdb uses it).
	find "$root/usr/lib/locale" -mindepth 1 -maxdepth 1 ! -name C.utf8 -exec rm -rf {} +
	rm -rf "$root"/usr/share/{doc,man,info,lintian,locale,i18n} \
		"$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* \
		"$root"/var/cache/debconf/*-old "$root"/var/log/* \
		"$root/debootstrap"
	mkdir -p "$root/docker-entrypoint-initdb.d"

	tar --numeric-owner -C "$root" -c . | docker import - "$tag" >/dev/null
}

build_postgres() {
	local mirror recipe base inputs
	mirror="$(apt_mirror)" || true
	if [[ -z "$mirror" ]]; then
		log "no Debian mirror found in /etc/apt; set SYSTEMUSER_E2E_APT_MIRROR"
		return 1
	fi
	recipe="$(printf '%s\n' "$rootfs_revision" "$suite" "$pg_major" "$(uname -m)" | sha256)"
	base="systemuser-e2e-postgres-rootfs:$pg_major-${recipe:0:12}"

	if ! docker image inspect "$base" >/dev/null 2>&1; then
		build_postgres_rootfs "$base" "$mirror"
	fi

	inputs="$(
		{
			docker image inspect --format '{{.Id}}' "$base"
			cat "$images_dir/postgres/Dockerfile" "$images_dir/postgres/docker-entrypoint.sh"
		} | sha256
	)"
	if [[ "$(image_label "$postgres_image" "$label_prefix.inputs")" == "$inputs" ]]; then
		log "$postgres_image up to date"
	else
		docker_build --build-arg BASE="$base" --label "$label_prefix.inputs=$inputs" \
			-t "$postgres_image" "$images_dir/postgres"
		log "$postgres_image built"
	fi
	prune_stale "$base"
}

build_app() {
	local ctx sum
	ctx="$(mktemp -d)"
	# shellcheck disable=SC2064 # expand now: the trap must remove this dir
	trap "rm -rf '$ctx'" RETURN

	if [[ -n "${SYSTEMUSER_E2E_BINARY:-}" ]]; then
		cp "$SYSTEMUSER_E2E_BINARY" "$ctx/systemuser"
	else
		# timetzdata: FROM scratch has no zoneinfo for time.LoadLocation.
		(cd "$repo" && CGO_ENABLED=0 go build -trimpath -tags timetzdata -o "$ctx/systemuser" ./cmd/systemuser)
	fi
	sum="$(sha256 <"$ctx/systemuser")"
	sum="$(cat - "$images_dir/systemuser/Dockerfile" <<<"$sum" | sha256)"
	if [[ "$(image_label "$app_image" "$label_prefix.inputs")" == "$sum" ]]; then
		log "$app_image up to date"
		return 0
	fi
	mkdir -p "$ctx/rootfs/tmp" "$ctx/state"
	chmod 1777 "$ctx/rootfs/tmp"
	cp "$images_dir/systemuser/Dockerfile" "$ctx/Dockerfile"
	docker_build --label "$label_prefix.inputs=$sum" -t "$app_image" "$ctx"
	docker image prune -f --filter "label=$label_prefix.inputs" >/dev/null
	log "$app_image built"
}

targets=("$@")
((${#targets[@]})) || targets=(postgres systemuser)
for t in "${targets[@]}"; do
	case "$t" in
	postgres) build_postgres ;;
	systemuser) build_app ;;
	*)
		echo "usage: $0 [postgres] [systemuser]" >&2
		exit 2
		;;
	esac
done
