package cassandrasim

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

// Auto Repair in the stand-in: off without the JVM property (real 5.0.8's answers), on with it
// and the auto_repair section; setautorepairconfig switches a type at run time, which the
// executor's parsers read back, and a restart goes back to cassandra.yaml.
func TestAutoRepairCommands(t *testing.T) {
	c := newCluster(t)
	section := "auto_repair:\n  enabled: true\n  repair_type_overrides:\n    full:\n      enabled: true\n      min_repair_interval: 90m\n    incremental:\n      enabled: false\n"
	knobs := FastKnobs()
	knobs["action_log"] = c.actions
	start := func(i int, extra ...string) {
		n, err := StartNode(NodeSpec{Home: c.home, Dir: filepath.Join(c.dir, fmt.Sprintf("node%d", i)), Address: c.addr(i), Seeds: []string{c.addr(2)},
			JVMExtraOpts: extra, Knobs: knobs, ExtraYAML: section})
		if err != nil {
			t.Fatal(err)
		}
		c.nodes[i] = n
	}
	start(2, "-Dcassandra.autorepair.enable=true")
	start(3) // the section without the property: Auto Repair stays off
	c.waitCodes(2, map[int]string{2: "UN", 3: "UN"}, 30*time.Second)

	o, _, code := c.nodetool(3, "getautorepairconfig")
	if cfg, err := nodetool.ParseAutoRepairConfig(o); code != 0 || err != nil || cfg.Enabled {
		t.Errorf("without the property: exit %d %q %+v %v", code, o, cfg, err)
	}
	if o, _, code := c.nodetool(3, "setautorepairconfig", "-t", "full", "enabled", "false"); code != 0 || !strings.HasPrefix(o, "Auto-repair is not supported") {
		t.Errorf("set without the property: exit %d %q", code, o)
	}

	full := func() nodetool.AutoRepairTypeConfig {
		t.Helper()
		o, _, code := c.nodetool(2, "getautorepairconfig")
		cfg, err := nodetool.ParseAutoRepairConfig(o)
		if code != 0 || err != nil || !cfg.Enabled {
			t.Fatalf("getautorepairconfig: exit %d %v\n%s", code, err, o)
		}
		tc, _ := cfg.Type("full")
		return tc
	}
	if f := full(); !f.Enabled || f.Settings["min_repair_interval"] != "90m" {
		t.Fatalf("full %+v", f)
	}
	if o, _, code := c.nodetool(2, "setautorepairconfig", "-t", "full", "enabled", "false"); code != 0 || o != "" {
		t.Fatalf("pause: exit %d %q", code, o)
	}
	if f := full(); f.Enabled {
		t.Errorf("full still enabled after the pause: %+v", f)
	}
	o, _, code = c.nodetool(2, "autorepairstatus", "-t", "full")
	if st, err := nodetool.ParseAutoRepairStatus(o); code != 0 || err != nil || !st.Enabled || len(st.Active) != 0 {
		t.Errorf("autorepairstatus: exit %d %q %v", code, o, err)
	}
	if _, _, code := c.nodetool(2, "autorepairstatus"); code != 1 {
		t.Errorf("autorepairstatus without -t: exit %d", code)
	}
	if o, _, code := c.nodetool(2, "setautorepairconfig", "-t", "bogus", "enabled", "false"); code != 1 || !strings.Contains(o, "No enum constant") {
		t.Errorf("bogus type: exit %d %q", code, o)
	}
	acts, err := ReadActions(c.actions)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range acts {
		if a.Action == "autorepair" {
			got = append(got, a.Node+" "+a.Target)
		}
	}
	if strings.Join(got, ",") != c.addr(2)+" full=false" {
		t.Errorf("autorepair actions %v", got)
	}
	// A restart reads cassandra.yaml again: full is enabled.
	c.nodes[2].Stop(10 * time.Second)
	start(2, "-Dcassandra.autorepair.enable=true")
	c.waitCodes(3, map[int]string{2: "UN", 3: "UN"}, 30*time.Second)
	if f := full(); !f.Enabled {
		t.Errorf("after a restart full is %+v", f)
	}
}
