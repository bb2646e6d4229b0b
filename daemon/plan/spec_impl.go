package plan

import cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"

func applyDefaults(spec *cassmesosv1.RingSpec) *cassmesosv1.RingSpec { return spec }
func validateSpec(spec *cassmesosv1.RingSpec) error                  { return nil }
