package printers

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/cli/internal/clitest"
)

// The direct layout of plain tables is the tablewriter layout, byte for byte.
func TestRenderPlainMatchesTablewriter(t *testing.T) {
	now := time.Now()
	tables := []Table{
		NodeTable(clitest.Nodes(), now, true, true),
		NodeTable(clitest.Nodes(), now, false, false),
		{Header: []string{"A", "B", "C"}, Rows: [][]string{{"", "x", ""}, {"long value", "", "z"}, {"", "", ""}}},
		{Header: []string{"ONLY"}},
	}
	rng := rand.New(rand.NewSource(1))
	for k := 0; k < 50; k++ {
		cols := 1 + rng.Intn(6)
		tb := Table{}
		for c := 0; c < cols; c++ {
			tb.Header = append(tb.Header, fmt.Sprintf("H%d", c))
		}
		for r := 0; r < rng.Intn(8); r++ {
			var row []string
			for c := 0; c < cols; c++ {
				n := rng.Intn(12)
				b := make([]byte, n)
				for i := range b {
					b[i] = byte('a' + rng.Intn(26))
				}
				if n > 2 && rng.Intn(3) == 0 {
					b[n/2] = ' ' // an inner space
				}
				row = append(row, string(b))
			}
			tb.Rows = append(tb.Rows, row)
		}
		tables = append(tables, tb)
	}
	for i, tb := range tables {
		if !plainTable(tb) {
			t.Fatalf("table %d is not plain", i)
		}
		var got, want bytes.Buffer
		if err := renderPlain(&got, tb); err != nil {
			t.Fatal(err)
		}
		if err := renderTablewriter(&want, tb); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("table %d (%q):\n--- direct ---\n%s--- tablewriter ---\n%s", i, tb, got.String(), want.String())
		}
	}
	if plainTable(Table{Header: []string{"A"}, Rows: [][]string{{"multi\nline"}}}) || plainTable(Table{Header: []string{"Ä"}}) {
		t.Error("a multi-line or non-ASCII table taken as plain")
	}
}
