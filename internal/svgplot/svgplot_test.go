package svgplot

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestStats(t *testing.T) {
	for _, c := range []struct {
		in          []float64
		lo, med, hi float64
	}{
		{nil, 0, 0, 0},
		{[]float64{3}, 3, 3, 3},
		{[]float64{5, 1, 3}, 1, 3, 5},
		{[]float64{4, 1, 3, 2}, 1, 2.5, 4},
	} {
		lo, med, hi := Stats(c.in)
		if lo != c.lo || med != c.med || hi != c.hi {
			t.Errorf("Stats(%v) = %v %v %v, want %v %v %v", c.in, lo, med, hi, c.lo, c.med, c.hi)
		}
	}
}

func TestWriteIsWellFormedSVG(t *testing.T) {
	var b strings.Builder
	c := Chart{Title: "a <b> & c", Unit: "s", Rows: []Series{{Name: "x", Samples: []float64{1, 2.5, 9}}, {Name: "empty"}},
		Goals: []Goal{{Label: "goal", At: 12}}}
	if err := c.Write(&b); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(strings.NewReader(b.String()))
	circles := 0
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("not well-formed: %v\n%s", err, b.String())
		}
		if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "circle" {
			circles++
		}
	}
	if circles != 3 {
		t.Errorf("%d circles, want one per sample (3)", circles)
	}
	if !strings.Contains(b.String(), "median 2.5") || !strings.Contains(b.String(), "a &lt;b&gt; &amp; c") {
		t.Errorf("missing median or escaped title:\n%s", b.String())
	}
}
