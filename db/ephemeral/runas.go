package ephemeral

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// ErrDataDirUnreachable means the unprivileged user postgres runs as cannot reach the
// data directory (a parent directory denies it search permission).
var ErrDataDirUnreachable = errors.New("ephemeral: data directory not reachable by the postgres user")

// account is the identity initdb and postgres run as; nil credential means "as ourselves".
type account struct {
	name string
	cred *syscall.Credential
}

// serverAccount picks who runs the server: ourselves unless we are root, which initdb
// and postgres refuse.
func serverAccount() (account, error) {
	if os.Geteuid() != 0 {
		return account{name: strconv.Itoa(os.Geteuid())}, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return account{name: name, cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}, nil
	}
	return account{}, errors.New("ephemeral: running as root and neither a postgres nor a nobody user exists")
}

// checkReachable reports the first parent of dir that acc cannot search. Only the
// primary group counts: we start the child with no supplementary groups.
func checkReachable(acc account, dir string) error {
	if acc.cred == nil {
		return nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("ephemeral: stat %s: %w", p, err)
		}
		if !canSearch(acc.cred, fi) {
			return fmt.Errorf("%w: %s runs as user %s (uid %d) because initdb refuses root, "+
				"and %s (mode %v) denies it",
				ErrDataDirUnreachable, filepath.Base(dir), acc.name, acc.cred.Uid, p, fi.Mode().Perm())
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func canSearch(cred *syscall.Credential, fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == cred.Uid:
		return perm&0o100 != 0
	case st.Gid == cred.Gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// chownTree hands dir to acc when it is not already its owner; a reused cluster is
// normally owned already, so warm starts skip the walk.
func chownTree(acc account, dir string) error {
	if acc.cred == nil {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("ephemeral: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid == acc.cred.Uid {
		return nil
	}
	uid, gid := int(acc.cred.Uid), int(acc.cred.Gid)
	err = filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("ephemeral: chown data directory: %w", err)
	}
	return nil
}
