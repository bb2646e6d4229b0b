package executor

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mesos/mesos-go/api/v1/lib/executor/config"

	"github.com/cassmesos/cassmesos/executor/mesosexec"
	"github.com/cassmesos/cassmesos/internal/version"
)

// Environment variables cassmesos-executor reads besides the agent's MESOS_* ones.
const (
	EnvHealthInterval = "CASSMESOS_EXECUTOR_HEALTH_INTERVAL" // Go duration, default 5s
	// EnvHealthTransitionInterval is the probe interval while Cassandra is not NORMAL.
	EnvHealthTransitionInterval = "CASSMESOS_EXECUTOR_HEALTH_TRANSITION_INTERVAL" // Go duration, default 200ms
	EnvDrainTimeout             = "CASSMESOS_EXECUTOR_DRAIN_TIMEOUT"              // Go duration, default 2m
	EnvKillGrace                = "CASSMESOS_EXECUTOR_KILL_GRACE"                 // Go duration, default 2m
	EnvLogLevel                 = "CASSMESOS_EXECUTOR_LOG_LEVEL"                  // debug, info (default), warn, error
)

// Main runs cassmesos-executor and returns its exit code: 0 when the task ended and its terminal
// update was delivered, 1 when the agent was lost, 2 for a bad environment.
func Main() int {
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "version") {
		fmt.Println("cassmesos-executor", version.Version)
		return 0
	}
	level := slog.LevelInfo
	if err := level.UnmarshalText([]byte(strings.ToUpper(os.Getenv(EnvLogLevel)))); err != nil && os.Getenv(EnvLogLevel) != "" {
		fmt.Fprintf(os.Stderr, "cassmesos-executor: %s=%q: %v\n", EnvLogLevel, os.Getenv(EnvLogLevel), err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	env, err := config.FromEnv()
	if err != nil {
		fmt.Fprintf(os.Stderr, "cassmesos-executor: must run under a Mesos agent: %v\n", err)
		return 2
	}
	opts := Options{Sandbox: env.Sandbox, Logger: log}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{EnvHealthInterval, &opts.HealthInterval}, {EnvHealthTransitionInterval, &opts.HealthTransitionInterval}, {EnvDrainTimeout, &opts.DrainTimeout}, {EnvKillGrace, &opts.DefaultKillGrace}} {
		if v := os.Getenv(d.name); v != "" {
			if *d.dst, err = time.ParseDuration(v); err != nil || *d.dst <= 0 {
				fmt.Fprintf(os.Stderr, "cassmesos-executor: %s=%q: want a positive Go duration such as 5s\n", d.name, v)
				return 2
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log.Info("cassmesos-executor starting", "version", version.Version, "executor_id", env.ExecutorID,
		"agent", env.AgentEndpoint, "checkpoint", env.Checkpoint)
	err = mesosexec.Run(ctx, mesosexec.Config{Env: env, Launch: Launch(opts), Logger: log,
		AckWait: min(max(env.ExecutorShutdownGracePeriod, 5*time.Second), 30*time.Second)})
	if err != nil {
		log.Error("cassmesos-executor exiting", "err", err)
		return 1
	}
	return 0
}
