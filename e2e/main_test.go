package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"
)

// One Stack serves every suite in this package: starting containers is the
// slow part, and each suite works on its own organisations or external refs
// so the suites can share it and run in parallel.
var shared struct {
	once  sync.Once
	stack *Stack
	err   error
	took  time.Duration
}

func TestMain(m *testing.M) {
	code := m.Run()
	if err := closeFaultStack(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: close fault stack:", err)
		code = 1
	}
	if shared.stack != nil {
		if err := shared.stack.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: close shared stack:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// stackT returns the shared Stack, starting it on first use, or skips t
// under the skipping rule (SkipUnavailable).
func stackT(t *testing.T) *Stack {
	t.Helper()
	shared.once.Do(func() {
		logger := slog.New(slog.DiscardHandler)
		if testing.Verbose() {
			logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		begin := time.Now()
		shared.stack, shared.err = Start(ctx, Options{Logger: logger})
		shared.took = time.Since(begin)
	})
	SkipUnavailable(t, shared.err)
	return shared.stack
}

// ok fails t on err; it keeps the suites' happy paths short.
func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
