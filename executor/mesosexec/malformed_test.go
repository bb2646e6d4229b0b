package mesosexec

import (
	"context"
	"log/slog"
	"testing"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/executor"
)

// Events the agent could send without the body their type needs (or without the IDs in it):
// each is logged and ignored, never a panic, a launch, a status update or a lost connection.
func TestMalformedEventsAreIgnored(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   *executor.Event
	}{
		{"SUBSCRIBED without body", &executor.Event{Type: executor.Event_SUBSCRIBED}},
		{"LAUNCH without body", &executor.Event{Type: executor.Event_LAUNCH}},
		{"LAUNCH without task ID", &executor.Event{Type: executor.Event_LAUNCH, Launch: &executor.Event_Launch{}}},
		{"LAUNCH_GROUP without body", &executor.Event{Type: executor.Event_LAUNCH_GROUP}},
		{"LAUNCH_GROUP without tasks", &executor.Event{Type: executor.Event_LAUNCH_GROUP, LaunchGroup: &executor.Event_LaunchGroup{}}},
		{"LAUNCH_GROUP task without ID", &executor.Event{Type: executor.Event_LAUNCH_GROUP, LaunchGroup: &executor.Event_LaunchGroup{
			TaskGroup: mesos.TaskGroupInfo{Tasks: []mesos.TaskInfo{{Name: "x"}}}}}},
		{"KILL without body", &executor.Event{Type: executor.Event_KILL}},
		{"KILL without task ID", &executor.Event{Type: executor.Event_KILL, Kill: &executor.Event_Kill{}}},
		{"ACKNOWLEDGED without body", &executor.Event{Type: executor.Event_ACKNOWLEDGED}},
		{"ACKNOWLEDGED without UUID", &executor.Event{Type: executor.Event_ACKNOWLEDGED, Acknowledged: &executor.Event_Acknowledged{TaskID: mesos.TaskID{Value: "t1"}}}},
		{"MESSAGE without body", &executor.Event{Type: executor.Event_MESSAGE}},
		{"ERROR without body", &executor.Event{Type: executor.Event_ERROR}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			launches := 0
			e := &exec{
				cfg: Config{Launch: func(context.Context, mesos.TaskInfo, func(Status)) (Task, error) {
					launches++
					return &fakeTask{}, nil
				}},
				log:        slog.New(slog.DiscardHandler),
				signal:     make(chan struct{}, 1),
				executorID: mesos.ExecutorID{Value: "exec-1"},
				unackTasks: map[string]mesos.TaskInfo{},
			}
			if err := e.handle(context.Background(), tc.ev); err != nil {
				t.Errorf("handle: %v, want the event ignored", err)
			}
			if launches != 0 || e.taskInfo != nil || len(e.unacked) != 0 || len(e.unackTasks) != 0 || e.executorID.Value != "exec-1" {
				t.Errorf("acted on it: %d launches, task %v, %d updates, %d unacknowledged tasks, executor %q",
					launches, e.taskInfo, len(e.unacked), len(e.unackTasks), e.executorID.Value)
			}
		})
	}
}
