package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Samples maps a sample's name and labels, exactly as written (e.g.
// `x_total{route="GET /a",code_class="2xx"}`), to its value.
type Samples map[string]float64

var (
	sampleRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*\})? (\S+)$`)
	metaRE   = regexp.MustCompile(`^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$`)
)

// Parse checks text in the exposition format 0.0.4 as strictly as this
// package writes it (every sample belongs to a family whose TYPE came
// first, a family's lines are together, histogram buckets are cumulative
// and end in +Inf equal to _count) and returns its samples. It exists to
// test what WriteTo writes.
func Parse(r io.Reader) (Samples, error) {
	out := Samples{}
	types := map[string]string{}
	var current string // family whose lines are being read
	var lastBucket float64
	var lastSeries string // a histogram series' labels without le
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			m := metaRE.FindStringSubmatch(line)
			if m == nil {
				return nil, fmt.Errorf("line %d: bad comment %q", n, line)
			}
			if m[1] == "TYPE" {
				if _, dup := types[m[2]]; dup {
					return nil, fmt.Errorf("line %d: second TYPE for %s", n, m[2])
				}
				switch m[3] {
				case "counter", "gauge", "histogram", "summary", "untyped":
				default:
					return nil, fmt.Errorf("line %d: unknown type %q", n, m[3])
				}
				types[m[2]] = m[3]
				current = m[2]
			}
			continue
		}
		m := sampleRE.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("line %d: bad sample %q", n, line)
		}
		fam := m[1]
		if types[current] == "histogram" {
			fam = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(fam, "_bucket"), "_sum"), "_count")
		}
		if fam != current {
			return nil, fmt.Errorf("line %d: sample %s outside its family (TYPE missing or lines split)", n, m[1])
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: bad value %q", n, m[3])
		}
		if types[current] == "counter" && (v < 0 || math.IsNaN(v)) {
			return nil, fmt.Errorf("line %d: counter %s is %v", n, m[1], v)
		}
		key := m[1] + m[2]
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("line %d: duplicate sample %s", n, key)
		}
		out[key] = v
		switch {
		case strings.HasSuffix(m[1], "_bucket") && types[current] == "histogram":
			i := strings.LastIndex(m[2], `le="`)
			if i < 0 {
				return nil, fmt.Errorf("line %d: bucket without le", n)
			}
			if series := m[2][:i]; series != lastSeries {
				lastSeries, lastBucket = series, 0
			}
			if v < lastBucket {
				return nil, fmt.Errorf("line %d: buckets not cumulative", n)
			}
			lastBucket = v
		case strings.HasSuffix(m[1], "_count") && types[current] == "histogram":
			inf := current + "_bucket{" + joinLabels(strings.Trim(m[2], "{}"), `le="+Inf"`) + "}"
			if b, ok := out[inf]; !ok || b != v {
				return nil, fmt.Errorf("line %d: %s = %v but %s = %v", n, key, v, inf, b)
			}
			lastSeries = ""
		}
	}
	return out, sc.Err()
}

func joinLabels(a, b string) string {
	if a == "" {
		return b
	}
	return a + "," + b
}
