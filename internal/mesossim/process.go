package mesossim

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gogo/protobuf/proto"
	"github.com/google/uuid"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/executor"
)

type executorKind int

const (
	kindCustom  executorKind = iota // ExecutorInfo with a command: a real subprocess
	kindCommand                     // built-in command executor (task with CommandInfo)
	kindDefault                     // built-in default executor (LAUNCH_GROUP, type DEFAULT)
)

type execState int

const (
	execRegistering execState = iota
	execRunning
	execTerminating
	execTerminated
)

// defaultKillGracePeriod is the command executor's grace between SIGTERM and
// SIGKILL when the task has no kill policy.
const defaultKillGracePeriod = 3 * time.Second

type executorProc struct {
	a           *agent
	fwID        string
	info        mesos.ExecutorInfo
	kind        executorKind
	state       execState
	containerID string
	sandbox     string

	stream  *eventStream
	batches [][]*atask // queued launches, delivered on SUBSCRIBE

	pid        int
	regTimer   *time.Timer
	graceTimer *time.Timer
	exitReason *mesos.TaskStatus_Reason
	exitMsg    string

	procs map[string]*taskProc // built-in executors: one process per task

	subscriptions  int           // SUBSCRIBE calls accepted
	reregTimer     *time.Timer   // agent recovery: the re-registration window
	reregisteredIn time.Duration // agent recovery: from the agent's recovery to the SUBSCRIBE; -1 while waiting
}

type taskProc struct {
	pid     int
	killing bool
	timer   *time.Timer
}

func (a *agent) newExecutor(af *agentFramework, info mesos.ExecutorInfo, kind executorKind) (*executorProc, error) {
	a.containers++
	cid := uuid.NewString()
	sandbox := filepath.Join(a.dir, "slaves", a.id, "frameworks", info.FrameworkID.GetValue(), "executors", info.ExecutorID.Value, "runs", cid)
	if err := os.MkdirAll(sandbox, 0o755); err != nil {
		return nil, fmt.Errorf("create sandbox: %w", err)
	}
	ex := &executorProc{
		a: a, fwID: info.FrameworkID.GetValue(), info: info, kind: kind, containerID: cid, sandbox: sandbox,
		procs: map[string]*taskProc{},
	}
	a.s.log.Info("launching executor", "agent_id", a.id, "framework_id", ex.fwID, "executor_id", info.ExecutorID.Value, "sandbox", sandbox)
	a.linkVolumes(ex, info.Resources)
	if kind == kindCustom {
		ex.state = execRegistering
		ex.launch()
	} else {
		ex.state = execRunning
	}
	return ex, nil
}

// fetchUser is the user whose fetcher cache entries a command uses: the command's own user, else
// the framework's (as the Mesos fetcher keys its cache). Called with the Sim's lock held.
func (ex *executorProc) fetchUser(ci *mesos.CommandInfo) string {
	if u := ci.GetUser(); u != "" {
		return u
	}
	if af := ex.a.frameworks[ex.fwID]; af != nil {
		return af.info.GetUser()
	}
	return ""
}

func (ex *executorProc) log(msg string, args ...any) {
	ex.a.s.log.Info(msg, append([]any{"agent_id", ex.a.id, "framework_id", ex.fwID, "executor_id", ex.info.ExecutorID.Value}, args...)...)
}

func (ex *executorProc) gracePeriod() time.Duration {
	if g := ex.info.ShutdownGracePeriod; g != nil && g.Nanoseconds >= 0 {
		return time.Duration(g.Nanoseconds)
	}
	return ex.a.s.cfg.ExecutorShutdownGracePeriod
}

// environment is what a real agent gives an executor (and the command
// executor gives its task), plus CommandInfo.environment.
func (ex *executorProc) environment(ci *mesos.CommandInfo, extra ...string) []string {
	a := ex.a
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MESOS_") || strings.HasPrefix(kv, "LIBPROCESS_") {
			continue
		}
		env = append(env, kv)
	}
	checkpoint := false
	if af := a.frameworks[ex.fwID]; af != nil {
		checkpoint = af.info.GetCheckpoint()
	}
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	env = append(env,
		"MESOS_FRAMEWORK_ID="+ex.fwID,
		"MESOS_EXECUTOR_ID="+ex.info.ExecutorID.Value,
		"MESOS_DIRECTORY="+ex.sandbox,
		"MESOS_SANDBOX="+ex.sandbox,
		"MESOS_AGENT_ENDPOINT="+a.endpoint(),
		"MESOS_SLAVE_ID="+a.id,
		"MESOS_SLAVE_PID=slave(1)@"+a.endpoint(),
		"MESOS_CHECKPOINT="+b(checkpoint),
		"MESOS_HTTP_COMMAND_EXECUTOR=0",
		"MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD="+mesosDuration(int64(ex.gracePeriod())),
		"LIBPROCESS_IP="+a.hostname,
		"LIBPROCESS_PORT=0",
	)
	if checkpoint {
		env = append(env, "MESOS_RECOVERY_TIMEOUT=15mins", "MESOS_SUBSCRIPTION_BACKOFF_MAX=2secs")
	}
	env = append(env, extra...)
	if ci != nil && ci.Environment != nil {
		for _, v := range ci.Environment.Variables {
			if v.GetType() == mesos.Environment_Variable_SECRET || v.Secret != nil {
				continue
			}
			env = append(env, v.Name+"="+v.GetValue())
		}
	}
	return env
}

// buildCommand turns a CommandInfo into a process in its own process group
// with the sandbox as its working directory and stdout/stderr files there.
func buildCommand(ci *mesos.CommandInfo, dir string, env []string) (*exec.Cmd, []*os.File, error) {
	var cmd *exec.Cmd
	if ci.Shell == nil || ci.GetShell() {
		if ci.GetValue() == "" {
			return nil, nil, errors.New("shell command has no 'value'")
		}
		cmd = exec.Command("/bin/sh", "-c", ci.GetValue())
	} else {
		path := ci.GetValue()
		if path == "" {
			return nil, nil, errors.New("command has no 'value'")
		}
		if !strings.Contains(path, "/") {
			p, err := exec.LookPath(path)
			if err != nil {
				return nil, nil, err
			}
			path = p
		} else if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		args := ci.Arguments
		if len(args) == 0 {
			args = []string{ci.GetValue()}
		}
		cmd = &exec.Cmd{Path: path, Args: args}
	}
	cmd.Dir = dir
	cmd.Env = env
	// A session of its own (and so a process group of its own): processes the executor starts
	// in new process groups, as cassmesos-executor does for Cassandra, stay in the session, so
	// destroying the container can find them, as a real agent's containerizer does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var files []*os.File
	for _, name := range []string{"stdout", "stderr"} {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			for _, f := range files {
				_ = f.Close()
			}
			return nil, nil, err
		}
		files = append(files, f)
	}
	cmd.Stdout, cmd.Stderr = files[0], files[1]
	return cmd, files, nil
}

func waitStatus(ps *os.ProcessState) int32 {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
		return int32(ws)
	}
	return int32(ps.ExitCode() << 8)
}

// launch fetches the executor's URIs and starts it (custom executors).
func (ex *executorProc) launch() {
	s := ex.a.s
	ci := proto.Clone(ex.info.Command).(*mesos.CommandInfo)
	user := ex.fetchUser(ci)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ferr := fetchURIs(s.ctx, ci.URIs, ex.sandbox, ex.a.fetchCache, user)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || ex.state == execTerminated {
			return
		}
		if ex.state == execTerminating {
			ex.a.executorTerminated(ex, nil)
			return
		}
		if ferr != nil {
			ex.launchFailed("Failed to fetch URIs: " + ferr.Error())
			return
		}
		cmd, files, err := buildCommand(ci, ex.sandbox, ex.environment(ci))
		if err == nil {
			err = cmd.Start()
		}
		for _, f := range files {
			_ = f.Close()
		}
		if err != nil {
			ex.launchFailed("Failed to launch executor: " + err.Error())
			return
		}
		ex.pid = cmd.Process.Pid
		ex.log("executor process started", "pid", ex.pid)
		ex.regTimer = time.AfterFunc(s.cfg.ExecutorRegistrationTimeout, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if ex.state == execRegistering {
				ex.log("executor did not subscribe in time; destroying it", "timeout", s.cfg.ExecutorRegistrationTimeout)
				ex.exitReason = mesos.REASON_EXECUTOR_REGISTRATION_TIMEOUT.Enum()
				ex.exitMsg = "Executor did not register within " + s.cfg.ExecutorRegistrationTimeout.String()
				ex.killGroup()
			}
		})
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			_ = cmd.Wait()
			st := waitStatus(cmd.ProcessState)
			s.mu.Lock()
			defer s.mu.Unlock()
			ex.log("executor process exited", "pid", cmd.Process.Pid, "status", st)
			ex.a.executorTerminated(ex, &st)
		}()
	}()
}

func (ex *executorProc) launchFailed(msg string) {
	ex.log("executor launch failed", "reason", msg)
	ex.exitReason = mesos.REASON_CONTAINER_LAUNCH_FAILED.Enum()
	ex.exitMsg = msg
	ex.a.executorTerminated(ex, nil)
}

func (ex *executorProc) stopTimers() {
	if ex.regTimer != nil {
		ex.regTimer.Stop()
	}
	if ex.reregTimer != nil {
		ex.reregTimer.Stop()
	}
	if ex.graceTimer != nil {
		ex.graceTimer.Stop()
	}
	for _, p := range ex.procs {
		if p.timer != nil {
			p.timer.Stop()
		}
	}
}

// killGroup destroys the container: SIGKILL to every process group, and to every process left in
// the executor's and its tasks' sessions (children that moved to process groups of their own).
func (ex *executorProc) killGroup() {
	if ex.pid > 0 {
		_ = syscall.Kill(-ex.pid, syscall.SIGKILL)
		killSession(ex.pid)
	}
	for _, p := range ex.procs {
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
		killSession(p.pid)
	}
}

// killProcess kills only the executor process (the KillExecutor fault).
func (ex *executorProc) killProcess() {
	if ex.kind == kindCustom && ex.pid > 0 {
		_ = syscall.Kill(ex.pid, syscall.SIGKILL)
		return
	}
	ex.killGroup()
}

func (ex *executorProc) tasks() []*atask {
	var out []*atask
	for _, t := range ex.a.sortedTasks() {
		if t.fwID == ex.fwID && t.execID == ex.info.ExecutorID.Value {
			out = append(out, t)
		}
	}
	return out
}

func (ex *executorProc) enqueue(ts []*atask) {
	if ex.kind != kindCustom {
		for _, t := range ts {
			ex.startBuiltinTask(t)
		}
		return
	}
	if ex.state == execRunning && ex.stream != nil {
		ex.deliver(ts)
		return
	}
	ex.batches = append(ex.batches, ts)
}

func (ex *executorProc) dequeue(taskID string) {
	for i, b := range ex.batches {
		for j, t := range b {
			if t.info.TaskID.Value == taskID {
				ex.batches[i] = append(b[:j:j], b[j+1:]...)
				t.queued = false
			}
		}
		_ = i
	}
}

func (ex *executorProc) deliver(ts []*atask) {
	if len(ts) == 0 {
		return
	}
	log := ex.a.s.log
	if ts[0].group {
		var g mesos.TaskGroupInfo
		for _, t := range ts {
			t.queued = false
			g.Tasks = append(g.Tasks, t.info)
		}
		ex.stream.send(log, &executor.Event{Type: executor.Event_LAUNCH_GROUP, LaunchGroup: &executor.Event_LaunchGroup{TaskGroup: g}})
		return
	}
	for _, t := range ts {
		t.queued = false
		ex.stream.send(log, &executor.Event{Type: executor.Event_LAUNCH, Launch: &executor.Event_Launch{Task: t.info}})
	}
}

// subscribe handles an executor SUBSCRIBE and returns the new stream.
func (ex *executorProc) subscribe(sub *executor.Call_Subscribe, media string, log interface{ Info(string, ...any) }) *eventStream {
	a := ex.a
	stream := newEventStream(media)
	if ex.state == execTerminating {
		stream.send(a.s.log, &executor.Event{Type: executor.Event_SHUTDOWN})
		stream.close()
		return stream
	}
	if ex.stream != nil {
		ex.stream.close()
	}
	ex.stream = stream
	ex.subscriptions++
	if ex.reregTimer != nil {
		ex.reregTimer.Stop()
		ex.reregTimer = nil
		ex.reregisteredIn = time.Since(a.recoveredAt)
		log.Info("executor re-subscribed to the recovered agent", "after", ex.reregisteredIn, "timeout", a.s.cfg.ExecutorReregistrationTimeout)
	}
	if ex.state == execRegistering {
		if ex.regTimer != nil {
			ex.regTimer.Stop()
		}
		ex.state = execRunning
	}
	log.Info("executor subscribed", "unacknowledged_tasks", len(sub.UnacknowledgedTasks), "unacknowledged_updates", len(sub.UnacknowledgedUpdates))
	fi := a.frameworks[ex.fwID].info
	fi.ID = &mesos.FrameworkID{Value: ex.fwID}
	cid := mesos.ContainerID{Value: ex.containerID}
	stream.send(a.s.log, &executor.Event{Type: executor.Event_SUBSCRIBED, Subscribed: &executor.Event_Subscribed{
		ExecutorInfo: ex.info, FrameworkInfo: fi, AgentInfo: a.agentInfo(), ContainerID: &cid,
	}})
	for _, u := range sub.UnacknowledgedUpdates {
		st := u.Status
		if !validUUID(st.UUID) || st.GetState() == mesos.TASK_STAGING || st.State == nil {
			continue
		}
		st.Source = mesos.SOURCE_EXECUTOR.Enum()
		st.ExecutorID = &mesos.ExecutorID{Value: ex.info.ExecutorID.Value}
		a.statusUpdate(ex.fwID, st, ex)
	}
	unacked := map[string]bool{}
	for _, t := range sub.UnacknowledgedTasks {
		unacked[t.TaskID.Value] = true
	}
	fw := a.s.frameworks[ex.fwID]
	for _, t := range ex.tasks() {
		if !t.queued && t.state == mesos.TASK_STAGING && !unacked[t.info.TaskID.Value] {
			state := mesos.TASK_LOST
			if fw != nil && fw.partitionAware() {
				state = mesos.TASK_DROPPED
			}
			a.statusUpdate(ex.fwID, a.agentStatus(t.info.TaskID.Value, t.execID, state, mesos.REASON_AGENT_RESTARTED, "Task launched but unknown to the re-subscribed executor"), nil)
		}
	}
	batches := ex.batches
	ex.batches = nil
	for _, b := range batches {
		ex.deliver(b)
	}
	return stream
}

func (ex *executorProc) sendAck(st mesos.TaskStatus) {
	if ex.stream != nil {
		ex.stream.send(ex.a.s.log, &executor.Event{Type: executor.Event_ACKNOWLEDGED, Acknowledged: &executor.Event_Acknowledged{TaskID: st.TaskID, UUID: st.UUID}})
	}
}

func (ex *executorProc) kill(t *atask, policy *mesos.KillPolicy) {
	if ex.kind == kindCustom {
		if ex.stream == nil {
			ex.log("cannot deliver KILL: executor not connected", "task_id", t.info.TaskID.Value)
			return
		}
		ex.stream.send(ex.a.s.log, &executor.Event{Type: executor.Event_KILL, Kill: &executor.Event_Kill{TaskID: t.info.TaskID, KillPolicy: policy}})
		return
	}
	ex.killBuiltinTask(t, policy)
}

// shutdown sends SHUTDOWN and destroys the container after the grace period.
func (ex *executorProc) shutdown() {
	if ex.state == execTerminated || ex.state == execTerminating {
		return
	}
	prev := ex.state
	ex.state = execTerminating
	ex.log("shutting down executor", "grace_period", ex.gracePeriod())
	if ex.kind != kindCustom {
		for _, t := range ex.tasks() {
			if !isTerminal(t.state) {
				ex.killBuiltinTask(t, nil)
			}
		}
		ex.checkBuiltinDone()
		return
	}
	if prev == execRegistering || ex.stream == nil {
		ex.killGroup()
		return
	}
	ex.stream.send(ex.a.s.log, &executor.Event{Type: executor.Event_SHUTDOWN})
	s := ex.a.s
	ex.graceTimer = time.AfterFunc(ex.gracePeriod(), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if ex.state != execTerminated {
			ex.log("shutdown grace period elapsed; killing the process group")
			ex.killGroup()
		}
	})
}

// executorTerminated is the container of an executor gone: its unfinished
// tasks fail, and the framework hears of it (FAILURE) unless it was a
// command executor.
func (a *agent) executorTerminated(ex *executorProc, status *int32) {
	af := a.frameworks[ex.fwID]
	if af == nil || af.executors[ex.info.ExecutorID.Value] != ex {
		ex.state = execTerminated
		ex.killGroup()
		return
	}
	ex.killGroup()
	ex.state = execTerminated
	ex.stopTimers()
	if ex.stream != nil {
		ex.stream.close()
		ex.stream = nil
	}
	delete(af.executors, ex.info.ExecutorID.Value)
	reason := mesos.REASON_EXECUTOR_TERMINATED
	if ex.exitReason != nil {
		reason = *ex.exitReason
	}
	msg := ex.exitMsg
	if msg == "" {
		msg = "Executor terminated"
	}
	if !af.removed {
		for _, t := range ex.tasks() {
			if !isTerminal(t.state) {
				t.queued = false
				a.statusUpdate(ex.fwID, a.agentStatus(t.info.TaskID.Value, t.execID, mesos.TASK_FAILED, reason, msg), nil)
			}
		}
		if ex.kind != kindCommand {
			if fw := a.s.frameworks[ex.fwID]; fw != nil && a.s.linkOK(a) {
				a.s.sendFailureLocked(fw, a.id, ex.info.ExecutorID.Value, status)
			}
		}
	}
	if af.removed && len(af.executors) == 0 {
		delete(a.frameworks, ex.fwID)
		return
	}
	a.cleanupFramework(ex.fwID)
}

// --- built-in command and default executors ---

func (ex *executorProc) execStatus(t *atask, state mesos.TaskState, msg string) {
	u := uuid.New()
	st := mesos.TaskStatus{
		TaskID: t.info.TaskID, State: state.Enum(), Source: mesos.SOURCE_EXECUTOR.Enum(),
		ExecutorID: &mesos.ExecutorID{Value: ex.info.ExecutorID.Value}, UUID: u[:], Timestamp: proto.Float64(nowSeconds()),
	}
	if msg != "" {
		st.Message = proto.String(msg)
	}
	ex.a.statusUpdate(ex.fwID, st, nil)
}

func (ex *executorProc) startBuiltinTask(t *atask) {
	s := ex.a.s
	t.queued = false
	ci := proto.Clone(t.info.Command).(*mesos.CommandInfo)
	user := ex.fetchUser(ci)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ferr := fetchURIs(s.ctx, ci.URIs, ex.sandbox, ex.a.fetchCache, user)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || ex.state == execTerminated || isTerminal(t.state) || ex.a.tasks[taskKey{t.fwID, t.info.TaskID.Value}] != t {
			return
		}
		if ex.state == execTerminating {
			ex.execStatus(t, mesos.TASK_KILLED, "Executor shut down before the task started")
			ex.checkBuiltinDone()
			return
		}
		if ferr != nil {
			ex.execStatus(t, mesos.TASK_FAILED, "Failed to fetch URIs: "+ferr.Error())
			ex.checkBuiltinDone()
			return
		}
		env := ex.environment(ci, "MESOS_TASK_ID="+t.info.TaskID.Value)
		cmd, files, err := buildCommand(ci, ex.sandbox, env)
		if err == nil {
			err = cmd.Start()
		}
		for _, f := range files {
			_ = f.Close()
		}
		if err != nil {
			ex.execStatus(t, mesos.TASK_FAILED, "Failed to launch command: "+err.Error())
			ex.checkBuiltinDone()
			return
		}
		p := &taskProc{pid: cmd.Process.Pid}
		ex.procs[t.info.TaskID.Value] = p
		ex.execStatus(t, mesos.TASK_STARTING, "")
		ex.execStatus(t, mesos.TASK_RUNNING, "")
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			_ = cmd.Wait()
			ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
			s.mu.Lock()
			defer s.mu.Unlock()
			ex.builtinExited(t, p, ws)
		}()
	}()
}

func (ex *executorProc) builtinExited(t *atask, p *taskProc, ws syscall.WaitStatus) {
	if p.timer != nil {
		p.timer.Stop()
	}
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	delete(ex.procs, t.info.TaskID.Value)
	if ex.state == execTerminated || ex.a.tasks[taskKey{t.fwID, t.info.TaskID.Value}] != t {
		return
	}
	if !isTerminal(t.state) {
		var state mesos.TaskState
		var msg string
		switch {
		case ws.Signaled():
			msg = "Command terminated with signal " + ws.Signal().String()
		default:
			msg = fmt.Sprintf("Command exited with status %d", ws.ExitStatus())
		}
		switch {
		case p.killing:
			state = mesos.TASK_KILLED
		case ws.Exited() && ws.ExitStatus() == 0:
			state = mesos.TASK_FINISHED
		default:
			state = mesos.TASK_FAILED
		}
		ex.execStatus(t, state, msg)
		if state == mesos.TASK_FAILED && ex.kind == kindDefault {
			for _, o := range ex.tasks() {
				if o != t && !isTerminal(o.state) {
					ex.killBuiltinTask(o, nil)
				}
			}
		}
	}
	ex.checkBuiltinDone()
}

func (ex *executorProc) killBuiltinTask(t *atask, policy *mesos.KillPolicy) {
	p := ex.procs[t.info.TaskID.Value]
	if p == nil {
		if !isTerminal(t.state) {
			ex.execStatus(t, mesos.TASK_KILLED, "Task killed before it started")
		}
		if ex.state != execTerminating {
			ex.checkBuiltinDone()
		}
		return
	}
	if p.killing {
		return
	}
	p.killing = true
	if fw := ex.a.s.frameworks[ex.fwID]; fw != nil && fw.hasCap(mesos.FrameworkInfo_Capability_TASK_KILLING_STATE) {
		ex.execStatus(t, mesos.TASK_KILLING, "")
	}
	grace := defaultKillGracePeriod
	if kp := t.info.KillPolicy; kp != nil && kp.GracePeriod != nil {
		grace = time.Duration(kp.GracePeriod.Nanoseconds)
	}
	if policy != nil && policy.GracePeriod != nil {
		grace = time.Duration(policy.GracePeriod.Nanoseconds)
	}
	_ = syscall.Kill(-p.pid, syscall.SIGTERM)
	pid := p.pid
	p.timer = time.AfterFunc(grace, func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
}

func (ex *executorProc) checkBuiltinDone() {
	if ex.kind == kindCustom || len(ex.procs) > 0 || ex.state == execTerminated {
		return
	}
	for _, t := range ex.tasks() {
		if !isTerminal(t.state) {
			return
		}
	}
	zero := int32(0)
	ex.a.executorTerminated(ex, &zero)
}
