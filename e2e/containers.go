package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Ports inside the Docker network.
const (
	gatewayPort   = "8080/tcp"
	simulatorPort = "8090/tcp"
	postgresPort  = "5432/tcp"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// publishOnLoopback publishes port on 127.0.0.1 only (hostPort "" lets
// Docker pick one).
func publishOnLoopback(port, hostPort string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
		if hc.PortBindings == nil {
			hc.PortBindings = network.PortMap{}
		}
		hc.PortBindings[network.MustParsePort(port)] = []network.PortBinding{{HostIP: loopback, HostPort: hostPort}}
	})
}

// freePort picks a loopback port for a container to publish on. The gateway
// and simulator get fixed host ports because Docker picks a new ephemeral
// port on every restart, and their public URLs must survive RestartGateway.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("e2e: pick a port: %w", err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

// appContainer describes one systemuser container.
type appContainer struct {
	alias string
	args  []string
	env   map[string]string
	port  string // container port
	// urlEnv, when set, is the variable that gets the container's host URL
	// (its public URL, known only once the host port is picked).
	urlEnv  string
	ready   string // HTTP path answering 200 when ready
	network *testcontainers.DockerNetwork
}

// runApp starts c published on a fixed loopback port and returns the
// container and that port. A port taken between freePort and the container
// start is retried with another.
func (o Options) runApp(ctx context.Context, c appContainer) (*testcontainers.DockerContainer, string, error) {
	var lastErr error
	for range 3 {
		hostPort, err := freePort()
		if err != nil {
			return nil, "", err
		}
		ctr, err := o.runAppOn(ctx, c, hostPort)
		if err == nil {
			return ctr, hostPort, nil
		}
		if !strings.Contains(err.Error(), "already allocated") && !strings.Contains(err.Error(), "address already in use") {
			return nil, "", err
		}
		lastErr = err
	}
	return nil, "", lastErr
}

// runAppOn starts c published on hostPort and waits until it is ready.
func (o Options) runAppOn(ctx context.Context, c appContainer, hostPort string) (*testcontainers.DockerContainer, error) {
	env := maps.Clone(c.env)
	if c.urlEnv != "" {
		env[c.urlEnv] = "http://127.0.0.1:" + hostPort
	}
	ctr, err := testcontainers.Run(ctx, o.Image,
		testcontainers.WithLogger(tcLogger{&o}),
		testcontainers.WithCmd(c.args...),
		testcontainers.WithEnv(env),
		testcontainers.WithExposedPorts(c.port),
		publishOnLoopback(c.port, hostPort),
		tcnetwork.WithNetwork([]string{c.alias}, c.network),
		testcontainers.WithWaitStrategyAndDeadline(o.StartupTimeout,
			wait.ForHTTP(c.ready).WithPort(c.port).
				WithStatusCodeMatcher(func(s int) bool { return s == 200 }).
				WithPollInterval(50*time.Millisecond)),
	)
	if err != nil {
		err = fmt.Errorf("e2e: start %s: %w%s", c.alias, err, logTail(ctx, ctr))
		return nil, errors.Join(err, terminate(ctr))
	}
	return ctr, nil
}

// logTail is the end of a container's output, for start errors: a gateway
// that exits at once says why only there.
func logTail(ctx context.Context, ctr testcontainers.Container) string {
	if ctr == nil || reflect.ValueOf(ctr).IsNil() {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	rc, err := ctr.Logs(ctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return "\n--- container log (tail) ---\n" + strings.Join(lines, "\n")
}

// terminate removes a container, ignoring a nil one; Ryuk may be off, so
// nothing else would.
func terminate(ctr testcontainers.Container) error {
	if ctr == nil {
		return nil
	}
	if err := testcontainers.TerminateContainer(ctr, testcontainers.StopTimeout(5*time.Second)); err != nil {
		return fmt.Errorf("e2e: terminate container: %w", err)
	}
	return nil
}

func removeNetwork(nw *testcontainers.DockerNetwork) error {
	if nw == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := nw.Remove(ctx); err != nil {
		return fmt.Errorf("e2e: remove network: %w", err)
	}
	return nil
}

var errClosed = errors.New("e2e: stack closed")

// tcLogger sends testcontainers' progress lines to the stack's logger at
// debug level instead of the process's standard logger.
type tcLogger struct{ o *Options }

func (l tcLogger) Printf(format string, v ...any) {
	l.o.Logger.Debug("testcontainers: " + fmt.Sprintf(format, v...))
}
