package plan

import (
	"slices"
	"time"
)

func (c Config) withDefaults() Config {
	if c.FrameworkName == "" {
		c.FrameworkName = "cassmesos"
	}
	if c.Role == "" && len(c.Roles) > 0 {
		c.Role = c.Roles[0]
	}
	if c.Role == "" {
		c.Role = "cassmesos"
	}
	if !slices.Contains(c.Roles, c.Role) {
		c.Roles = append([]string{c.Role}, c.Roles...)
	} else {
		c.Roles = slices.Clone(c.Roles)
	}
	if c.ExecutorCommand == "" {
		c.ExecutorCommand = "./cassmesos-executor"
	}
	if c.ExecutorCPUs == 0 {
		c.ExecutorCPUs = 0.1
	}
	if c.ExecutorMemMB == 0 {
		c.ExecutorMemMB = 64
	}
	if c.CassandraMirror == "" {
		c.CassandraMirror = "https://archive.apache.org/dist/cassandra"
	}
	if c.KillGrace == 0 {
		c.KillGrace = 2 * time.Minute
	}
	if c.RestartBackoffMin == 0 {
		c.RestartBackoffMin = 10 * time.Second
	}
	if c.RestartBackoffMax == 0 {
		c.RestartBackoffMax = 5 * time.Minute
	}
	if c.MaxStartAttempts == 0 {
		c.MaxStartAttempts = 5
	}
	if c.RefuseUnneeded == 0 {
		c.RefuseUnneeded = 5 * time.Second
	}
	if c.RefuseIdle == 0 {
		c.RefuseIdle = 5 * time.Minute
	}
	if c.RelayTimeout == 0 {
		c.RelayTimeout = 30 * time.Minute
	}
	if c.VolumePath == "" {
		c.VolumePath = "data"
	}
	return c
}

// backoff is the wait before attempt n+1 after n consecutive failures (n >= 1).
func (c Config) backoff(n int32) time.Duration {
	if n <= 0 {
		return 0
	}
	d := c.RestartBackoffMin
	for i := int32(1); i < n && d < c.RestartBackoffMax; i++ {
		d *= 2
	}
	return min(d, c.RestartBackoffMax)
}
