package ephemeral

import (
	"log/slog"
	"time"
)

// Options configures Start. Only DataDir is required (by the local backend); every other
// field has a working default.
type Options struct {
	// DataDir holds the cluster. A directory that already contains PG_VERSION is reused;
	// an empty or missing one is initialised with initdb.
	DataDir string
	// FallbackDir is where, when we run as root, a DataDir the postgres user
	// cannot reach (a parent of mode 0700, such as /root) moves; DataDir then
	// becomes a symlink to it. Default /var/tmp/systemuser-postgres.
	FallbackDir string
	// Fresh removes an existing cluster in DataDir first. It refuses to remove a non-empty
	// directory that does not look like a cluster (no PG_VERSION).
	Fresh bool
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// Logger receives lifecycle events at Info and the server's own log lines at Debug.
	Logger *slog.Logger
	// AllowDocker enables the testcontainers fallback when no local binaries are found.
	// Offline, set TESTCONTAINERS_RYUK_DISABLED=true (Ryuk's image cannot be pulled);
	// inside a container, TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1.
	AllowDocker bool
	// DockerImage defaults to "postgres:15".
	DockerImage string
	// Database is created when missing; default "systemuser".
	Database string
	// User is the bootstrap superuser given to initdb; default "systemuser".
	User string
	// Password appears in URL and is set on the Docker container. The local server uses
	// trust authentication, so it is not checked there. Default "systemuser".
	Password string
	// InitCache, when set, keeps a pristine freshly-initialised cluster there (one per
	// PostgreSQL build and User) and copies it into an empty DataDir instead of running
	// initdb: test binaries that each need a server start in a fraction of the time.
	InitCache string
	// BinDir forces the directory holding initdb and postgres.
	BinDir string
	// Settings are extra server settings passed as -c name=value.
	Settings map[string]string
	// StartTimeout bounds initdb plus start-up; default 60s.
	StartTimeout time.Duration

	// searchDirs replaces PATH and /usr/lib/postgresql/*/bin in tests; an empty non-nil
	// slice means "nothing installed".
	searchDirs []string
}

const (
	defaultImage        = "postgres:15"
	defaultName         = "systemuser"
	defaultStartTimeout = 60 * time.Second
)

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.DockerImage == "" {
		o.DockerImage = defaultImage
	}
	if o.Database == "" {
		o.Database = defaultName
	}
	if o.User == "" {
		o.User = defaultName
	}
	if o.Password == "" {
		o.Password = defaultName
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = defaultStartTimeout
	}
	return o
}
