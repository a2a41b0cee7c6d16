package ephemeral

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const helperEnv = "EPHEMERAL_HELPER_DATADIR"

// TestHelperServer is not a test: TestHardKill runs it in a child process that starts a
// server, reports the postmaster's PID and waits to be killed.
func TestHelperServer(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	s, err := Start(context.Background(), Options{DataDir: dir})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	fmt.Println("PID", s.PID())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until killed
	os.Exit(0)
}

// TestHardKill kills our process the hard way and expects postgres to follow (Pdeathsig),
// then a new Start on the same directory to recover the crashed cluster.
func TestHardKill(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	child := exec.Command(os.Args[0], "-test.run=^TestHelperServer$")
	child.Env = append(os.Environ(), helperEnv+"="+dir)
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "PID ") {
		_ = child.Process.Kill()
		_ = child.Wait()
		t.Fatalf("helper said %q (%v)", line, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "PID ")))
	if err != nil {
		t.Fatal(err)
	}
	// A pidfd turns "has postgres exited" into an event we can wait for with a deadline.
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatalf("pidfd_open(%d): %v", pid, err)
	}
	defer unix.Close(pidfd)

	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()

	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, int((10 * time.Second).Milliseconds()))
	if err != nil || n != 1 {
		_ = unix.Kill(pid, unix.SIGKILL)
		t.Fatalf("postgres (pid %d) outlived its SIGKILLed parent (poll n=%d err=%v)", pid, n, err)
	}

	s := mustStart(t, Options{DataDir: dir})
	if s.Initialized() {
		t.Error("restart after a crash re-initialised the cluster")
	}
}
