package zkstate

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/cassmesos/cassmesos/internal/zktest"
)

func mustStruct(t testing.TB, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCreateGetUpdateDelete(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := openStore(t, storeOpts{})
	const p = "/schedules/s1"
	abs := s.Root() + p

	if err := s.Create(ctx, p, mustStruct(t, map[string]any{"n": 1})); err != nil {
		t.Fatal(err)
	}
	err := s.Create(ctx, p, mustStruct(t, map[string]any{"n": 99}))
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), abs) {
		t.Fatalf("second Create = %v; want ErrConflict naming %s", err, abs)
	}
	got := &structpb.Struct{}
	v0, err := s.Get(ctx, p, got)
	if err != nil || v0 != 0 || got.Fields["n"].GetNumberValue() != 1 {
		t.Fatalf("Get = %v, v%d, %v; want n=1 at version 0", got, v0, err)
	}
	v1, err := s.Update(ctx, p, mustStruct(t, map[string]any{"n": 2}), v0)
	if err != nil || v1 != 1 {
		t.Fatalf("Update at v0 = v%d, %v; want v1", v1, err)
	}
	// A writer still holding version 0 loses.
	if _, err := s.Update(ctx, p, mustStruct(t, map[string]any{"n": 3}), v0); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale Update = %v; want ErrConflict", err)
	}
	if err := s.Delete(ctx, p, v0); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale Delete = %v; want ErrConflict", err)
	}
	if _, err := s.Get(ctx, p, got); err != nil || got.Fields["n"].GetNumberValue() != 2 {
		t.Fatalf("after conflicts Get = %v, %v; want n=2", got, err)
	}
	if err := s.Delete(ctx, p, v1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, p, got); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), abs) {
		t.Fatalf("Get after Delete = %v; want ErrNotFound naming %s", err, abs)
	}
	if _, err := s.Update(ctx, p, got, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Update of a deleted record = %v; want ErrNotFound", err)
	}
	if err := s.Create(ctx, "/nowhere/x", got); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), s.Root()+"/nowhere") {
		t.Fatalf("Create under a missing parent = %v; want ErrNotFound naming the parent", err)
	}
}

func TestInvalidArguments(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := openStore(t, storeOpts{})
	msg := wrapperspb.String("x")
	for _, p := range []string{"", "rings", "/", "/rings/", "/rings//x", "/rings/../x", "/rings/a b"} {
		if _, err := s.Put(ctx, p, msg, Absent); !errors.Is(err, ErrInvalid) {
			t.Errorf("Put(%q) = %v; want ErrInvalid", p, err)
		}
	}
	if _, err := s.Update(ctx, "/rings/x", msg, Absent); !errors.Is(err, ErrInvalid) {
		t.Errorf("Update with Absent = %v; want ErrInvalid", err)
	}
	if _, err := s.Put(ctx, "/rings/x", msg, -7); !errors.Is(err, ErrInvalid) {
		t.Errorf("Put with version -7 = %v; want ErrInvalid", err)
	}
	big := wrapperspb.String(strings.Repeat("x", MaxRecordBytes))
	if _, err := s.Put(ctx, "/rings/big", big, Absent); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Put of a huge record = %v; want ErrTooLarge", err)
	}
}

// Concurrent read-modify-write loops on one record: every increment lands exactly once.
func TestCompareAndSetConflicts(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	const writers, increments = 4, 15
	stores := make([]*Store, writers)
	fw := uniqueFramework(t)
	for i := range stores {
		stores[i] = openStore(t, storeOpts{framework: fw})
	}
	const p = "/schedules/counter"
	if err := stores[0].Create(ctx, p, wrapperspb.Int64(0)); err != nil {
		t.Fatal(err)
	}
	var conflicts sync.Map
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range increments {
				for {
					cur := &wrapperspb.Int64Value{}
					v, err := s.Get(ctx, p, cur)
					if err != nil {
						errs <- err
						return
					}
					_, err = s.Update(ctx, p, wrapperspb.Int64(cur.Value+1), v)
					if errors.Is(err, ErrConflict) {
						conflicts.Store(i, true)
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	final := &wrapperspb.Int64Value{}
	v, err := stores[0].Get(ctx, p, final)
	if err != nil || final.Value != writers*increments || v != writers*increments {
		t.Fatalf("counter = %d at v%d (%v); want %d", final.Value, v, err, writers*increments)
	}
	n := 0
	conflicts.Range(func(any, any) bool { n++; return true })
	t.Logf("%d of %d writers hit version conflicts", n, writers)
}

func TestCorruptRecordsAreReportedAndLeftAlone(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := openStore(t, storeOpts{})
	tests := []struct {
		name string
		data string
		want error
	}{
		{"empty", "", ErrCorrupt},
		{"garbage", "\x00\x01not json", ErrCorrupt},
		{"bare protojson", `{"value":"x"}`, ErrCorrupt},
		{"no version", `{"kind":"google.protobuf.StringValue","record":"x"}`, ErrCorrupt},
		{"other kind", `{"schemaVersion":1,"kind":"google.protobuf.Int64Value","record":"5"}`, ErrCorrupt},
		{"bad record", `{"schemaVersion":1,"kind":"google.protobuf.StringValue","record":{"a":1}}`, ErrCorrupt},
		{"null record", `{"schemaVersion":1,"kind":"google.protobuf.StringValue","record":null}`, ErrCorrupt},
		{"newer schema", `{"schemaVersion":2,"kind":"google.protobuf.StringValue","record":"x"}`, ErrUnknownSchema},
		{"unknown field", `{"schemaVersion":1,"kind":"google.protobuf.Struct","record":{}}`, nil},
	}
	conn := zktest.Connect(t, zktest.Shared(t).Servers())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := SchedulePath(strings.ReplaceAll(tt.name, " ", "-"))
			abs := s.Root() + p
			if _, err := conn.Create(abs, []byte(tt.data), 0, zk.WorldACL(zk.PermAll)); err != nil {
				t.Fatal(err)
			}
			var msg proto.Message = &wrapperspb.StringValue{}
			if tt.want == nil {
				msg = &structpb.Struct{}
			}
			v, err := s.Get(ctx, p, msg)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Get = %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), abs) {
				t.Fatalf("Get = %v; want %v naming %s", err, tt.want, abs)
			}
			if v != 0 {
				t.Fatalf("Get version = %d; want the znode's version 0", v)
			}
			// Creating over it fails; it is not overwritten.
			if err := s.Create(ctx, p, wrapperspb.String("new")); !errors.Is(err, ErrConflict) {
				t.Fatalf("Create over a corrupt record = %v; want ErrConflict", err)
			}
			data, _, err := conn.Get(abs)
			if err != nil || string(data) != tt.data {
				t.Fatalf("znode now holds %q (%v); want it untouched", data, err)
			}
		})
	}
	// A record with a field this program does not know (written by a newer one).
	p := SchedulePath("future-field")
	future := `{"schemaVersion":1,"kind":"cassmesos.state.v1.ScheduleRecord","record":{"schedule":{"id":"x"},"notYetInvented":3}}`
	if _, err := conn.Create(s.Root()+p, []byte(future), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ScheduleByID(ctx, "future-field"); !errors.Is(err, ErrUnknownSchema) {
		t.Fatalf("record with an unknown field: %v; want ErrUnknownSchema", err)
	}
	// A list over corrupt records fails, naming one.
	if _, err := s.ListSchedules(ctx); !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnknownSchema) {
		t.Fatalf("ListSchedules over corrupt records = %v; want ErrCorrupt", err)
	} else if !strings.Contains(err.Error(), s.Root()+SchedulesPath()+"/") {
		t.Fatalf("ListSchedules error does not name the znode: %v", err)
	}
}

func TestACLKeepsOthersOut(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	fw := uniqueFramework(t)
	owner := openStore(t, storeOpts{framework: fw, credentials: "cassmesos:s3cret"})
	if err := owner.Create(ctx, "/schedules/x", wrapperspb.String("private")); err != nil {
		t.Fatal(err)
	}
	abs := owner.Root() + "/schedules/x"

	// A store without credentials (or with wrong ones) opens, but reads and writes nothing.
	for _, creds := range []string{"", "cassmesos:wrong", "intruder:s3cret"} {
		other := openStore(t, storeOpts{framework: fw, credentials: creds})
		if _, err := other.Get(ctx, "/schedules/x", &wrapperspb.StringValue{}); !errors.Is(err, ErrNoAuth) || !strings.Contains(err.Error(), abs) {
			t.Errorf("creds %q: Get = %v; want ErrNoAuth naming %s", creds, err, abs)
		}
		if _, err := other.Update(ctx, "/schedules/x", wrapperspb.String("mine"), 0); !errors.Is(err, ErrNoAuth) {
			t.Errorf("creds %q: Update = %v; want ErrNoAuth", creds, err)
		}
		if err := other.Create(ctx, "/schedules/y", wrapperspb.String("mine")); !errors.Is(err, ErrNoAuth) {
			t.Errorf("creds %q: Create = %v; want ErrNoAuth", creds, err)
		}
		if err := other.Delete(ctx, "/schedules/x", AnyVersion); !errors.Is(err, ErrNoAuth) {
			t.Errorf("creds %q: Delete = %v; want ErrNoAuth", creds, err)
		}
		if _, err := other.List(ctx, "/schedules"); !errors.Is(err, ErrNoAuth) {
			t.Errorf("creds %q: List = %v; want ErrNoAuth", creds, err)
		}
	}
	// A raw client without credentials is refused too.
	raw := zktest.Connect(t, zktest.Shared(t).Servers())
	if _, _, err := raw.Get(abs); !errors.Is(err, zk.ErrNoAuth) {
		t.Errorf("raw Get = %v; want zk.ErrNoAuth", err)
	}
	if _, err := raw.Set(abs, []byte("x"), -1); !errors.Is(err, zk.ErrNoAuth) {
		t.Errorf("raw Set = %v; want zk.ErrNoAuth", err)
	}
	// The owner still reads its record, and its ACL names only the digest user.
	got := &wrapperspb.StringValue{}
	if _, err := owner.Get(ctx, "/schedules/x", got); err != nil || got.Value != "private" {
		t.Fatalf("owner Get = %q, %v", got.Value, err)
	}
	acl, _, err := owner.Conn().GetACL(abs)
	if err != nil || len(acl) != 1 || acl[0].Scheme != "digest" || !strings.HasPrefix(acl[0].ID, "cassmesos:") {
		t.Fatalf("ACL = %+v, %v; want one digest entry for cassmesos", acl, err)
	}
}

func TestWithoutCredentialsZnodesAreOpen(t *testing.T) {
	t.Parallel()
	s := openStore(t, storeOpts{})
	acl, _, err := s.Conn().GetACL(s.Root() + RingsPath())
	if err != nil || len(acl) != 1 || acl[0].Scheme != "world" || acl[0].Perms != zk.PermAll {
		t.Fatalf("ACL = %+v, %v; want world:anyone with all permissions", acl, err)
	}
}

func TestChroot(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	chroot := "/chroot-test/" + uniqueFramework(t)
	s := openStore(t, storeOpts{chroot: chroot, framework: "fw"})
	if want := chroot + "/cassmesos/fw"; s.Root() != want {
		t.Fatalf("Root = %q; want %q", s.Root(), want)
	}
	if err := s.Create(ctx, "/schedules/a", wrapperspb.String("x")); err != nil {
		t.Fatal(err)
	}
	raw := zktest.Connect(t, zktest.Shared(t).Servers())
	if ok, _, err := raw.Exists(chroot + "/cassmesos/fw/schedules/a"); err != nil || !ok {
		t.Fatalf("record not under the chroot: exists=%v err=%v", ok, err)
	}
}

func TestOpenWithoutServerFails(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(testCtx(t), 1500*time.Millisecond)
	defer cancel()
	_, err := Open(ctx, Config{Servers: []string{"127.0.0.1:1"}, Framework: "x", Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open = %v; want ErrUnavailable", err)
	}
	for _, cfg := range []Config{
		{Framework: "x"},
		{Servers: []string{"127.0.0.1:1"}},
		{Servers: []string{"127.0.0.1:1"}, Framework: "a/b"},
		{Servers: []string{"127.0.0.1:1"}, Framework: "x", Chroot: "no-slash"},
		{Servers: []string{"127.0.0.1:1"}, Framework: "x", Credentials: "nopassword"},
	} {
		if _, err := Open(ctx, cfg); err == nil {
			t.Errorf("Open(%+v) succeeded", cfg)
		}
	}
}

func TestClosedStore(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := openStore(t, storeOpts{})
	s.Close()
	if err := s.Create(ctx, "/schedules/a", wrapperspb.String("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Create on a closed store = %v; want ErrClosed", err)
	}
	if _, err := s.Get(ctx, "/schedules/a", &wrapperspb.StringValue{}); err == nil {
		t.Fatal("Get on a closed store succeeded")
	}
}
