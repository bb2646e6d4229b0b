// Command prodexec is a minimal executor built on the product's executor adapter
// (executor/mesosexec), so the simulator's tests can check how cassmesos-executor's Mesos side
// behaves against the simulated agent (re-subscription after an agent restart). Its task reports
// TASK_RUNNING and runs until killed.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	mesos "github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/executor/config"

	"github.com/cassmesos/cassmesos/executor/mesosexec"
)

type task struct{}

func (task) Kill(context.Context, time.Duration) mesosexec.Status {
	return mesosexec.Status{State: mesos.TASK_KILLED, Message: "killed"}
}

func main() {
	env, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "prodexec:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	err = mesosexec.Run(ctx, mesosexec.Config{
		Env: env,
		Launch: func(_ context.Context, _ mesos.TaskInfo, report func(mesosexec.Status)) (mesosexec.Task, error) {
			report(mesosexec.Status{State: mesos.TASK_RUNNING})
			return task{}, nil
		},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "prodexec:", err)
		os.Exit(1)
	}
}
