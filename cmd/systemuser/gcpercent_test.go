package main

import "testing"

// GOGC in the environment is the Go runtime's own setting, applied before
// main runs: the flag must not undo it.
func TestGCPercentYieldsToGOGC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		env    map[string]string
		flag   int
		want   int
		wantOK bool
	}{
		{"the flag's default", nil, defaultGCPercent, defaultGCPercent, true},
		{"a flag value", nil, 150, 150, true},
		{"GOGC set", map[string]string{"GOGC": "100"}, 150, 0, false},
		{"GOGC off", map[string]string{"GOGC": "off"}, defaultGCPercent, 0, false},
		{"another variable", map[string]string{"GOMEMLIMIT": "1GiB"}, 150, 150, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := gcPercent(tt.flag, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("gcPercent(%d) = %d, %v; want %d, %v", tt.flag, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
