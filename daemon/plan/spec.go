package plan

import (
	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// ApplyDefaults returns a copy of spec with every zero field that has a documented default
// filled in (seeds, resources, cluster name, num_tokens, snitch, rack attribute, ports,
// replace_after, placement_timeout). The JMX port stays 0 when ports.jmx_from_offer is set (each
// node takes its own from its offer). It does not validate.
func ApplyDefaults(spec *cassmesosv1.RingSpec) *cassmesosv1.RingSpec {
	return applyDefaults(spec)
}

// ValidateSpec checks a spec (before or after ApplyDefaults) and returns an error wrapping
// ErrInvalid that names the offending field ("spec.seeds: 4 seeds for 3 nodes").
func ValidateSpec(spec *cassmesosv1.RingSpec) error {
	return validateSpec(spec)
}
