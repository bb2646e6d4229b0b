package plan

import (
	"sort"

	statev1 "github.com/cassmesos/cassmesos/rpc/cassmesos/state/v1"
)

// NewState returns a State with every map allocated.
func NewState() *State {
	return &State{
		Rings:      map[string]*statev1.RingRecord{},
		Nodes:      map[string]*statev1.NodeRecord{},
		Operations: map[string]*statev1.OperationRecord{},
		Tasks:      map[string]TaskStatus{},
		Views:      map[string]NodeView{},
		Agents:     map[string]Agent{},
		Relays:     map[string]RelayResult{},
		Segments:   map[string]map[int32]*statev1.SegmentRecord{},
		Schedules:  map[string]*statev1.ScheduleRecord{},
	}
}

// Apply folds persisted writes into the state (the runtime calls it after the writes are
// stored). Records are stored as given (the planner never changes a record after returning it).
// Nil maps are allocated.
func (s *State) Apply(writes []Write) {
	if s.Rings == nil {
		s.Rings = map[string]*statev1.RingRecord{}
	}
	if s.Nodes == nil {
		s.Nodes = map[string]*statev1.NodeRecord{}
	}
	if s.Operations == nil {
		s.Operations = map[string]*statev1.OperationRecord{}
	}
	for _, w := range writes {
		switch w.Kind {
		case RecordRing:
			if w.Delete {
				delete(s.Rings, w.Name)
			} else {
				s.Rings[w.Name] = w.Ring
			}
		case RecordNode:
			if w.Delete {
				delete(s.Nodes, w.Name)
			} else {
				s.Nodes[w.Name] = w.Node
			}
		case RecordOperation:
			if w.Delete {
				delete(s.Operations, w.Name)
				delete(s.Segments, w.Name)
			} else {
				s.Operations[w.Name] = w.Operation
			}
		case RecordSegment, RecordSchedule:
			s.applyMaintenance(w)
		}
	}
}

// Clone returns a copy of s with copied maps (records are shared: they are never mutated).
func (s *State) Clone() *State {
	c := *s
	c.Rings = copyMap(s.Rings)
	c.Nodes = copyMap(s.Nodes)
	c.Operations = copyMap(s.Operations)
	c.Tasks = copyMap(s.Tasks)
	c.Views = copyMap(s.Views)
	c.Agents = copyMap(s.Agents)
	c.Relays = copyMap(s.Relays)
	c.Segments = make(map[string]map[int32]*statev1.SegmentRecord, len(s.Segments))
	for id, m := range s.Segments {
		c.Segments[id] = copyMap(m)
	}
	c.Schedules = copyMap(s.Schedules)
	return &c
}

func copyMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// RingNodes returns the ring's node records ordered by ordinal.
func (s *State) RingNodes(ring string) []*statev1.NodeRecord {
	var out []*statev1.NodeRecord
	for _, n := range s.Nodes {
		if n.GetRing() == ring {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetOrdinal() < out[j].GetOrdinal() })
	return out
}
