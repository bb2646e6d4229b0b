package cmdutil

import (
	"strings"

	"github.com/spf13/cobra"

	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// CompleteRingNames completes ring names from the daemon (ListRings), the first argument only.
func CompleteRingNames(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return RingNames(f, cmd, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// RingNames lists ring names starting with prefix; nothing on any error or after CompletionTimeout.
func RingNames(f *Factory, cmd *cobra.Command, prefix string) []cobra.Completion {
	c, err := f.Rings()
	if err != nil {
		return nil
	}
	ctx, cancel := CompletionContext(cmd)
	defer cancel()
	resp, err := c.ListRings(ctx, &pb.ListRingsRequest{})
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, r := range resp.GetRings() {
		if n := r.GetSpec().GetName(); strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// CompleteNodeNames completes node names from the daemon (ListNodes, of --ring when set).
func CompleteNodeNames(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := f.Nodes()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := CompletionContext(cmd)
		defer cancel()
		ring := ""
		if fl := cmd.Flags().Lookup("ring"); fl != nil {
			ring = fl.Value.String()
		}
		resp, err := c.ListNodes(ctx, &pb.ListNodesRequest{Ring: ring})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, n := range resp.GetNodes() {
			if strings.HasPrefix(n.GetName(), toComplete) {
				out = append(out, cobra.CompletionWithDesc(n.GetName(), n.GetRing()))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteOperationIDs completes operation IDs from the daemon (ListOperations: running ones,
// or also finished ones when all is true), optionally only of the given kinds.
func CompleteOperationIDs(f *Factory, all bool, kinds ...pb.OperationKind) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := f.Operations()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := CompletionContext(cmd)
		defer cancel()
		resp, err := c.ListOperations(ctx, &pb.ListOperationsRequest{All: all, Kinds: kinds})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, o := range resp.GetOperations() {
			if strings.HasPrefix(o.GetId(), toComplete) {
				desc := strings.ToLower(strings.TrimPrefix(o.GetKind().String(), "OPERATION_KIND_")) + " " + o.GetRing()
				out = append(out, cobra.CompletionWithDesc(o.GetId(), desc))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// RegisterRingFlagCompletion completes a --ring flag with ring names.
func RegisterRingFlagCompletion(f *Factory, cmd *cobra.Command) {
	_ = cmd.RegisterFlagCompletionFunc("ring", func(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return RingNames(f, c, toComplete), cobra.ShellCompDirectiveNoFileComp
	})
}
