package ephemeral

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNoPostgres means no local PostgreSQL binaries were found and the Docker fallback was
// disabled or failed.
var ErrNoPostgres = errors.New("ephemeral: no PostgreSQL server available")

// binaries are the absolute paths of the programs we run.
type binaries struct {
	initdb   string
	postgres string
}

// debianRoot is where Debian/Ubuntu install versioned server binaries off PATH.
const debianRoot = "/usr/lib/postgresql"

// findBinaries looks in opts.BinDir, then (when the data dir already holds a cluster of
// major version prefer) that version's Debian directory, then PATH, then the highest
// Debian version. Preferring the cluster's own version avoids "database files are
// incompatible with server" after a second major version is installed.
func findBinaries(opts Options, prefer string) (binaries, error) {
	if opts.BinDir != "" {
		b, ok := binariesIn(opts.BinDir)
		if !ok {
			return binaries{}, fmt.Errorf("ephemeral: initdb and postgres not found in BinDir %s", opts.BinDir)
		}
		return b, nil
	}
	for _, dir := range candidateDirs(opts, prefer) {
		if b, ok := binariesIn(dir); ok {
			return b, nil
		}
	}
	return binaries{}, ErrNoPostgres
}

func candidateDirs(opts Options, prefer string) []string {
	if opts.searchDirs != nil {
		return opts.searchDirs
	}
	var dirs []string
	if prefer != "" {
		dirs = append(dirs, filepath.Join(debianRoot, prefer, "bin"))
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	return append(dirs, debianVersionDirs()...)
}

// debianVersionDirs lists /usr/lib/postgresql/<major>/bin, highest major first.
func debianVersionDirs() []string {
	entries, err := os.ReadDir(debianRoot)
	if err != nil {
		return nil
	}
	type version struct {
		major int
		dir   string
	}
	var vs []version
	for _, e := range entries {
		major, err := strconv.Atoi(strings.SplitN(e.Name(), ".", 2)[0])
		if err != nil {
			continue
		}
		vs = append(vs, version{major, filepath.Join(debianRoot, e.Name(), "bin")})
	}
	slices.SortFunc(vs, func(a, b version) int { return cmp.Compare(b.major, a.major) })
	dirs := make([]string, 0, len(vs))
	for _, v := range vs {
		dirs = append(dirs, v.dir)
	}
	return dirs
}

func binariesIn(dir string) (binaries, bool) {
	b := binaries{initdb: filepath.Join(dir, "initdb"), postgres: filepath.Join(dir, "postgres")}
	for _, p := range []string{b.initdb, b.postgres} {
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return binaries{}, false
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return binaries{}, false
	}
	return binaries{initdb: filepath.Join(abs, "initdb"), postgres: filepath.Join(abs, "postgres")}, true
}
