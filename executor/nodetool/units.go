package nodetool

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Load is a data size as nodetool prints it ("35.18 GiB", "74.32 KB", "0 bytes"). Known is false
// when nodetool printed "?" (the node's LOAD gossip state is not known yet) or "NaN bytes".
//
// nodetool divides by 1024 for every unit, whatever the label: 3.0 and older print
// bytes/KB/MB/GB/TB, 3.11 and later bytes/KiB/MiB/GiB/TiB, with at most two decimals, so Bytes is
// exact only to the printed precision.
type Load struct {
	Bytes int64
	Known bool
}

// String formats the load the way Cassandra 3.11+ does (binary units, at most two decimals), or
// "?" when it is unknown.
func (l Load) String() string {
	if !l.Known {
		return "?"
	}
	return FormatBytes(l.Bytes)
}

// FormatBytes formats n the way Cassandra 3.11+ FileUtils.stringifyFileSize does: "0 bytes",
// "96.7 KiB", "37 GiB".
func FormatBytes(n int64) string {
	units := []string{"TiB", "GiB", "MiB", "KiB"}
	f := float64(n)
	for i, u := range units {
		m := math.Pow(1024, float64(len(units)-i))
		if f >= m {
			return trimDecimal(f/m) + " " + u
		}
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func trimDecimal(f float64) string {
	s := strconv.FormatFloat(math.Round(f*100)/100, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

var sizeUnits = map[string]float64{
	"bytes": 1, "byte": 1, "B": 1,
	"KB": 1 << 10, "KiB": 1 << 10,
	"MB": 1 << 20, "MiB": 1 << 20,
	"GB": 1 << 30, "GiB": 1 << 30,
	"TB": 1 << 40, "TiB": 1 << 40,
	"PB": 1 << 50, "PiB": 1 << 50,
}

// ParseLoad parses a load as nodetool prints it: a number and a unit ("35.18 GiB", "12.2 GB",
// "0 bytes"), or "?". A decimal comma (non-English JVM locales) is accepted.
func ParseLoad(s string) (Load, error) {
	s = strings.TrimSpace(s)
	if s == "?" {
		return Load{}, nil
	}
	num, unit, ok := strings.Cut(s, " ")
	if !ok {
		return Load{}, fmt.Errorf("load %q: want a number and a unit, or ?", s)
	}
	return parseLoadParts(num, strings.TrimSpace(unit))
}

func parseLoadParts(num, unit string) (Load, error) {
	mult, ok := sizeUnits[unit]
	if !ok {
		return Load{}, fmt.Errorf("load %q: unknown unit %q", num+" "+unit, unit)
	}
	if num == "NaN" || num == "\uFFFD" {
		return Load{}, nil
	}
	f, err := parseDecimal(num)
	if err != nil {
		return Load{}, fmt.Errorf("load %q: %w", num+" "+unit, err)
	}
	b := f * mult
	if b < 0 || b >= math.MaxInt64 {
		return Load{}, fmt.Errorf("load %q: out of range", num+" "+unit)
	}
	return Load{Bytes: int64(math.Round(b)), Known: true}, nil
}

// parseDecimal parses a plain decimal number as Java's DecimalFormat prints it, with either a
// point or a comma as the decimal separator. It rejects Inf, NaN, exponents and hex forms.
func parseDecimal(s string) (float64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty number")
	}
	s = strings.Replace(s, ",", ".", 1)
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.':
		case r == '-' && i == 0:
		default:
			return 0, fmt.Errorf("not a number: %q", s)
		}
	}
	if digits == 0 {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	return f, nil
}

// Ownership is a node's share of the ring in percent (0–100) as nodetool prints it ("33.3%").
// Known is false when nodetool printed "?".
type Ownership struct {
	Percent float64
	Known   bool
}

// String formats the ownership as nodetool does ("33.3%"), or "?".
func (o Ownership) String() string {
	if !o.Known {
		return "?"
	}
	return strconv.FormatFloat(o.Percent, 'f', 1, 64) + "%"
}

// ParseOwnership parses "51.2%", "100.0%", "51,2%" (decimal comma) or "?".
func ParseOwnership(s string) (Ownership, error) {
	s = strings.TrimSpace(s)
	if s == "?" {
		return Ownership{}, nil
	}
	num, ok := strings.CutSuffix(s, "%")
	if !ok {
		return Ownership{}, fmt.Errorf("ownership %q: want a percentage or ?", s)
	}
	num = strings.TrimSpace(num)
	if num == "NaN" || num == "\uFFFD" {
		return Ownership{}, nil
	}
	f, err := parseDecimal(num)
	if err != nil {
		return Ownership{}, fmt.Errorf("ownership %q: %w", s, err)
	}
	if f < 0 || f > 100.05 {
		return Ownership{}, fmt.Errorf("ownership %q: out of range 0-100%%", s)
	}
	return Ownership{Percent: f, Known: true}, nil
}

// lines splits nodetool output into lines, dropping the carriage returns of CRLF endings.
func lines(out string) []string {
	ls := strings.Split(out, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimSuffix(l, "\r")
	}
	return ls
}

// isUUID reports whether s looks like a canonical UUID (8-4-4-4-12 hex digits).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// truncate shortens s for use in an error message.
func truncate(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
