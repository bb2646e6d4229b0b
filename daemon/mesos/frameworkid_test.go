package mesos

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cassmesos/cassmesos/internal/mesossim"
)

// failingStore fails the first `fail` StoreFrameworkID calls (all of them when fail < 0).
type failingStore struct {
	mu    sync.Mutex
	fail  int
	calls int
	id    string
}

func (s *failingStore) FrameworkID(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id, nil
}

func (s *failingStore) StoreFrameworkID(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail < 0 || s.calls <= s.fail {
		return errors.New("zookeeper: connection loss")
	}
	s.id = id
	return nil
}

func (s *failingStore) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Regression (issue 12, defect 7): when the new framework ID cannot be stored, the daemon does
// not act for the framework and tears it down instead of leaving it registered (an orphan holding
// offers until its failover timeout, with the next SUBSCRIBE registering another).
func TestUnstorableFrameworkIDIsTornDown(t *testing.T) {
	sim := startSim(t, mesossim.Config{})
	store := &failingStore{fail: -1}
	r := runConn(t, store, endpoint(t, sim.URL()))
	deadline := time.Now().Add(20 * time.Second)
	for store.callCount() < 2*StoreAttempts {
		select {
		case e := <-r.events:
			if e.Connected != nil || len(e.Offers) > 0 {
				t.Fatalf("an event was delivered for a framework whose ID is not stored: %+v", e)
			}
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d store attempts in 20s", store.callCount())
		}
	}
	_ = r.stop()
	// Every framework registered was torn down.
	fws := sim.State().Frameworks
	if len(fws) < 2 {
		t.Fatalf("%d frameworks registered; want one per subscription attempt", len(fws))
	}
	for _, f := range fws {
		if !f.Removed {
			t.Errorf("framework %s is still registered (orphaned): %+v", f.ID, f)
		}
	}
}

// A store that fails a few times then works: the ID is stored by the retries, the same framework
// is used and nothing is torn down.
func TestFrameworkIDStoreRetried(t *testing.T) {
	sim := startSim(t, mesossim.Config{})
	store := &failingStore{fail: StoreAttempts - 1}
	r := runConn(t, store, endpoint(t, sim.URL()))
	c := r.next(t, "SUBSCRIBED", isConnected).Connected
	if id, _ := store.FrameworkID(context.Background()); !c.NewFramework || c.FrameworkID == "" || id != c.FrameworkID {
		t.Fatalf("connected %+v, stored %q", c, id)
	}
	if n := store.callCount(); n != StoreAttempts {
		t.Fatalf("%d store calls, want %d", n, StoreAttempts)
	}
	fws := sim.State().Frameworks
	if len(fws) != 1 || fws[0].Removed {
		t.Fatalf("frameworks %+v, want the one, registered", fws)
	}
}
