package nodetool

import (
	"errors"
	"fmt"
	"testing"
)

func TestClientBackupCommands(t *testing.T) {
	f := newFake(t, Config{Host: "10.0.0.5", Port: 7199})
	ctx := testCtx(t)
	f.answer(t, "snapshot -t b1", "Requested creating snapshot(s) for [all keyspaces] with snapshot name [b1] and options {skipFlush=false}\nSnapshot directory: b1\n", "", 0)
	f.answer(t, "snapshot -t b2 shop", "", "error: Snapshot b2 already exists.\n-- StackTrace --\n", 2)
	if err := f.client.Snapshot(ctx, "b1"); err != nil {
		t.Fatal(err)
	}
	err := f.client.Snapshot(ctx, "b2", "shop")
	var ne *Error
	if !errors.As(err, &ne) || ne.ExitCode != 2 {
		t.Fatalf("existing snapshot tag: %v", err)
	}
	if err := f.client.ClearSnapshot(ctx, "b1"); err != nil {
		t.Fatal(err)
	}
	if err := f.client.Import(ctx, "shop", "orders", "/v/restore/b1/shop/orders"); err != nil {
		t.Fatal(err)
	}
	want := "[-h 10.0.0.5 -p 7199 snapshot -t b1 -h 10.0.0.5 -p 7199 snapshot -t b2 shop -h 10.0.0.5 -p 7199 clearsnapshot -t b1 -h 10.0.0.5 -p 7199 import -- shop orders /v/restore/b1/shop/orders]"
	if got := fmt.Sprint(f.calls(t)); got != want {
		t.Fatalf("calls %s\nwant  %s", got, want)
	}
	for _, bad := range []func() error{
		func() error { return f.client.Snapshot(ctx, "-x") },
		func() error { return f.client.Snapshot(ctx, "b", "a b") },
		func() error { return f.client.ClearSnapshot(ctx, "") },
		func() error { return f.client.Import(ctx, "ks", "t", "--dir") },
	} {
		if bad() == nil {
			t.Error("bad argument accepted")
		}
	}
}
