// Command systemuser runs the System User gateway, the bundled Maskinporten
// simulator, migrations, the demo seed and a vendor's token client.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `systemuser: a local System User gateway (Altinn Authorization + Maskinporten).

Usage:
  systemuser dev        everything: embedded PostgreSQL, migrations, demo seed, gateway and simulator
  systemuser gateway    the gateway (needs DATABASE_URL)
  systemuser simulator  the Maskinporten simulator (DATABASE_URL, or --config clients.yaml alone)
  systemuser migrate    up | down | status
  systemuser seed       load the demo world
  systemuser token      get a Maskinporten token as a vendor's client would (see: systemuser token -h)
  systemuser sim        drive a simulator's control API: fault | log | clock | keys | clients | claims (see: systemuser sim -h)
  systemuser health     GET URLs, exit 0 when all answer 2xx (container health checks)
  systemuser version

Every flag can also be set by an environment variable, shown in each command's -h.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "systemuser:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return runDev(ctx, rest, stdout, stderr)
	case "gateway":
		return runGateway(ctx, rest, stderr)
	case "simulator":
		return runSimulator(ctx, rest, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr)
	case "seed":
		return runSeed(ctx, rest, stdout, stderr)
	case "token":
		return runToken(ctx, rest, stdout, stderr)
	case "sim":
		return runSim(ctx, rest, stdout, stderr)
	case "health":
		return runHealth(ctx, rest, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "systemuser", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
