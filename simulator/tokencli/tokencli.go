// Package tokencli implements `systemuser token`: a vendor's client that signs
// an assertion and prints the token, and `systemuser token person` for the
// simulator's dev login.
package tokencli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/systemuser-gateway/systemuser/simulator/mpclient"
)

const defaultIssuer = "http://localhost:8090/"

// DemoFile is what `systemuser dev` writes for --dev, in its state
// directory (--state-dir, SYSTEMUSER_STATE_DIR, default .systemuser).
const DemoFile = "demo.json"

type demoConfig struct {
	SimulatorURL      string `json:"simulatorUrl"`
	ClientID          string `json:"clientId"`
	ClientKeyFile     string `json:"clientKeyFile"`
	ClientCertFile    string `json:"clientCertFile"`
	ClientCertKeyFile string `json:"clientCertKeyFile"`
	AdminPID          string `json:"adminPid"`
}

// stateDirFlag is the dev command's state directory, where --dev finds
// demo.json: the same flag and variable as `systemuser dev`'s.
func stateDirFlag(fs *flag.FlagSet) *string {
	def := ".systemuser"
	if v, ok := os.LookupEnv("SYSTEMUSER_STATE_DIR"); ok && v != "" {
		def = v
	}
	return fs.String("state-dir", def, "state directory of `systemuser dev`, for --dev (env SYSTEMUSER_STATE_DIR)")
}

// RunTokenCommand runs `systemuser token ...` with args after "token".
func RunTokenCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "person" {
		return runPerson(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clientID := fs.String("client-id", "", "Maskinporten client id")
	keyFile := fs.String("key", "", "file with the client's private key (JWK, or PEM for --x5c)")
	x5c := fs.Bool("x5c", false, "authenticate with an enterprise certificate (x5c header, client_amr virksomhetssertifikat) instead of a kid")
	certFile := fs.String("cert", "", "with --x5c: the certificate chain, PEM, leaf first")
	scope := fs.String("scope", "", "space-separated scopes")
	suOrg := fs.String("systemuser-org", "", "ask for a system-user token: the owning org number (9 digits)")
	extRef := fs.String("external-ref", "", "externalRef of the system user (default: the org number)")
	resource := fs.String("resource", "", "audience-restricted token for this resource")
	issuer := fs.String("issuer", defaultIssuer, "authorization server issuer URL (the assertion's aud)")
	asJSON := fs.Bool("json", false, "print the whole token response")
	decode := fs.Bool("decode", false, "print the token's claims")
	dev := fs.Bool("dev", false, "take --client-id, --key and --issuer from the dev stack's "+DemoFile+" when unset (a system-user token still needs --systemuser-org)")
	stateDir := stateDirFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: systemuser token --client-id ID --key FILE.jwk --scope \"S1 S2\" [flags]\n       systemuser token person --pid PID [--issuer URL]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dev {
		d, err := readDemo(*stateDir)
		if err != nil {
			return err
		}
		set := setFlags(fs)
		if !set["issuer"] && d.SimulatorURL != "" {
			*issuer = d.SimulatorURL
		}
		if *clientID == "" {
			*clientID = d.ClientID
		}
		if *x5c && *certFile == "" && *keyFile == "" {
			*certFile, *keyFile = d.ClientCertFile, d.ClientCertKeyFile
		}
		if *keyFile == "" {
			*keyFile = d.ClientKeyFile
		}
	}
	if *clientID == "" || *keyFile == "" || strings.TrimSpace(*scope) == "" {
		fs.Usage()
		return errors.New("token: --client-id, --key and --scope are required")
	}
	key, err := mpclient.LoadKey(*keyFile)
	if err != nil {
		return err
	}
	a := mpclient.Assertion{
		ClientID: *clientID, Key: key, Audience: withSlash(*issuer), Scopes: strings.Fields(*scope),
		SystemUserOrg: *suOrg, ExternalRef: *extRef, Resource: *resource,
	}
	if *x5c {
		if *certFile == "" {
			fs.Usage()
			return errors.New("token: --x5c needs --cert (or --dev with a demo certificate)")
		}
		if a.CertChain, err = mpclient.LoadCertChain(*certFile); err != nil {
			return err
		}
	}
	tr, err := mpclient.RequestToken(ctx, httpClient(), a)
	if err != nil {
		return err
	}
	return printToken(stdout, tr, *asJSON, *decode)
}

func runPerson(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token person", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pid := fs.String("pid", "", "test person id (11 digits)")
	issuer := fs.String("issuer", defaultIssuer, "simulator URL")
	asJSON := fs.Bool("json", false, "print the whole token response")
	decode := fs.Bool("decode", false, "print the token's claims")
	dev := fs.Bool("dev", false, "take --issuer and --pid (the demo customer's administrator) from the dev stack's "+DemoFile+" when unset")
	stateDir := stateDirFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dev {
		d, err := readDemo(*stateDir)
		if err != nil {
			return err
		}
		if !setFlags(fs)["issuer"] && d.SimulatorURL != "" {
			*issuer = d.SimulatorURL
		}
		if *pid == "" {
			*pid = d.AdminPID
		}
	}
	if *pid == "" {
		fs.Usage()
		return errors.New("token person: --pid is required")
	}
	tr, err := mpclient.PersonToken(ctx, httpClient(), *issuer, *pid)
	if err != nil {
		return err
	}
	return printToken(stdout, tr, *asJSON, *decode)
}

func printToken(w io.Writer, tr *mpclient.TokenResponse, asJSON, decode bool) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	switch {
	case decode:
		claims, err := payload(tr.AccessToken)
		if err != nil {
			return err
		}
		return enc.Encode(claims)
	case asJSON:
		return enc.Encode(tr)
	default:
		_, err := fmt.Fprintln(w, tr.AccessToken)
		return err
	}
}

// payload shows the claims without verifying: the caller just received the
// token from the issuer over the connection it chose.
func payload(token string) (json.RawMessage, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("token: not a compact JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || !json.Valid(b) {
		return nil, errors.New("token: payload is not base64url JSON")
	}
	return b, nil
}

func readDemo(stateDir string) (demoConfig, error) {
	var d demoConfig
	path := filepath.Join(stateDir, DemoFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return d, fmt.Errorf("token --dev: %w (run `systemuser dev` first, or give its --state-dir)", err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("token --dev: %s: %w", path, err)
	}
	return d, nil
}

func setFlags(fs *flag.FlagSet) map[string]bool {
	m := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { m[f.Name] = true })
	return m
}

func withSlash(s string) string {
	if strings.HasSuffix(s, "/") {
		return s
	}
	return s + "/"
}

// httpClient has a transport of its own: the command makes one exchange,
// and a caller running it in process (the tests, make run's demo) keeps
// its pooled connections out of http.DefaultTransport, which any
// httptest.Server.Close empties under a request in flight.
func httpClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: http.DefaultTransport.(*http.Transport).Clone()}
}
