package mesos

import (
	"sync"
	"time"
)

// Limits of the recent-UUID memory: per task the last few status update UUIDs, and at most
// maxDedupTasks tasks (the least recently active are forgotten first).
const (
	dedupPerTask  = 8
	maxDedupTasks = 4096
)

// updateDedup remembers the status update UUIDs of each task recently delivered to the engine and
// acknowledged, so that a duplicated update (a real Mesos 1.11 master sent an agent's update twice
// after the agent re-registered) is handled once and its UUID acknowledged once. Memory is bounded:
// dedupPerTask UUIDs per task, maxDedupTasks tasks.
type updateDedup struct {
	window time.Duration

	mu    sync.Mutex
	tasks map[dedupKey]*dedupTask
}

type dedupKey struct{ agentID, taskID string }

type dedupTask struct {
	last    time.Time
	entries []dedupEntry // newest last, at most dedupPerTask
}

type dedupEntry struct {
	uuid        string
	sub         uint64    // subscription it was delivered on
	deliveredAt time.Time // zero if never delivered
	ackedAt     time.Time // zero until acknowledged successfully
}

func newUpdateDedup(window time.Duration) *updateDedup {
	return &updateDedup{window: window, tasks: map[dedupKey]*dedupTask{}}
}

func (d *updateDedup) entry(k dedupKey, uuid []byte, now time.Time, create bool) *dedupEntry {
	t := d.tasks[k]
	if t == nil {
		if !create {
			return nil
		}
		if len(d.tasks) >= maxDedupTasks {
			d.evictOldest()
		}
		t = &dedupTask{}
		d.tasks[k] = t
	}
	t.last = now
	for i := range t.entries {
		if t.entries[i].uuid == string(uuid) {
			return &t.entries[i]
		}
	}
	if !create {
		return nil
	}
	if len(t.entries) >= dedupPerTask {
		t.entries = append(t.entries[:0], t.entries[1:]...)
	}
	t.entries = append(t.entries, dedupEntry{uuid: string(uuid)})
	return &t.entries[len(t.entries)-1]
}

func (d *updateDedup) evictOldest() {
	var oldest dedupKey
	var at time.Time
	first := true
	for k, t := range d.tasks {
		if first || t.last.Before(at) {
			oldest, at, first = k, t.last, false
		}
	}
	delete(d.tasks, oldest)
}

// deliver reports whether an update with this UUID should go to the engine: false for a copy of an
// update acknowledged within the window, or delivered on the same subscription within the window
// and not yet acknowledged (the engine is still handling the first copy). A copy on a later
// subscription, or after the window (the agent retrying because our acknowledgement was lost), is
// delivered again.
func (d *updateDedup) deliver(agentID, taskID string, uuid []byte, sub uint64, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.entry(dedupKey{agentID, taskID}, uuid, now, true)
	switch {
	case !e.ackedAt.IsZero() && now.Sub(e.ackedAt) < d.window:
		return false
	case e.ackedAt.IsZero() && !e.deliveredAt.IsZero() && e.sub == sub && now.Sub(e.deliveredAt) < d.window:
		return false
	}
	e.sub, e.deliveredAt, e.ackedAt = sub, now, time.Time{}
	return true
}

// acked reports whether this UUID was acknowledged successfully within the window.
func (d *updateDedup) acked(agentID, taskID string, uuid []byte, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.entry(dedupKey{agentID, taskID}, uuid, now, false)
	return e != nil && !e.ackedAt.IsZero() && now.Sub(e.ackedAt) < d.window
}

// markAcked records a successful acknowledgement.
func (d *updateDedup) markAcked(agentID, taskID string, uuid []byte, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.entry(dedupKey{agentID, taskID}, uuid, now, true).ackedAt = now
}
