package render

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// A ring whose repair engine is cassandra renders the auto_repair section and the JVM property;
// any other ring has neither (a section left in the distribution's file is removed).
func TestAutoRepairRender(t *testing.T) {
	cfg := &cassmesosv1.NodeTaskConfig{Ring: "demo", Address: "10.0.0.3",
		AutoRepair: &cassmesosv1.AutoRepairSpec{RepairTypes: []string{"full", "incremental"}, MinRepairInterval: durationpb.New(90 * time.Minute)}}
	s := SettingsFor(cfg, "/vol", true)
	out, err := OverlayYAML(sampleYAML(t), s)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, out)
	ar, ok := m["auto_repair"].(map[string]any)
	if !ok || ar["enabled"] != true {
		t.Fatalf("auto_repair: %#v", m["auto_repair"])
	}
	ov := ar["repair_type_overrides"].(map[string]any)
	want := map[string]map[string]any{
		"full":             {"enabled": true, "min_repair_interval": "90m"},
		"incremental":      {"enabled": true, "min_repair_interval": "90m"},
		"preview_repaired": {"enabled": false},
	}
	for typ, kv := range want {
		got, _ := ov[typ].(map[string]any)
		if len(got) != len(kv) {
			t.Errorf("%s: %v, want %v", typ, got, kv)
		}
		for k, v := range kv {
			if got[k] != v {
				t.Errorf("%s.%s = %v, want %v", typ, k, got[k], v)
			}
		}
	}
	opts, err := JVMExtraOpts(cfg, 0)
	if err != nil || !strings.Contains(opts, AutoRepairJVMOption) {
		t.Errorf("JVM options %q (%v), want %s", opts, err, AutoRepairJVMOption)
	}

	// Defaults: full only, 24h.
	def := AutoRepairFor(&cassmesosv1.NodeTaskConfig{AutoRepair: &cassmesosv1.AutoRepairSpec{}})
	if strings.Join(def.Types, ",") != "full" || def.MinInterval != 24*time.Hour {
		t.Errorf("defaults %+v", def)
	}

	// The cassmesos engine: no section (even if the distribution's file had one), no property.
	plain := &cassmesosv1.NodeTaskConfig{Ring: "demo", Address: "10.0.0.3"}
	out2, err := OverlayYAML(out, SettingsFor(plain, "/vol", true))
	if err != nil {
		t.Fatal(err)
	}
	if _, has := decode(t, out2)["auto_repair"]; has {
		t.Errorf("auto_repair rendered for the cassmesos engine")
	}
	if opts, _ := JVMExtraOpts(plain, 0); strings.Contains(opts, "autorepair") {
		t.Errorf("JVM options %q", opts)
	}

	// Bad settings are refused before anything is rendered; the key and the property are owned.
	for name, a := range map[string]*AutoRepair{
		"unknown type": {Types: []string{"fast"}},
		"twice":        {Types: []string{"full", "full"}},
		"too often":    {Types: []string{"full"}, MinInterval: time.Second},
	} {
		bs := baseSettings()
		bs.AutoRepair = a
		if _, err := OverlayYAML(sampleYAML(t), bs); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
	bs := baseSettings()
	bs.Extras = map[string]string{"auto_repair": "{enabled: true}"}
	if _, err := OverlayYAML(sampleYAML(t), bs); err == nil {
		t.Errorf("auto_repair accepted as an extra key")
	}
	if _, err := JVMExtraOpts(&cassmesosv1.NodeTaskConfig{JvmOptions: []string{"-Dcassandra.autorepair.enable=true"}}, 0); err == nil {
		t.Errorf("the Auto Repair property accepted in jvm_options")
	}
	for d, want := range map[time.Duration]string{24 * time.Hour: "24h", 90 * time.Minute: "90m", 61 * time.Second: "61s", time.Millisecond: "1s"} {
		if got := DurationSpec(d); got != want {
			t.Errorf("DurationSpec(%v) = %q, want %q", d, got, want)
		}
	}
}
