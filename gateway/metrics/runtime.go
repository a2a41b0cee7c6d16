package metrics

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
)

// RegisterRuntime adds go_goroutines and, where /proc is readable,
// process_resident_memory_bytes.
func (r *Registry) RegisterRuntime() {
	r.GaugeFunc("go_goroutines", "Number of goroutines that currently exist.",
		func() float64 { return float64(runtime.NumGoroutine()) })
	if _, ok := residentBytes(); ok {
		r.GaugeFunc("process_resident_memory_bytes", "Resident memory size in bytes.",
			func() float64 { v, _ := residentBytes(); return float64(v) })
	}
}

// residentBytes reads the resident set from /proc/self/statm (Linux): its
// second field, in pages. One small read, cheap enough for every scrape.
func residentBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}
