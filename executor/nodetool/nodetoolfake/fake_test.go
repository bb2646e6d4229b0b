package nodetoolfake

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/cassmesos/cassmesos/executor/nodetool"
)

func TestFake(t *testing.T) {
	ctx := context.Background()
	f := New()
	if _, err := f.Status(ctx); err == nil {
		t.Error("Status without an answer succeeded")
	}
	f.SetStatus(StatusOf("dc1", Node("UN", "127.0.0.2", "41df89ae-0631-447c-9def-ff1fbff3b8a7"), Node("DN", "127.0.0.3", "")))
	st, err := f.Status(ctx)
	if err != nil || len(st.All()) != 2 {
		t.Fatalf("Status: %+v %v", st, err)
	}
	if n, ok := st.Node("127.0.0.3"); !ok || n.Code() != "DN" || n.Datacenter != "dc1" {
		t.Errorf("node %+v", n)
	}
	if ns, _ := f.Netstats(ctx); ns.Mode != nodetool.ModeNormal {
		t.Errorf("mode %s", ns.Mode)
	}
	if err := f.Drain(ctx); err != nil || f.Mode() != nodetool.ModeDrained {
		t.Errorf("Drain: %v, mode %s", err, f.Mode())
	}
	if b, _ := f.StatusBinary(ctx); b {
		t.Error("binary still running after drain")
	}
	f.SetError("Info", &nodetool.Error{Cmd: "info", ExitCode: 1, Kind: nodetool.ErrConnectionRefused})
	if _, err := f.Info(ctx); !errors.Is(err, nodetool.ErrConnectionRefused) {
		t.Errorf("Info: %v", err)
	}
	f.SetError("Info", nil)
	if _, err := f.DescribeRing(ctx, "nope"); !errors.Is(err, nodetool.ErrUnknownKeyspace) {
		t.Errorf("DescribeRing: %v", err)
	}

	f.SetRepairEvents([]nodetool.RepairEvent{{Kind: nodetool.RepairStart}, {Kind: nodetool.RepairSessionFailed, Message: "boom"}})
	var got []nodetool.RepairEventKind
	err = f.Repair(ctx, nodetool.RepairOptions{Keyspace: "ks", PrimaryRange: true}, func(ev nodetool.RepairEvent) { got = append(got, ev.Kind) })
	if !errors.Is(err, nodetool.ErrRepairFailed) || len(got) != 2 {
		t.Errorf("Repair: %v %v", err, got)
	}
	if err := f.Repair(ctx, nodetool.RepairOptions{}, nil); err == nil {
		t.Error("Repair without keyspace accepted")
	}
	if err := f.Cleanup(ctx, "ks", "t"); err != nil {
		t.Error(err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := f.Flush(cctx, "ks"); !errors.Is(err, context.Canceled) {
		t.Errorf("Flush on cancelled ctx: %v", err)
	}
	f.SetHook(func(ctx context.Context, c Call) error {
		if c.Method == "RemoveNode" {
			return errors.New("hooked")
		}
		return nil
	})
	if err := f.RemoveNode(ctx, "x"); err == nil || err.Error() != "hooked" {
		t.Errorf("hook: %v", err)
	}

	want := []string{"Status", "Status", "Netstats", "Drain", "StatusBinary", "Info", "DescribeRing nope",
		"Repair repair -pr ks", "Cleanup ks t", "Flush ks", "RemoveNode x"}
	var calls []string
	for _, c := range f.Calls() {
		calls = append(calls, c.String())
	}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("calls\n got %q\nwant %q", calls, want)
	}
	if n := len(f.CallsOf("Info")); n != 1 {
		t.Errorf("%d Info calls", n)
	}
}
