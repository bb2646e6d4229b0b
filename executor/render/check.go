package render

import (
	"fmt"

	"github.com/cassmesos/cassmesos/internal/specrules"
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// configField prefixes the field names in the errors about a NodeTaskConfig.
const configField = "NodeTaskConfig."

// CheckConfig checks every part of a NodeTaskConfig the rendering uses, with defaults filled in
// as the rendering fills them, through internal/specrules: the same functions the daemon's
// ValidateSpec applies to the ring's spec, so a spec the daemon accepted passes here. It names the
// field and the value ("NodeTaskConfig.jvm_options[2]: \"-Xmx 4G\": contains a space"). The
// executor calls it when it decodes the task (a refusal is TASK_ERROR, not a crash loop) and
// Materialize calls it again before writing anything.
func CheckConfig(cfg *cassmesosv1.NodeTaskConfig) error {
	if err := specrules.JVMOptions(configField, cfg.GetJvmOptions()); err != nil {
		return err
	}
	cn := cfg.GetClusterName()
	if cn == "" {
		cn = cfg.GetRing()
	}
	if err := specrules.ClusterName(configField+"cluster_name", cn); err != nil {
		return err
	}
	if n := cfg.GetNumTokens(); n != 0 {
		if err := specrules.NumTokens(configField+"num_tokens", n); err != nil {
			return err
		}
	}
	if err := specrules.InitialTokens(configField+"initial_tokens", cfg.GetInitialTokens()); err != nil {
		return err
	}
	if len(cfg.GetInitialTokens()) > 0 && cfg.GetReplaceAddress() != "" {
		return fmt.Errorf("%sinitial_tokens: set with replace_address %q; a replacement takes the replaced node's tokens", configField, cfg.GetReplaceAddress())
	}
	if sn := cfg.GetSnitch(); sn != "" {
		if err := specrules.Snitch(configField+"snitch", sn); err != nil {
			return err
		}
	}
	dc, rack := cfg.GetDatacenter(), cfg.GetRack()
	if dc == "" {
		dc = DefaultDatacenter
	}
	if rack == "" {
		rack = DefaultRack
	}
	if err := specrules.RackDC(configField+"datacenter", dc); err != nil {
		return err
	}
	if err := specrules.RackDC(configField+"rack", rack); err != nil {
		return err
	}
	p := PortsOf(cfg)
	if err := specrules.Ports(configField+"ports.", specrules.PortSet{Storage: p.Storage, SSLStorage: p.SSLStorage,
		JMX: p.JMX, Native: p.Native}); err != nil {
		return err
	}
	if err := specrules.CassandraYAML(configField, cfg.GetCassandraYaml()); err != nil {
		return err
	}
	return checkTLS(cfg)
}
