package registry

import (
	"strings"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"
)

// parseTimestamptz reads a timestamptz as Postgres writes it, to the same
// time.Time the driver makes of the column (pgdriver.ParseTime): the usual
// form, "2006-01-02 15:04:05.999999+00", by hand, as time.Parse cost a
// fiftieth of a nested read's CPU (issue 14), and any other by the driver.
func parseTimestamptz(s string) (time.Time, error) {
	const short = len("2006-01-02 15:04:05+00")
	if len(s) < short || !strings.HasSuffix(s, "+00") ||
		s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return pgdriver.ParseTime(s)
	}
	year, ok1 := atoiDigits(s[0:4])
	month, ok2 := atoiDigits(s[5:7])
	day, ok3 := atoiDigits(s[8:10])
	hour, ok4 := atoiDigits(s[11:13])
	minute, ok5 := atoiDigits(s[14:16])
	sec, ok6 := atoiDigits(s[17:19])
	nsec, ok7 := 0, true
	if frac := s[19 : len(s)-3]; frac != "" {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return pgdriver.ParseTime(s)
		}
		nsec, ok7 = atoiDigits(frac[1:])
		for range 10 - len(frac) {
			nsec *= 10
		}
	}
	// time.Date would carry a day 32 into the next month; the driver
	// rejects it, and so does its parse of anything outside these bounds.
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || !ok7 ||
		month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return pgdriver.ParseTime(s)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // 31 April and the like
		return pgdriver.ParseTime(s)
	}
	return t, nil
}

// atoiDigits parses s, decimal digits only.
func atoiDigits(s string) (int, bool) {
	n := 0
	for i := range len(s) {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
