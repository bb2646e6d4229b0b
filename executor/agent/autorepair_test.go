package agent

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func TestAutoRepairRPCs(t *testing.T) {
	h := start(t)
	ctx := authed()
	// A node without Auto Repair: the read says so, a change is refused with FailedPrecondition.
	got, err := h.client.GetAutoRepair(ctx, &cassmesosv1.GetAutoRepairRequest{})
	if err != nil || got.GetSchedulerEnabled() || len(got.GetTypes()) != 0 {
		t.Fatalf("no auto repair: %v %v", got, err)
	}
	if _, err := h.client.SetAutoRepair(ctx, &cassmesosv1.SetAutoRepairRequest{RepairTypes: []string{"full"}}); code(err) != codes.FailedPrecondition {
		t.Errorf("set without auto repair: %v, want FailedPrecondition", err)
	}

	h.fake.SetAutoRepair(map[string]bool{"full": true, "incremental": true})
	if _, err := h.client.SetAutoRepair(ctx, &cassmesosv1.SetAutoRepairRequest{RepairTypes: []string{"full", "incremental"}, Enabled: false}); err != nil {
		t.Fatal(err)
	}
	got, err = h.client.GetAutoRepair(ctx, &cassmesosv1.GetAutoRepairRequest{})
	if err != nil || !got.GetSchedulerEnabled() || len(got.GetTypes()) != 3 {
		t.Fatalf("after pause: %v %v", got, err)
	}
	for _, ts := range got.GetTypes() {
		if ts.GetEnabled() {
			t.Errorf("%s enabled after the pause", ts.GetRepairType())
		}
	}
	if _, err := h.client.SetAutoRepair(ctx, &cassmesosv1.SetAutoRepairRequest{RepairTypes: []string{"full"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	got, _ = h.client.GetAutoRepair(ctx, &cassmesosv1.GetAutoRepairRequest{})
	if !got.GetTypes()[0].GetEnabled() || got.GetTypes()[1].GetEnabled() {
		t.Errorf("after resuming full: %v", got.GetTypes())
	}

	for name, req := range map[string]*cassmesosv1.SetAutoRepairRequest{
		"no type":  {},
		"bad type": {RepairTypes: []string{"full", "-t evil"}},
	} {
		if _, err := h.client.SetAutoRepair(ctx, req); code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
	// SetAutoRepair is a mutating call: without a leader epoch it is refused.
	noEpoch := metadata.AppendToOutgoingContext(ctx)
	md, _ := metadata.FromOutgoingContext(noEpoch)
	md = md.Copy()
	md.Delete(EpochMetadataKey)
	if _, err := h.client.SetAutoRepair(metadata.NewOutgoingContext(ctx, md), &cassmesosv1.SetAutoRepairRequest{RepairTypes: []string{"full"}}); code(err) != codes.FailedPrecondition {
		t.Errorf("without an epoch: %v, want FailedPrecondition", err)
	}
	var calls []string
	for _, c := range h.fake.Calls() {
		if strings.HasPrefix(c.Method, "SetAutoRepair") {
			calls = append(calls, c.String())
		}
	}
	want := "SetAutoRepairEnabled full false|SetAutoRepairEnabled full false|SetAutoRepairEnabled incremental false|SetAutoRepairEnabled full true"
	if strings.Join(calls, "|") != want {
		t.Errorf("calls %q, want %q", strings.Join(calls, "|"), want)
	}
}
