package ephemeral

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// postmaster is a running postgres process.
type postmaster struct {
	cmd  *exec.Cmd
	log  *logWriter
	done chan struct{} // closed once the process has been reaped
	err  error         // Wait's result; read only after done
}

// settings are the server's -c options. Durability is off on purpose (dev/test data);
// listen_addresses keeps it off the network; an empty unix_socket_directories means no
// socket file to place.
func settings(port int, extra map[string]string) []string {
	s := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"port":                    strconv.Itoa(port),
		"unix_socket_directories": "",
		"fsync":                   "off",
		"synchronous_commit":      "off",
		"full_page_writes":        "off",
		"max_connections":         "200",
	}
	for k, v := range extra {
		s[k] = v
	}
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	args := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		args = append(args, "-c", k+"="+s[k])
	}
	return args
}

// startPostmaster launches postgres on dir. The launching goroutine stays locked to its
// OS thread until the process is reaped: Pdeathsig fires when the forking thread exits,
// and the runtime may retire an unlocked thread long before our process ends.
func startPostmaster(bin binaries, acc account, dir string, port int, lw *logWriter, extra map[string]string) (*postmaster, error) {
	args := append([]string{"-D", dir}, settings(port, extra)...)
	cmd := exec.Command(bin.postgres, args...)
	cmd.Dir = dir
	cmd.Stdout = lw
	cmd.Stderr = lw
	cmd.SysProcAttr = sysProcAttr(acc.cred)
	pm := &postmaster{cmd: cmd, log: lw, done: make(chan struct{})}

	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		pm.err = cmd.Wait()
		close(pm.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("ephemeral: start postgres: %w", err)
	}
	return pm, nil
}

func (pm *postmaster) pid() int { return pm.cmd.Process.Pid }

// exited reports the process's end as an error carrying its last log lines.
func (pm *postmaster) exitError() error {
	return fmt.Errorf("ephemeral: postgres exited: %w\n%s", pm.err, pm.log.tail())
}

// stop asks for a fast shutdown (SIGINT: abort transactions, checkpoint, exit) and
// escalates to immediate (SIGQUIT) and SIGKILL when ctx ends first.
func (pm *postmaster) stop(ctx context.Context) error {
	select {
	case <-pm.done:
		return nil
	default:
	}
	if err := pm.cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("ephemeral: signal postgres: %w", err)
	}
	select {
	case <-pm.done:
		return nil
	case <-ctx.Done():
	}
	for _, sig := range []syscall.Signal{syscall.SIGQUIT, syscall.SIGKILL} {
		_ = pm.cmd.Process.Signal(sig)
		select {
		case <-pm.done:
			return fmt.Errorf("ephemeral: postgres needed %v to stop: %w", sig, ctx.Err())
		case <-time.After(5 * time.Second):
		}
	}
	return fmt.Errorf("ephemeral: postgres (pid %d) did not stop: %w", pm.pid(), ctx.Err())
}
