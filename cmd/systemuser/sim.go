package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/systemuser-gateway/systemuser/simulator/simctl"
)

const simUsage = `usage: systemuser sim NOUN ACTION [flags]   (a simulator started with --control, or in dev)

  fault arm --status 503 --error temporarily_unavailable [--count N] [--reason ID] [--description TEXT]
            [--delay 2s] [--drop] [--client-id ID] [--scope S]
  fault list | clear
  log [list] [--client-id ID] [--since 5m|RFC3339] [--count]     log clear
  clock [show] | set OFFSET (e.g. 1h, -30m) | advance DURATION | reset
  keys [show] | rotate [--drop-old]
  clients list | add --org 123456789 [--client-id ID] [--scope "a b"] [--generate-key] [--jwks FILE]
                       [--lifetime 30s] [--claim k=v ...]
          remove ID | set ID [--lifetime 30s] [--claim k=v ...]
  claims add --claim k=v ... [--client-id ID] [--count N] | list | clear

Every action takes --url (env SYSTEMUSER_SIMULATOR_URL, default http://localhost:8090) and --key
(env SYSTEMUSER_SIMULATOR_KEY): the test key that scopes faults, claim overrides and log queries.
Answers are printed as JSON. A --claim value is JSON when it parses as JSON, else a string.
`

// runSim is `systemuser sim ...`: the control API from a shell, one
// simctl call per action.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// --url and --key may also come before the noun.
	url := env("SYSTEMUSER_SIMULATOR_URL", "http://localhost:8090")
	key := env("SYSTEMUSER_SIMULATOR_KEY", "")
	global := flag.NewFlagSet("sim", flag.ContinueOnError)
	global.SetOutput(stderr)
	global.Usage = func() { fmt.Fprint(stderr, simUsage) }
	global.StringVar(&url, "url", url, "simulator base URL")
	global.StringVar(&key, "key", key, "test key")
	if err := global.Parse(args); err != nil {
		return err
	}
	args = global.Args()
	if len(args) == 0 || args[0] == "help" {
		fmt.Fprint(stderr, simUsage)
		return flag.ErrHelp
	}
	noun, rest := args[0], args[1:]
	action := ""
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		action, rest = rest[0], rest[1:]
	}
	sc := &simCommand{stdout: stdout, stderr: stderr}
	sc.fs = flag.NewFlagSet("sim "+noun+" "+action, flag.ContinueOnError)
	sc.fs.SetOutput(stderr)
	sc.fs.Usage = func() { fmt.Fprint(stderr, simUsage) }
	sc.fs.StringVar(&sc.url, "url", url, "simulator base URL (env SYSTEMUSER_SIMULATOR_URL)")
	sc.fs.StringVar(&sc.key, "key", key, "test key (env SYSTEMUSER_SIMULATOR_KEY)")
	run, err := sc.action(noun, action)
	if err != nil {
		fmt.Fprint(stderr, simUsage)
		return err
	}
	// A positional argument may come before the flags; a negative
	// duration ("clock advance -30m") looks like a flag, so it is taken
	// here when it parses as one.
	if len(rest) > 0 {
		if _, err := time.ParseDuration(rest[0]); err == nil || !strings.HasPrefix(rest[0], "-") {
			sc.args, rest = rest[:1], rest[1:]
		}
	}
	if err := sc.fs.Parse(rest); err != nil {
		return err
	}
	sc.args = append(sc.args, sc.fs.Args()...)
	sc.ctl = &simctl.Client{BaseURL: sc.url, Key: sc.key, HTTP: &http.Client{Timeout: 90 * time.Second}}
	return run(ctx)
}

type simCommand struct {
	fs          *flag.FlagSet
	args        []string // positional arguments
	url, key    string
	ctl         *simctl.Client
	stdout      io.Writer
	stderr      io.Writer
	claims      claimFlag
	lifetime    time.Duration
	clientID    string
	count       int
	sinceFlag   string
	countOnly   bool
	dropOld     bool
	org, scopes string
	generateKey bool
	jwksFile    string
}

// action registers the flags of one action and returns its body.
func (sc *simCommand) action(noun, action string) (func(context.Context) error, error) {
	fs := sc.fs
	switch noun + " " + action {
	case "fault arm":
		var f simctl.Fault
		var delay time.Duration
		fs.IntVar(&f.Count, "count", 1, "how many requests get the fault")
		fs.IntVar(&f.Status, "status", 0, "HTTP status (4xx or 5xx)")
		fs.StringVar(&f.Error, "error", "", "OAuth error code, e.g. temporarily_unavailable, invalid_altinn_customer_configuration")
		fs.StringVar(&f.ErrorDescription, "description", "", "error_description (default: Maskinporten's text for the code)")
		fs.StringVar(&f.Reason, "reason", "", "one of the simulator's rejections by id, e.g. no_system_user (MP-303), jti_replayed, expired")
		fs.DurationVar(&delay, "delay", 0, "wait this long first")
		fs.BoolVar(&f.Drop, "drop", false, "close the connection without an answer")
		fs.StringVar(&f.ClientID, "client-id", "", "only requests of this client")
		fs.StringVar(&f.Scope, "scope", "", "only requests asking for this scope")
		return func(ctx context.Context) error {
			f.DelayMS = int(delay / time.Millisecond)
			return sc.print(sc.ctl.ArmFault(ctx, f))
		}, nil
	case "fault list":
		return func(ctx context.Context) error { return sc.print(sc.ctl.Faults(ctx)) }, nil
	case "fault clear":
		return func(ctx context.Context) error { return sc.ctl.ClearFaults(ctx) }, nil
	case "log ", "log list":
		fs.StringVar(&sc.clientID, "client-id", "", "only this client's requests")
		fs.StringVar(&sc.sinceFlag, "since", "", "only requests since this time (RFC 3339) or this long ago (e.g. 5m)")
		fs.BoolVar(&sc.countOnly, "count", false, "print only the number of requests")
		return sc.log, nil
	case "log clear":
		return func(ctx context.Context) error { return sc.ctl.ClearRequests(ctx) }, nil
	case "clock ", "clock show":
		return func(ctx context.Context) error { return sc.print(sc.ctl.Clock(ctx)) }, nil
	case "clock set", "clock advance":
		return func(ctx context.Context) error {
			if len(sc.args) != 1 {
				return fmt.Errorf("sim clock %s: want one duration, e.g. 1h or -30m", action)
			}
			d, err := time.ParseDuration(sc.args[0])
			if err != nil {
				return fmt.Errorf("sim clock %s: %w", action, err)
			}
			if action == "set" {
				return sc.print(sc.ctl.SetClockOffset(ctx, d))
			}
			return sc.print(sc.ctl.AdvanceClock(ctx, d))
		}, nil
	case "clock reset":
		return func(ctx context.Context) error { return sc.ctl.ResetClock(ctx) }, nil
	case "keys ", "keys show":
		return func(ctx context.Context) error { return sc.print(sc.ctl.Keys(ctx)) }, nil
	case "keys rotate":
		fs.BoolVar(&sc.dropOld, "drop-old", false, "remove the old key from /jwk at once")
		return func(ctx context.Context) error { return sc.print(sc.ctl.RotateKeys(ctx, sc.dropOld)) }, nil
	case "clients ", "clients list":
		return func(ctx context.Context) error { return sc.print(sc.ctl.Clients(ctx)) }, nil
	case "clients add":
		fs.StringVar(&sc.clientID, "client-id", "", "client id (default: a new UUID)")
		fs.StringVar(&sc.org, "org", "", "owning organisation (9 digits)")
		fs.StringVar(&sc.scopes, "scope", "", "space-separated scopes")
		fs.BoolVar(&sc.generateKey, "generate-key", false, "generate a key; the private JWK is printed once")
		fs.StringVar(&sc.jwksFile, "jwks", "", "file with the client's public JWKS")
		sc.settingsFlags()
		return sc.addClient, nil
	case "clients remove":
		return func(ctx context.Context) error {
			if len(sc.args) != 1 {
				return errors.New("sim clients remove: want the client id")
			}
			return sc.ctl.DeleteClient(ctx, sc.args[0])
		}, nil
	case "clients set":
		sc.settingsFlags()
		return func(ctx context.Context) error {
			if len(sc.args) != 1 {
				return errors.New("sim clients set: want the client id")
			}
			return sc.print(sc.ctl.SetClientSettings(ctx, sc.args[0], sc.settings()))
		}, nil
	case "claims add":
		fs.Var(&sc.claims, "claim", "k=v, repeatable")
		fs.StringVar(&sc.clientID, "client-id", "", "only tokens of this client")
		fs.IntVar(&sc.count, "count", 1, "how many tokens get the claims")
		return func(ctx context.Context) error {
			return sc.print(sc.ctl.OverrideClaims(ctx, simctl.ClaimOverride{ClientID: sc.clientID, Count: sc.count, Claims: sc.claims}))
		}, nil
	case "claims list":
		return func(ctx context.Context) error { return sc.print(sc.ctl.ClaimOverrides(ctx)) }, nil
	case "claims clear":
		return func(ctx context.Context) error { return sc.ctl.ClearClaimOverrides(ctx) }, nil
	}
	return nil, fmt.Errorf("sim: unknown command %q", strings.TrimSpace(noun+" "+action))
}

func (sc *simCommand) settingsFlags() {
	sc.fs.DurationVar(&sc.lifetime, "lifetime", 0, "token lifetime (default: the simulator's)")
	sc.fs.Var(&sc.claims, "claim", "extra claim k=v for every token of the client, repeatable")
}

func (sc *simCommand) settings() simctl.ClientSettings {
	return simctl.ClientSettings{TokenLifetimeSeconds: int(sc.lifetime / time.Second), ExtraClaims: sc.claims}
}

func (sc *simCommand) log(ctx context.Context) error {
	q := simctl.RequestQuery{ClientID: sc.clientID}
	if sc.sinceFlag != "" {
		if d, err := time.ParseDuration(sc.sinceFlag); err == nil {
			q.Since = time.Now().Add(-d)
		} else if q.Since, err = time.Parse(time.RFC3339Nano, sc.sinceFlag); err != nil {
			return fmt.Errorf("sim log: --since %q: want a duration or an RFC 3339 time", sc.sinceFlag)
		}
	}
	reqs, err := sc.ctl.Requests(ctx, q)
	if err != nil {
		return err
	}
	if sc.countOnly {
		_, err := fmt.Fprintln(sc.stdout, len(reqs))
		return err
	}
	return sc.print(reqs, nil)
}

func (sc *simCommand) addClient(ctx context.Context) error {
	c := simctl.MaskinportenClient{ClientID: sc.clientID, OrgNumber: sc.org, Scopes: strings.Fields(sc.scopes), GenerateKey: sc.generateKey}
	if c.Scopes == nil {
		c.Scopes = []string{}
	}
	if sc.jwksFile != "" {
		b, err := os.ReadFile(sc.jwksFile)
		if err != nil {
			return fmt.Errorf("sim clients add: %w", err)
		}
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(b, &set); err != nil {
			return fmt.Errorf("sim clients add: %s: %w", sc.jwksFile, err)
		}
		c.JWKS = set
	}
	if st := sc.settings(); st.TokenLifetimeSeconds != 0 || len(st.ExtraClaims) > 0 {
		c.Settings = &st
	}
	return sc.print(sc.ctl.CreateClient(ctx, c))
}

func (sc *simCommand) print(v any, err error) error {
	if err != nil {
		return err
	}
	enc := json.NewEncoder(sc.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// claimFlag collects repeated k=v flags; a value that parses as JSON is
// taken as JSON (numbers, booleans, objects), else as a string.
type claimFlag map[string]any

func (c *claimFlag) String() string { return "" }

func (c *claimFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want k=v, got %q", s)
	}
	if *c == nil {
		*c = claimFlag{}
	}
	var j any
	if json.Unmarshal([]byte(v), &j) == nil {
		(*c)[k] = j
	} else {
		(*c)[k] = v
	}
	return nil
}
