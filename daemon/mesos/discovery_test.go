package mesos

import (
	"testing"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestDiscoveryNamesTheNodesJMXPort(t *testing.T) {
	// A ring with ports.jmx_from_offer: the planner puts the node's offered JMX port in the
	// task's ports, and DiscoveryInfo names that port.
	cfg := &cassmesosv1.NodeTaskConfig{Ring: "demo", Node: "demo-1", AgentPort: 31005,
		Ports: &cassmesosv1.Ports{Storage: 7000, SslStorage: 7001, Native: 9042, Jmx: 31006, JmxFromOffer: true}}
	got := map[string]uint32{}
	for _, p := range discovery(cfg).GetPorts().GetPorts() {
		got[p.GetName()] = p.GetNumber()
	}
	if got["jmx"] != 31006 || got["agent"] != 31005 || got["storage"] != 7000 || got["native"] != 9042 {
		t.Fatalf("named ports %v", got)
	}
}
