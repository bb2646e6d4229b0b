package mesossim

import (
	"fmt"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
)

// RestartAgent restarts an agent's process on the same work dir, as `systemctl restart
// mesos-agent` with checkpointing does: executors and their tasks keep running, but every
// executor's connection to the agent drops and the agent's endpoint refuses connections for
// `down`. Then the agent recovers: it re-registers with the master under the same ID, re-sends
// unacknowledged status updates, and gives each custom executor ExecutorReregistrationTimeout to
// SUBSCRIBE again. An executor that does not is shut down (its container destroyed), and its
// unfinished tasks go TASK_FAILED with REASON_EXECUTOR_REREGISTRATION_TIMEOUT. The built-in command
// and default executors live in the agent and are always recovered.
func (s *Sim) RestartAgent(id string, down time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.agentLocked(id)
	if err != nil {
		return err
	}
	if a.down || a.partitioned {
		return fmt.Errorf("agent %s is down or partitioned: heal it first", a.hostname)
	}
	if down < 0 {
		down = 0
	}
	s.log.Info("fault: restart agent (executors kept)", "agent", a.id, "hostname", a.hostname, "down", down)
	a.down, a.restarting = true, true
	for _, ex := range a.allExecutors() {
		if ex.reregTimer != nil {
			ex.reregTimer.Stop()
			ex.reregTimer = nil
		}
		ex.reregisteredIn = -1
	}
	a.stopServerAsync() // the endpoint and every executor stream close
	s.linkDownLocked(a) // its offers are rescinded; updates wait for the recovery
	time.AfterFunc(down, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || !a.restarting {
			return
		}
		s.recoverAgentLocked(a)
	})
	return nil
}

// recoverAgentLocked is a restarted agent coming back: endpoint up, re-registered with the master,
// and the executor re-registration window opened.
func (s *Sim) recoverAgentLocked(a *agent) {
	if err := a.startServer(); err != nil {
		s.log.Error("restarted agent cannot listen again", "agent", a.id, "err", err)
		return
	}
	a.down, a.restarting = false, false
	a.recoveredAt = time.Now()
	a.recoveries++
	timeout := s.cfg.ExecutorReregistrationTimeout
	s.log.Info("agent recovered; waiting for executors to re-subscribe", "agent_id", a.id, "hostname", a.hostname, "executor_reregistration_timeout", timeout)
	for _, ex := range a.allExecutors() {
		if ex.kind != kindCustom || ex.state == execTerminated || ex.state == execRegistering {
			continue // built-in executors are part of the agent; a registering one keeps its own timeout
		}
		ex := ex
		ex.reregisteredIn = -1
		ex.reregTimer = time.AfterFunc(timeout, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.closed || ex.reregTimer == nil || ex.state == execTerminated {
				return
			}
			ex.reregTimer = nil
			ex.log("executor did not re-subscribe in time; shutting it down", "timeout", timeout)
			ex.exitReason = mesos.REASON_EXECUTOR_REREGISTRATION_TIMEOUT.Enum()
			ex.exitMsg = "Executor did not re-register within " + timeout.String()
			ex.state = execTerminating
			ex.killGroup()
		})
	}
	s.linkUpLocked(a)
}

// ExecutorReregistration reports how long after its agent's last recovery (RestartAgent) the
// executor subscribed again; ok is false if it has not (yet), or no recovery happened.
func (s *Sim) ExecutorReregistration(frameworkID, executorID string) (after time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.agents {
		if af := a.frameworks[frameworkID]; af != nil {
			if ex := af.executors[executorID]; ex != nil {
				return ex.reregisteredIn, !a.restarting && !a.recoveredAt.IsZero() && ex.reregTimer == nil && ex.reregisteredIn > 0
			}
		}
	}
	return 0, false
}
