// Package svgplot writes small, dependency-free SVG charts for the benchmark figures in
// docs/performance.md: one row per series, one dot per sample, with min/median/max marked and
// optional vertical goal lines.
package svgplot

import (
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strings"
)

// Series is one named row of samples (all in the chart's unit).
type Series struct {
	Name    string
	Samples []float64
}

// Goal is a labelled vertical line.
type Goal struct {
	Label string
	At    float64
}

// Chart is a dot plot.
type Chart struct {
	Title string
	Unit  string // axis label, e.g. "seconds after kill -9"
	Rows  []Series
	Goals []Goal
}

// Stats returns the minimum, median and maximum of xs (zeros when empty).
func Stats(xs []float64) (lo, med, hi float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	lo, hi = s[0], s[len(s)-1]
	if n := len(s); n%2 == 1 {
		med = s[n/2]
	} else {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return lo, med, hi
}

// Write renders the chart as SVG.
func (c Chart) Write(w io.Writer) error {
	const (
		width, left, right, top, rowH = 720.0, 190.0, 30.0, 40.0, 46.0
	)
	hiX := 0.0
	for _, r := range c.Rows {
		for _, x := range r.Samples {
			hiX = math.Max(hiX, x)
		}
	}
	for _, g := range c.Goals {
		hiX = math.Max(hiX, g.At)
	}
	step := niceStep(hiX / 6)
	if step <= 0 {
		step = 1
	}
	axisMax := math.Ceil(hiX/step) * step
	if axisMax <= 0 {
		axisMax = step
	}
	plotW := width - left - right
	height := top + rowH*float64(len(c.Rows)) + 50
	bottom := top + rowH*float64(len(c.Rows))
	x := func(v float64) float64 { return left + v/axisMax*plotW }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="22" font-size="14" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(c.Title))
	for v := 0.0; v <= axisMax+step/2; v += step {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#ddd"/>`+"\n", x(v), top, x(v), bottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`+"\n", x(v), bottom+16, trim(v))
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">%s</text>`+"\n", left+plotW/2, bottom+36, html.EscapeString(c.Unit))
	for i, g := range c.Goals {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#c00" stroke-dasharray="4,3"/>`+"\n", x(g.At), top-4, x(g.At), bottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" fill="#c00" text-anchor="end" font-size="11">%s</text>`+"\n", x(g.At)-3, top+10+12*float64(i), html.EscapeString(g.Label))
	}
	for i, r := range c.Rows {
		y := top + rowH*float64(i) + rowH/2
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-8, y+4, html.EscapeString(r.Name))
		lo, med, hi := Stats(r.Samples)
		if len(r.Samples) > 0 {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#36c" stroke-width="2"/>`+"\n", x(lo), y, x(hi), y)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#036" stroke-width="3"/>`+"\n", x(med), y-9, x(med), y+9)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">min %s · median %s · max %s</text>`+"\n", x(med), y+20, trim(lo), trim(med), trim(hi))
		}
		for _, v := range r.Samples {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="#36c" fill-opacity="0.6"/>`+"\n", x(v), y)
		}
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func trim(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// niceStep rounds s up to 1, 2 or 5 times a power of ten.
func niceStep(s float64) float64 {
	if s <= 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(s)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= s {
			return m * p
		}
	}
	return 10 * p
}
