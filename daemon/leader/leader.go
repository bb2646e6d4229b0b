package leader

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/cassmesos/cassmesos/daemon/server"
	"github.com/cassmesos/cassmesos/internal/retry"
	"github.com/cassmesos/cassmesos/zkstate"
)

// Term runs while this daemon leads. ctx ends when leadership is lost or the daemon stops. It
// returns nil (or ctx.Err()) to campaign again, or an error wrapped with Fatal to stop the daemon.
type Term func(ctx context.Context, lead *zkstate.Leadership, setBackend func(server.Backend)) error

// Fatal marks a term error that must stop the daemon instead of re-campaigning.
type Fatal struct{ Err error }

func (f *Fatal) Error() string { return f.Err.Error() }
func (f *Fatal) Unwrap() error { return f.Err }

// Leader campaigns and tracks leadership. It implements server.Leadership.
type Leader struct {
	Store *zkstate.Store
	// Address is this daemon's advertised gRPC address (written into its election znode).
	Address string
	// Refresh is how often a standby re-reads the leader's address (default 2s).
	Refresh time.Duration
	Logger  *slog.Logger

	mu      sync.Mutex
	backend server.Backend
	leader  string
}

// Backend returns the running engine while leading, else nil.
func (l *Leader) Backend() server.Backend {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.backend
}

// LeaderAddress is the leader's gRPC address as last seen ("" when unknown).
func (l *Leader) LeaderAddress() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leader
}

func (l *Leader) setBackend(b server.Backend) {
	l.mu.Lock()
	l.backend = b
	l.mu.Unlock()
}

// campaignRetry is the pause before campaigning again after a failed campaign.
const campaignRetry = time.Second

// Run campaigns and runs terms until ctx ends or a term fails fatally.
func (l *Leader) Run(ctx context.Context, term Term) error {
	log := l.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "leader")
	refresh := l.Refresh
	if refresh <= 0 {
		refresh = 2 * time.Second
	}
	for {
		// While campaigning, keep the leader's address fresh for standby answers.
		campCtx, stopWatch := context.WithCancel(ctx)
		go l.watchLeader(campCtx, refresh)
		log.Info("campaigning for leadership", "address", l.Address)
		lead, err := l.Store.Campaign(ctx, l.Address)
		stopWatch()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, zkstate.ErrNoAuth) || errors.Is(err, zkstate.ErrInvalid) || errors.Is(err, zkstate.ErrClosed) {
				return err
			}
			log.Warn("campaign failed; retrying", "err", err)
			if err := retry.Sleep(ctx, campaignRetry); err != nil {
				return err
			}
			continue
		}
		l.mu.Lock()
		l.leader = l.Address
		l.mu.Unlock()
		log.Info("leading", "member", lead.Member())

		termCtx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-lead.Done():
				log.Warn("leadership lost: stopping the Mesos subscription and all writes", "err", lead.Err())
				cancel()
			case <-termCtx.Done():
			}
		}()
		err = term(termCtx, lead, l.setBackend)
		cancel()
		l.setBackend(nil)
		l.mu.Lock()
		l.leader = ""
		l.mu.Unlock()
		var fatal *Fatal
		if errors.As(err, &fatal) {
			_ = lead.Resign(context.Background())
			return fatal.Err
		}
		if ctx.Err() != nil {
			_ = lead.Resign(context.Background())
			return ctx.Err()
		}
		select {
		case <-lead.Done():
		default:
			// The term ended while still leading (e.g. leadership-loss reported by a fenced write
			// before the session noticed): resign so a standby takes over, then campaign again.
			log.Warn("term ended while leading; resigning", "err", err)
			_ = lead.Resign(context.Background())
		}
	}
}

func (l *Leader) watchLeader(ctx context.Context, every time.Duration) {
	for {
		addr, err := l.Store.LeaderAddress(ctx)
		if err != nil {
			addr = ""
		}
		l.mu.Lock()
		if l.backend == nil {
			l.leader = addr
		}
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
