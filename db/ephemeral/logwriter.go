package ephemeral

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
)

// logWriter forwards the server's stderr to the logger line by line and keeps the last
// lines so a failed start can say why.
type logWriter struct {
	logger *slog.Logger

	mu      sync.Mutex
	partial []byte
	last    []string
}

const keepLines = 20

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := string(w.partial[:i])
		w.partial = w.partial[i+1:]
		w.logger.Debug("postgres", slog.String("line", line))
		w.last = append(w.last, line)
		if len(w.last) > keepLines {
			w.last = w.last[1:]
		}
	}
	return len(p), nil
}

func (w *logWriter) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(append(w.last, string(w.partial)), "\n")
}

func (w *logWriter) contains(s string) bool {
	return strings.Contains(w.tail(), s)
}
