#!/bin/sh
# Entrypoint for the offline PostgreSQL 15 test image. It honours the
# environment of the official postgres image that tests rely on
# (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, POSTGRES_HOST_AUTH_METHOD,
# POSTGRES_INITDB_ARGS, PGDATA, /docker-entrypoint-initdb.d) and logs
# "database system is ready to accept connections" twice on first start, once
# for the temporary init server and once for the real one, as that image does,
# so wait strategies written for it behave the same.
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
	set -- postgres "$@"
fi

if [ "$1" != postgres ]; then
	exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	# setpriv execs in place (no lingering parent), so postgres is PID 1 and
	# receives the stop signal directly.
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

init_cluster() {
	: "${POSTGRES_USER:=postgres}"
	: "${POSTGRES_DB:=$POSTGRES_USER}"
	auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
		echo "error: POSTGRES_PASSWORD must be set (or POSTGRES_HOST_AUTH_METHOD=trust)" >&2
		exit 1
	fi

	# --no-sync: a disposable test database gains nothing from fsyncing the
	# fresh cluster, and it saves most of initdb's time.
	set -- --username="$POSTGRES_USER" --encoding=UTF8 --locale=C.UTF-8 --no-sync
	pwfile=""
	if [ -n "${POSTGRES_PASSWORD:-}" ]; then
		pwfile="$(mktemp)"
		printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
		set -- "$@" --pwfile="$pwfile"
	fi
	# shellcheck disable=SC2086 # word splitting of the user's initdb args is intended
	initdb "$@" ${POSTGRES_INITDB_ARGS:-} >/dev/null
	[ -z "$pwfile" ] || rm -f "$pwfile"

	printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
	printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

	pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c fsync=off -p 5432" -w start
	export PGUSER="$POSTGRES_USER" PGDATABASE=postgres
	if [ "$POSTGRES_DB" != postgres ]; then
		psql -q -v ON_ERROR_STOP=1 --no-password --no-psqlrc --set db="$POSTGRES_DB" <<-'SQL'
			CREATE DATABASE :"db";
		SQL
	fi
	export PGDATABASE="$POSTGRES_DB"
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sql) psql -q -v ON_ERROR_STOP=1 --no-password --no-psqlrc -f "$f" ;;
		*.sh) sh "$f" ;;
		*) ;;
		esac
	done
	unset PGUSER PGDATABASE
	pg_ctl -D "$PGDATA" -m fast -w stop
	echo "PostgreSQL init process complete; ready for start up."
}

shift
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	(init_cluster)
fi
exec postgres "$@"
