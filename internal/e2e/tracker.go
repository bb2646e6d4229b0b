package e2e

import (
	"sort"
	"strings"
	"sync"
	"time"
)

// TaskRecord is what the tracker saw of one Mesos task.
type TaskRecord struct {
	ID        string
	Node      string // the node the task runs (task IDs are "<node>.<incarnation>.<id>")
	Agent     string // agent hostname
	States    []string
	FirstSeen time.Time
	LastState string
}

// TaskHistory is what the tracker saw of the world's tasks, polling the simulator's state.
type TaskHistory struct {
	Tasks map[string]*TaskRecord // by task ID
	// MaxLivePerNode is, per node, the most tasks seen at once in STAGING, STARTING, RUNNING or
	// KILLING; MaxRunningPerNode counts TASK_RUNNING only.
	MaxLivePerNode, MaxRunningPerNode map[string]int
	// MaxLive is the most tasks seen live at once over the whole world.
	MaxLive int
	// Polls is how many snapshots were read.
	Polls int
}

// AgentsOf lists the agents (hostnames) on which any task of the node was ever seen.
func (h TaskHistory) AgentsOf(node string) []string {
	set := map[string]bool{}
	for _, r := range h.Tasks {
		if r.Node == node {
			set[r.Agent] = true
		}
	}
	var out []string
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// TasksOn lists the task IDs ever seen on the agent with the given hostname.
func (h TaskHistory) TasksOn(agent string) []string {
	var out []string
	for id, r := range h.Tasks {
		if r.Agent == agent {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

type taskTracker struct {
	w    *World
	quit chan struct{}
	done chan struct{}
	mu   sync.Mutex
	h    TaskHistory
}

func startTracker(w *World, every time.Duration) *taskTracker {
	tr := &taskTracker{w: w, quit: make(chan struct{}), done: make(chan struct{}), h: TaskHistory{
		Tasks: map[string]*TaskRecord{}, MaxLivePerNode: map[string]int{}, MaxRunningPerNode: map[string]int{},
	}}
	go tr.loop(every)
	return tr
}

func (tr *taskTracker) stop() {
	select {
	case <-tr.quit:
	default:
		close(tr.quit)
	}
	<-tr.done
}

func (tr *taskTracker) loop(every time.Duration) {
	defer close(tr.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		tr.poll()
		select {
		case <-tr.quit:
			return
		case <-tick.C:
		}
	}
}

func liveState(s string) bool {
	switch s {
	case "TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING":
		return true
	}
	return false
}

func (tr *taskTracker) poll() {
	snap, err := tr.w.mesosState()
	if err != nil {
		return
	}
	now := time.Now()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.h.Polls++
	live, running := map[string]int{}, map[string]int{}
	total := 0
	for _, a := range snap.Agents {
		for _, t := range a.Tasks {
			node, _, _ := strings.Cut(t.ID, ".")
			r := tr.h.Tasks[t.ID]
			if r == nil {
				r = &TaskRecord{ID: t.ID, Node: node, Agent: a.Hostname, FirstSeen: now}
				tr.h.Tasks[t.ID] = r
			}
			if r.LastState != t.State {
				r.States = append(r.States, t.State)
				r.LastState = t.State
			}
			if liveState(t.State) {
				live[node]++
				total++
			}
			if t.State == "TASK_RUNNING" {
				running[node]++
			}
		}
	}
	for n, c := range live {
		tr.h.MaxLivePerNode[n] = max(tr.h.MaxLivePerNode[n], c)
	}
	for n, c := range running {
		tr.h.MaxRunningPerNode[n] = max(tr.h.MaxRunningPerNode[n], c)
	}
	tr.h.MaxLive = max(tr.h.MaxLive, total)
}

// TaskHistory returns a copy of what the world's task tracker has seen so far. It polls once
// more first, so a state the test just waited for is included. Safe from any goroutine.
func (w *World) TaskHistory() TaskHistory {
	w.tracker.poll()
	tr := w.tracker
	tr.mu.Lock()
	defer tr.mu.Unlock()
	h := TaskHistory{Tasks: map[string]*TaskRecord{}, MaxLivePerNode: map[string]int{}, MaxRunningPerNode: map[string]int{},
		MaxLive: tr.h.MaxLive, Polls: tr.h.Polls}
	for k, v := range tr.h.Tasks {
		c := *v
		c.States = append([]string(nil), v.States...)
		h.Tasks[k] = &c
	}
	for k, v := range tr.h.MaxLivePerNode {
		h.MaxLivePerNode[k] = v
	}
	for k, v := range tr.h.MaxRunningPerNode {
		h.MaxRunningPerNode[k] = v
	}
	return h
}
