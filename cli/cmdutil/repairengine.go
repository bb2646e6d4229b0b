package cmdutil

import (
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// RepairEngineFlags are the flags choosing a ring's repair engine (ring create, ring update):
// --repair-engine cassmesos|cassandra, --auto-repair-types, --auto-repair-min-interval.
type RepairEngineFlags struct {
	Engine   string
	Types    []string
	Interval string
}

// Add registers the flags on cmd.
func (r *RepairEngineFlags) Add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&r.Engine, "repair-engine", "", "Who repairs the ring: cassmesos (segmented runs and schedules, the default) or cassandra (Cassandra 5.0.7+ Auto Repair; cassmesos pauses it around topology changes)")
	fl.StringSliceVar(&r.Types, "auto-repair-types", nil, "Auto Repair repair types, comma-separated: full, incremental, preview_repaired (default full; with --repair-engine cassandra)")
	fl.StringVar(&r.Interval, "auto-repair-min-interval", "", "Auto Repair min_repair_interval per node, e.g. 24h (default 24h; with --repair-engine cassandra)")
	_ = cmd.RegisterFlagCompletionFunc("repair-engine", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return []cobra.Completion{"cassmesos", "cassandra"}, cobra.ShellCompDirectiveNoFileComp
	})
}

// Apply sets the spec's repair_engine and auto_repair from the flags given and returns the
// RingSpec field paths it set (for an update mask): "repair_engine" when --repair-engine was
// given, "auto_repair" when an Auto Repair flag was, or when the engine becomes cassmesos (its
// Auto Repair settings are cleared).
func (r *RepairEngineFlags) Apply(cmd *cobra.Command, s *pb.RingSpec) ([]string, error) {
	var paths []string
	fl := cmd.Flags()
	if fl.Changed("repair-engine") {
		switch strings.ToLower(strings.TrimSpace(r.Engine)) {
		case "cassmesos":
			s.RepairEngine = pb.RepairEngine_REPAIR_ENGINE_CASSMESOS
		case "cassandra":
			s.RepairEngine = pb.RepairEngine_REPAIR_ENGINE_CASSANDRA
		default:
			return nil, FlagErrorf("--repair-engine: want cassmesos or cassandra, got %q", r.Engine)
		}
		paths = append(paths, "repair_engine")
	}
	auto := fl.Changed("auto-repair-types") || fl.Changed("auto-repair-min-interval")
	if auto && s.RepairEngine == pb.RepairEngine_REPAIR_ENGINE_CASSMESOS {
		return nil, FlagErrorf("--auto-repair-types and --auto-repair-min-interval need --repair-engine cassandra")
	}
	if auto {
		s.AutoRepair = &pb.AutoRepairSpec{}
		for _, t := range r.Types {
			if t = strings.TrimSpace(t); t != "" {
				s.AutoRepair.RepairTypes = append(s.AutoRepair.RepairTypes, t)
			}
		}
		if fl.Changed("auto-repair-min-interval") {
			d, err := ParseDuration(r.Interval)
			if err != nil {
				return nil, FlagValueError("auto-repair-min-interval", err)
			}
			if d <= 0 {
				return nil, FlagErrorf("--auto-repair-min-interval: want a duration > 0, got %s", r.Interval)
			}
			s.AutoRepair.MinRepairInterval = durationpb.New(d)
		}
		paths = append(paths, "auto_repair")
	} else if fl.Changed("repair-engine") && s.RepairEngine == pb.RepairEngine_REPAIR_ENGINE_CASSMESOS {
		s.AutoRepair = nil
		paths = append(paths, "auto_repair")
	}
	return paths, nil
}
