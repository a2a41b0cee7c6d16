package ephemeral

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// initFromCache fills the empty dir with a copy of a pristine cluster kept in cacheDir,
// running initdb only when the cache has none for this build of PostgreSQL and user.
// Copying takes a fraction of initdb's seconds, which every test binary would pay.
// Concurrent processes may both build; the atomic rename keeps exactly one.
func initFromCache(ctx context.Context, bin binaries, acc account, cacheDir, dir, user string) error {
	key, err := cacheKey(bin, user)
	if err != nil {
		return err
	}
	pristine := filepath.Join(cacheDir, key)
	if _, err := os.Stat(filepath.Join(pristine, "PG_VERSION")); err != nil {
		if err := buildPristine(ctx, bin, acc, cacheDir, pristine, user); err != nil {
			return err
		}
	}
	if err := copyTree(pristine, dir, acc); err != nil {
		return fmt.Errorf("ephemeral: copy cached cluster: %w", err)
	}
	return nil
}

func buildPristine(ctx context.Context, bin binaries, acc account, cacheDir, pristine, user string) error {
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return fmt.Errorf("ephemeral: %w", err)
	}
	tmp, err := os.MkdirTemp(cacheDir, filepath.Base(pristine)+".tmp-")
	if err != nil {
		return fmt.Errorf("ephemeral: %w", err)
	}
	if err := checkReachable(acc, tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := chownTree(acc, tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := initdb(ctx, bin, acc, tmp, user); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, pristine); err != nil {
		// Another process published one first; theirs is as good as ours.
		os.RemoveAll(tmp)
		if _, statErr := os.Stat(filepath.Join(pristine, "PG_VERSION")); statErr != nil {
			return fmt.Errorf("ephemeral: publish cached cluster: %w", err)
		}
	}
	return nil
}

// cacheKey names a pristine cluster by what shapes it: the initdb binary (path, size,
// modification time, so an upgrade invalidates it), the superuser and our initdb flags.
func cacheKey(bin binaries, user string) (string, error) {
	fi, err := os.Stat(bin.initdb)
	if err != nil {
		return "", fmt.Errorf("ephemeral: %w", err)
	}
	h := sha256.New()
	for _, part := range []string{bin.initdb, strconv.FormatInt(fi.Size(), 10),
		strconv.FormatInt(fi.ModTime().UnixNano(), 10), user, initdbFlagsVersion} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "pg-" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

// copyTree copies the regular files and directories of src into the existing dst,
// keeping modes and handing everything to acc.
func copyTree(src, dst string, acc account) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if rel != "." {
				if err := os.Mkdir(target, info.Mode().Perm()); err != nil {
					return err
				}
			}
		case d.Type().IsRegular():
			if err := copyFile(path, target, info.Mode().Perm()); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unexpected file type %v at %s", d.Type(), path)
		}
		if acc.cred != nil {
			return os.Lchown(target, int(acc.cred.Uid), int(acc.cred.Gid))
		}
		return nil
	})
}

func copyFile(src, dst string, perm fs.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, out.Close()) }()
	_, err = io.Copy(out, in)
	return err
}
