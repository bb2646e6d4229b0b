package zktest

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

func TestMain(m *testing.M) { Main(m) }

func TestServerStopStartKeepsPortAndData(t *testing.T) {
	srv := Start(t)
	t.Logf("JVM start to serving: %v", srv.StartupTime())
	conn := Connect(t, srv.Servers())
	if _, err := conn.Create("/kept", []byte("v1"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	addr := srv.ConnectString()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if srv.Running() {
		t.Fatal("server still running after Stop")
	}
	if _, err := fourLetter(addr, "ruok", time.Second); err == nil {
		t.Fatalf("%s still answers after Stop", addr)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("restart to serving: %v", srv.StartupTime())
	if srv.ConnectString() != addr {
		t.Fatalf("restarted on %s, want %s", srv.ConnectString(), addr)
	}
	data, _, err := Connect(t, srv.Servers()).Get("/kept")
	if err != nil || string(data) != "v1" {
		t.Fatalf("after restart Get(/kept) = %q, %v; want v1", data, err)
	}
}

func TestSharedServerIsReused(t *testing.T) {
	a, b := Shared(t), Shared(t)
	if a != b {
		t.Fatal("Shared started two servers")
	}
	if resp, err := fourLetter(a.ConnectString(), "ruok", time.Second); err != nil || resp != "imok" {
		t.Fatalf("ruok = %q, %v", resp, err)
	}
}

func TestExpireSessionDropsEphemerals(t *testing.T) {
	srv := Shared(t)
	owner := Connect(t, srv.Servers())
	observer := Connect(t, srv.Servers())
	path, err := owner.Create("/expire-eph", []byte("x"), zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
	if err != nil {
		t.Fatal(err)
	}
	old := owner.SessionID()
	ExpireSession(t, owner)
	if owner.SessionID() == old {
		t.Fatal("session ID unchanged after ExpireSession")
	}
	if ok, _, err := observer.Exists(path); err != nil || ok {
		t.Fatalf("ephemeral %s after expiry: exists=%v err=%v; want gone", path, ok, err)
	}
	// The connection carries on with its new session.
	if _, err := owner.Create("/expire-after", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create on the new session: %v", err)
	}
	// A session that is already gone cannot be closed again.
	if err := CloseSession(srv.ConnectString(), old); err == nil {
		t.Fatal("CloseSession of an expired session succeeded")
	}
}

func TestCloseSessionNeedsDialer(t *testing.T) {
	srv := Shared(t)
	conn, _, err := zk.Connect(srv.Servers(), DefaultSessionTimeout, zk.WithLogger(NopLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	WaitFor(t, 10*time.Second, func() bool { return conn.State() == zk.StateHasSession }, "session")
	err = CloseSession(srv.ConnectString(), conn.SessionID())
	if err == nil || !strings.Contains(err.Error(), "zktest.Dialer") {
		t.Fatalf("CloseSession of a session not made through Dialer: %v", err)
	}
}

func TestNotInstalledNamesMakeDeps(t *testing.T) {
	t.Setenv("ZOOKEEPER_JAR", t.TempDir()+"/missing.jar")
	_, err := Run(Config{Dir: t.TempDir()})
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "make deps") {
		t.Fatalf("Run without ZooKeeper: %v; want ErrNotInstalled naming make deps", err)
	}
	if err := CheckInstalled(); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("CheckInstalled = %v", err)
	}
}

func TestStartFailureIncludesLogTail(t *testing.T) {
	srv := Shared(t)
	// The shared server holds this port: a second server on it cannot bind.
	_, err := Run(Config{Dir: t.TempDir(), Port: srv.Port(), StartTimeout: 30 * time.Second})
	if err == nil {
		t.Fatal("second server on a taken port started")
	}
	if !strings.Contains(err.Error(), "zookeeper.log") {
		t.Fatalf("error does not point at the log: %v", err)
	}
}

func TestEnsembleSurvivesLosingAMember(t *testing.T) {
	e := StartEnsemble(t, 3)
	modes := map[string]int{}
	var leader *Member
	for _, m := range e.Members {
		mode, err := m.Mode()
		if err != nil {
			t.Fatal(err)
		}
		modes[mode]++
		if mode == "leader" {
			leader = m
		}
	}
	if modes["leader"] != 1 || modes["follower"] != 2 {
		t.Fatalf("modes = %v; want one leader and two followers", modes)
	}
	t.Logf("ensemble of 3 serving after %v", e.Members[0].proc.startDur)
	conn := Connect(t, e.Servers())
	if _, err := conn.Create("/ens", []byte("1"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if err := leader.Kill(); err != nil {
		t.Fatal(err)
	}
	// The two others elect a new leader and keep serving.
	var rest []string
	for _, m := range e.Members {
		if m != leader {
			rest = append(rest, m.Address())
		}
	}
	WaitFor(t, 30*time.Second, func() bool {
		n := 0
		for _, m := range e.Members {
			if m != leader {
				if mode, err := m.Mode(); err == nil && mode == "leader" {
					n++
				}
			}
		}
		return n == 1
	}, "a new leader among the remaining members")
	c2 := Connect(t, rest)
	if _, err := c2.Set("/ens", []byte("2"), -1); err != nil {
		t.Fatalf("write with two of three members: %v", err)
	}
	if err := leader.Start(); err != nil {
		t.Fatal(err)
	}
	if mode, err := leader.Mode(); err != nil || mode != "follower" {
		t.Fatalf("restarted member mode = %q, %v; want follower", mode, err)
	}
	c3 := Connect(t, []string{leader.Address()})
	_, _ = c3.Sync("/ens")
	if data, _, err := c3.Get("/ens"); err != nil || string(data) != "2" {
		t.Fatalf("restarted member reads %q, %v; want 2", data, err)
	}
}

func TestLocalMainRejectsBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "-dir is required"},
		{[]string{"-dir", t.TempDir(), "-port", "70000"}, "not a TCP port"},
		{[]string{"-dir", t.TempDir(), "-tick", "0s"}, "must be positive"},
		{[]string{"-bogus"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if code := LocalMain(tt.args, &out, &errb); code != 2 {
			t.Errorf("LocalMain(%q) = %d; want 2", tt.args, code)
		}
		if !strings.Contains(errb.String(), tt.want) {
			t.Errorf("LocalMain(%q) stderr = %q; want %q", tt.args, errb.String(), tt.want)
		}
	}
}

func FuzzRecordConnectResponse(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0x0f, 0xa0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 2, 1, 2})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		recordConnectResponse(b)
		_, _ = readFrame(bytes.NewReader(b))
	})
}
