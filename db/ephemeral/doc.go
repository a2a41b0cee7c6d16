// Package ephemeral runs a throwaway PostgreSQL server for development and tests.
//
// Start prefers the PostgreSQL binaries installed on the machine (initdb and postgres on
// PATH, else the highest version under /usr/lib/postgresql/*/bin) and falls back to a
// testcontainers-go container when none are installed, Docker answers and
// Options.AllowDocker is set.
//
// Decisions worth knowing:
//
//   - Durability is traded for speed: fsync, synchronous_commit and full_page_writes are off
//     and initdb runs with --no-sync. A power loss can corrupt the cluster; for dev/test data
//     that is the right trade (use Options.Fresh to start over).
//   - The server listens on 127.0.0.1 only, with trust authentication, and no Unix socket at
//     all: socket paths are limited to ~107 bytes and /var/run/postgresql is often not
//     writable, and every client here connects over TCP anyway.
//   - initdb and postgres refuse to run as root. When we are root they run as the "postgres"
//     system user (else "nobody") and the data directory is chowned to it. That user must be
//     able to traverse every parent of the data directory; when it cannot (a repository under
//     /root, mode 0700, the default in many dev containers) an empty or missing data directory
//     moves to Options.FallbackDir (/var/tmp/systemuser-postgres/<name>-<hash of the path>),
//     the requested path becomes a symlink to it, and one log line says where. `make run`
//     works wherever it is started; the link shows where the data went, and the next start
//     follows it. A populated directory that became unreachable is an ErrDataDirUnreachable
//     naming the blocking directory, since moving it would orphan the cluster.
//   - The postmaster gets Pdeathsig (Linux) from a goroutine locked to its OS thread for the
//     server's lifetime, so a hard kill of our process also stops postgres
//     (the signal fires on the death of the forking thread, go.dev/issue/27505).
//   - A postmaster.pid left by a crashed run is removed when its PID is dead or belongs to a
//     process that is not a postmaster for this data directory; a live postmaster on the same
//     directory is reported as ErrDataDirInUse rather than killed.
package ephemeral
