package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseRetention reads --decision-retention: whole days ("90d") or a Go
// duration ("2160h"); "0" keeps everything, "" is the default (90 days).
func parseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 90 * 24 * time.Hour, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("decision retention %q: want whole days (90d) or a duration (2160h)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("decision retention %q: want whole days (90d) or a duration (2160h)", s)
	}
	return d, nil
}
