package main

import (
	"testing"
	"time"
)

func TestParseRetention(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * 24 * time.Hour, true},
		{"0", 0, true},
		{"", 90 * 24 * time.Hour, true},
		{"2160h", 2160 * time.Hour, true},
		{"-1d", 0, false},
		{"-5h", 0, false},
		{"ninety", 0, false},
		{"1.5d", 0, false},
	} {
		got, err := parseRetention(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseRetention(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
