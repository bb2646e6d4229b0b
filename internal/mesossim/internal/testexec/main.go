package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gogo/protobuf/proto"
	"github.com/google/uuid"
	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/encoding/codecs"
	"github.com/mesos/mesos-go/api/v1/lib/executor"
	"github.com/mesos/mesos-go/api/v1/lib/executor/calls"
	"github.com/mesos/mesos-go/api/v1/lib/executor/config"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli/httpexec"
)

// Action is what a task does, from TaskInfo.data.
type Action struct {
	// Do is "run" (until killed), "finish", "fail" or "exit" (the executor
	// process exits with status 3 after reporting RUNNING).
	Do string `json:"do"`
	// Write writes Content to this path relative to the sandbox.
	Write   string `json:"write,omitempty"`
	Content string `json:"content,omitempty"`
	// Read reports the content of this sandbox-relative path.
	Read string `json:"read,omitempty"`
	// Listen binds a TCP port on the agent's hostname and reports it.
	Listen bool `json:"listen,omitempty"`
}

// Report is the data of the RUNNING update.
type Report struct {
	Env      map[string]string `json:"env"`
	Read     string            `json:"read,omitempty"`
	ReadErr  string            `json:"read_err,omitempty"`
	Listen   string            `json:"listen,omitempty"`
	Hostname string            `json:"hostname"`
	Cwd      string            `json:"cwd"`
}

type state struct {
	mu       sync.Mutex
	cfg      config.Config
	send     calls.Sender
	agent    mesos.AgentInfo
	tasks    map[string]mesos.TaskInfo       // launched, not terminal
	unTasks  map[string]mesos.TaskInfo       // not yet acknowledged
	unUpdate map[string]executor.Call_Update // by uuid
	quit     bool
	lns      []net.Listener
}

func main() {
	log.SetPrefix("testexec: ")
	cfg, err := config.FromEnv()
	if err != nil {
		log.Fatalf("configuration: %v", err)
	}
	os.Exit(run(cfg))
}

func run(cfg config.Config) int {
	codec := codecs.ByMediaType[codecs.MediaTypeProtobuf]
	if os.Getenv("TESTEXEC_CODEC") == "json" {
		codec = codecs.ByMediaType[codecs.MediaTypeJSON]
	}
	endpoint := url.URL{Scheme: "http", Host: cfg.AgentEndpoint, Path: "/api/v1/executor"}
	cli := httpcli.New(httpcli.Endpoint(endpoint.String()), httpcli.Codec(codec), httpcli.Do(httpcli.With(httpcli.Timeout(10*time.Second))))
	opts := executor.CallOptions{calls.Framework(cfg.FrameworkID), calls.Executor(cfg.ExecutorID)}
	st := &state{
		cfg:      cfg,
		send:     calls.SenderWith(httpexec.NewSender(cli.Send), opts...),
		tasks:    map[string]mesos.TaskInfo{},
		unTasks:  map[string]mesos.TaskInfo{},
		unUpdate: map[string]executor.Call_Update{},
	}
	subscriber := calls.SenderWith(httpexec.NewSender(cli.Send, httpcli.Close(true)), opts...)
	disconnected := time.Now()
	for {
		st.mu.Lock()
		var ts []mesos.TaskInfo
		for _, t := range st.unTasks {
			ts = append(ts, t)
		}
		var us []executor.Call_Update
		for _, u := range st.unUpdate {
			us = append(us, u)
		}
		st.mu.Unlock()
		resp, err := subscriber.Send(context.Background(), calls.NonStreaming(calls.Subscribe(ts, us)))
		if err == nil {
			err = st.loop(resp)
			resp.Close()
			disconnected = time.Now()
		}
		log.Printf("disconnected: %v", err)
		st.mu.Lock()
		quit := st.quit
		st.mu.Unlock()
		if quit {
			return 0
		}
		if !cfg.Checkpoint {
			return 0
		}
		if time.Since(disconnected) > cfg.RecoveryTimeout {
			return 1
		}
		time.Sleep(cfg.SubscriptionBackoffMax / 2)
	}
}

func (st *state) loop(resp mesos.Response) error {
	for {
		var e executor.Event
		if err := resp.Decode(&e); err != nil {
			if errors.Is(err, io.EOF) {
				return io.EOF
			}
			return err
		}
		if err := st.handle(&e); err != nil {
			return err
		}
		st.mu.Lock()
		quit := st.quit
		st.mu.Unlock()
		if quit {
			return nil
		}
	}
}

func (st *state) handle(e *executor.Event) error {
	switch e.Type {
	case executor.Event_SUBSCRIBED:
		st.mu.Lock()
		st.agent = e.Subscribed.AgentInfo
		st.mu.Unlock()
		log.Printf("subscribed on agent %s", e.Subscribed.AgentInfo.Hostname)
	case executor.Event_LAUNCH:
		st.launch(e.Launch.Task)
	case executor.Event_LAUNCH_GROUP:
		for _, t := range e.LaunchGroup.TaskGroup.Tasks {
			st.launch(t)
		}
	case executor.Event_KILL:
		st.finish(e.Kill.TaskID, mesos.TASK_KILLED, nil, "killed")
	case executor.Event_ACKNOWLEDGED:
		st.mu.Lock()
		delete(st.unTasks, e.Acknowledged.TaskID.Value)
		delete(st.unUpdate, string(e.Acknowledged.UUID))
		st.mu.Unlock()
	case executor.Event_MESSAGE:
		_, err := st.send.Send(context.Background(), calls.NonStreaming(calls.Message(append([]byte("echo:"), e.Message.Data...))))
		if err != nil {
			log.Printf("message: %v", err)
		}
	case executor.Event_SHUTDOWN:
		st.mu.Lock()
		ids := make([]string, 0, len(st.tasks))
		for id := range st.tasks {
			ids = append(ids, id)
		}
		st.mu.Unlock()
		sort.Strings(ids)
		for _, id := range ids {
			st.finish(mesos.TaskID{Value: id}, mesos.TASK_KILLED, nil, "shutdown")
		}
		st.mu.Lock()
		st.quit = true
		st.mu.Unlock()
	case executor.Event_ERROR:
		return fmt.Errorf("error event: %s", e.Error.Message)
	default:
		log.Printf("ignoring event %s", e.Type)
	}
	return nil
}

func (st *state) launch(t mesos.TaskInfo) {
	st.mu.Lock()
	st.tasks[t.TaskID.Value] = t
	st.unTasks[t.TaskID.Value] = t
	agent := st.agent
	st.mu.Unlock()
	var a Action
	if len(t.Data) > 0 {
		if err := json.Unmarshal(t.Data, &a); err != nil {
			st.finish(t.TaskID, mesos.TASK_FAILED, nil, "bad task data: "+err.Error())
			return
		}
	}
	sandbox := st.cfg.Sandbox
	cwd, _ := os.Getwd()
	rep := Report{Env: map[string]string{}, Hostname: agent.Hostname, Cwd: cwd}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && (strings.HasPrefix(k, "MESOS_") || strings.HasPrefix(k, "LIBPROCESS_") || strings.HasPrefix(k, "TESTEXEC_")) {
			rep.Env[k] = v
		}
	}
	if a.Write != "" {
		p := filepath.Join(sandbox, a.Write)
		if err := os.WriteFile(p, []byte(a.Content), 0o644); err != nil {
			st.finish(t.TaskID, mesos.TASK_FAILED, nil, "write: "+err.Error())
			return
		}
	}
	if a.Read != "" {
		b, err := os.ReadFile(filepath.Join(sandbox, a.Read))
		rep.Read = string(b)
		if err != nil {
			rep.ReadErr = err.Error()
		}
	}
	if a.Listen {
		ln, err := net.Listen("tcp", net.JoinHostPort(agent.Hostname, "0"))
		if err != nil {
			st.finish(t.TaskID, mesos.TASK_FAILED, nil, "listen: "+err.Error())
			return
		}
		st.mu.Lock()
		st.lns = append(st.lns, ln)
		st.mu.Unlock()
		rep.Listen = ln.Addr().String()
	}
	data, _ := json.Marshal(rep)
	st.update(t.TaskID, mesos.TASK_RUNNING, data, "running")
	switch a.Do {
	case "finish":
		st.finish(t.TaskID, mesos.TASK_FINISHED, nil, "finished")
	case "fail":
		st.finish(t.TaskID, mesos.TASK_FAILED, nil, "failed on purpose")
	case "exit":
		log.Printf("exiting on purpose")
		os.Exit(3)
	}
}

func (st *state) finish(id mesos.TaskID, s mesos.TaskState, data []byte, msg string) {
	st.mu.Lock()
	_, ok := st.tasks[id.Value]
	delete(st.tasks, id.Value)
	st.mu.Unlock()
	if !ok && s == mesos.TASK_KILLED {
		// KILL of a task this executor does not run: report it killed anyway.
		log.Printf("kill of unknown task %s", id.Value)
	}
	st.update(id, s, data, msg)
}

func (st *state) update(id mesos.TaskID, s mesos.TaskState, data []byte, msg string) {
	u := uuid.New()
	status := mesos.TaskStatus{
		TaskID:     id,
		State:      s.Enum(),
		Source:     mesos.SOURCE_EXECUTOR.Enum(),
		ExecutorID: &mesos.ExecutorID{Value: st.cfg.ExecutorID},
		UUID:       u[:],
		Data:       data,
		Message:    &msg,
	}
	if s == mesos.TASK_RUNNING {
		// Like the product's executor: health and labels on its own updates, which a master's
		// reconciliation answer does not repeat (the labels).
		status.Healthy = proto.Bool(true)
		status.Labels = &mesos.Labels{Labels: []mesos.Label{{Key: "mode", Value: proto.String("NORMAL")}, {Key: "host_id", Value: proto.String("host-" + id.Value)}}}
	}
	call := calls.Update(status)
	st.mu.Lock()
	st.unUpdate[string(u[:])] = *call.Update
	st.mu.Unlock()
	if _, err := st.send.Send(context.Background(), calls.NonStreaming(call)); err != nil {
		log.Printf("update %s %s: %v", id.Value, s, err)
	}
}
