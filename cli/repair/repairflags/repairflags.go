// Package repairflags binds the flags that describe a repair (repair run and repair schedule
// create share them) and turns them into RepairParams, validating what is cheap to check.
//
// It imports cli/cmdutil and the generated API; no command package.
package repairflags

import (
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/internal/specrules"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Flags are the raw repair flags.
type Flags struct {
	Keyspace        string
	Tables          []string
	Full            bool
	Incremental     bool
	SegmentsPerNode int32
	Parallel        int32
	Intensity       float64
	SegmentTimeout  string
	MaxAttempts     int32
	Datacenter      string
}

// Register adds the repair flags to cmd.
func (r *Flags) Register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&r.Keyspace, "keyspace", "k", "", "Keyspace to repair (default: every non-system keyspace)")
	fl.StringSliceVar(&r.Tables, "tables", nil, "Tables of the keyspace to repair (comma-separated; default all)")
	fl.BoolVar(&r.Full, "full", false, "Full repair (the default)")
	fl.BoolVar(&r.Incremental, "incremental", false, "Incremental repair")
	fl.Int32Var(&r.SegmentsPerNode, "segments-per-node", 0, "Token segments per node (default 16)")
	fl.Int32Var(&r.Parallel, "parallel", 0, "Segments repaired at once on disjoint replica sets (default 1)")
	fl.Float64Var(&r.Intensity, "intensity", 0, "Fraction of time spent repairing, in (0, 1] (default 1)")
	fl.StringVar(&r.SegmentTimeout, "segment-timeout", "", "Timeout of one segment, e.g. 30m (default 30m)")
	fl.Int32Var(&r.MaxAttempts, "max-attempts", 0, "Attempts per segment before the run fails (default 3)")
	fl.StringVar(&r.Datacenter, "dc", "", "Repair only among this data centre's replicas (nodetool repair -dc; default all)")
}

// Params validates the flags set on cmd and returns the RepairParams.
func (r *Flags) Params(cmd *cobra.Command) (*pb.RepairParams, error) {
	if err := cmdutil.MutuallyExclusive(cmd, "full", "incremental"); err != nil {
		return nil, err
	}
	changed := cmd.Flags().Changed
	p := &pb.RepairParams{Keyspace: r.Keyspace, Full: !r.Incremental, Datacenter: r.Datacenter}
	if changed("dc") {
		if err := specrules.Datacenter("--dc", r.Datacenter); err != nil {
			return nil, cmdutil.FlagErrorf("%v", err)
		}
	}
	for _, t := range r.Tables {
		if t = strings.TrimSpace(t); t != "" {
			p.Tables = append(p.Tables, t)
		}
	}
	if len(p.Tables) > 0 && p.Keyspace == "" {
		return nil, cmdutil.FlagErrorf("--tables needs --keyspace")
	}
	if changed("segments-per-node") {
		if r.SegmentsPerNode < 1 {
			return nil, cmdutil.FlagErrorf("--segments-per-node: want at least 1, got %d", r.SegmentsPerNode)
		}
		p.SegmentsPerNode = r.SegmentsPerNode
	}
	if changed("parallel") {
		if r.Parallel < 1 {
			return nil, cmdutil.FlagErrorf("--parallel: want at least 1, got %d", r.Parallel)
		}
		p.Parallel = r.Parallel
	}
	if changed("intensity") {
		if !(r.Intensity > 0 && r.Intensity <= 1) {
			return nil, cmdutil.FlagErrorf("--intensity: want a number in (0, 1], got %g", r.Intensity)
		}
		p.Intensity = r.Intensity
	}
	if changed("segment-timeout") {
		d, err := cmdutil.ParseDuration(r.SegmentTimeout)
		if err != nil {
			return nil, cmdutil.FlagValueError("segment-timeout", err)
		}
		if d <= 0 {
			return nil, cmdutil.FlagErrorf("--segment-timeout: want a positive duration, got %s", r.SegmentTimeout)
		}
		p.SegmentTimeout = durationpb.New(d)
	}
	if changed("max-attempts") {
		if r.MaxAttempts < 1 {
			return nil, cmdutil.FlagErrorf("--max-attempts: want at least 1, got %d", r.MaxAttempts)
		}
		p.MaxAttempts = r.MaxAttempts
	}
	return p, nil
}
