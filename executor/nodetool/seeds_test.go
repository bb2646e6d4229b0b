package nodetool

import (
	"slices"
	"testing"
)

func TestParseSeeds(t *testing.T) {
	for _, c := range []struct {
		out  string
		want []string
		bad  bool
	}{
		{out: "Current list of seed node IPs, excluding the current node's IP: /10.0.0.2:7000 /10.0.0.3:7000\n", want: []string{"10.0.0.2", "10.0.0.3"}},
		{out: "Updated seed node IP list, excluding the current node's IP: /10.0.0.2:7000\n", want: []string{"10.0.0.2"}},
		{out: "Current list of seed node IPs excluding the current node's IP: host/10.0.0.2:7000 10.0.0.4 /[::1]:7000\n", want: []string{"10.0.0.2", "10.0.0.4", "::1"}},
		{out: "\nSeed node list does not contain any remote node IPs\n", want: []string{}},
		{out: "Failed to reload the seed node list.\n", bad: true},
		{out: "", bad: true},
		{out: "Something else: /10.0.0.2:7000\n", bad: true},
		{out: "Current list of seed node IPs, excluding the current node's IP: /nonsense:7000\n", bad: true},
	} {
		got, err := ParseSeeds(c.out)
		if c.bad {
			if err == nil {
				t.Errorf("ParseSeeds(%q) = %v, want an error", c.out, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseSeeds(%q) = %v, %v; want %v", c.out, got, err, c.want)
		}
	}
}

func FuzzParseSeeds(f *testing.F) {
	f.Add("Current list of seed node IPs, excluding the current node's IP: /10.0.0.2:7000\n")
	f.Add("Seed node list does not contain any remote node IPs\n")
	f.Fuzz(func(t *testing.T, out string) {
		seeds, err := ParseSeeds(out)
		if err == nil && seeds == nil {
			t.Fatalf("nil seeds without an error for %q", out)
		}
	})
}
