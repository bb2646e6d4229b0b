package cmdutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cassmesos/cassmesos/internal/retry"
)

// Every mutating command sends a client request ID: the daemon records it with what the request
// started, so sending the request again with the same ID answers with the original result instead
// of starting it twice. That makes a transport failure (the daemon unreachable, restarting, or a
// leader change under way; the answer lost) safe to retry, which Mutate does.

// RequestRetry is how Mutate retries a mutating request after a transport failure (tests
// shorten it).
var RequestRetry = retry.Backoff{Initial: 250 * time.Millisecond, Max: 2 * time.Second, Jitter: 0.2, Attempts: 4}

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// NewRequestID returns a fresh random request ID ("cli-" and 24 hex digits from crypto/rand).
func NewRequestID() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "cli-" + hex.EncodeToString(b)
}

// AddRequestIDFlag adds --request-id to a mutating command.
func AddRequestIDFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "request-id", "", "Client request ID (at most 64 of [A-Za-z0-9._-]); running the command again with the same ID returns the original result instead of acting twice (default: a fresh random ID)")
}

// Mutate sends one mutating request: call gets a context bounded by request (one --timeout per
// attempt) and the request ID (id, or a fresh one when id is empty). A transport failure
// (Unavailable, DeadlineExceeded, or no answer at all) is retried with the same ID, up to
// RequestRetry's attempts; any other error or answer ends it. A malformed id is a FlagError.
func Mutate(ctx context.Context, request func(context.Context) (context.Context, context.CancelFunc), id string, call func(ctx context.Context, requestID string) error) error {
	if id == "" {
		id = NewRequestID()
	} else if !requestIDRE.MatchString(id) {
		return FlagErrorf("--request-id %q: at most 64 characters of letters, digits, '.', '_' and '-'", id)
	}
	var last error
	err := retry.Do(ctx, RequestRetry, func(ctx context.Context, _ int) error {
		rctx, cancel := request(ctx)
		defer cancel()
		last = call(rctx, id)
		if last != nil && !transportFailure(last) {
			return retry.Permanent(last)
		}
		return last
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, retry.ErrExhausted):
		return last
	case ctx.Err() != nil && last != nil && !errors.Is(last, ctx.Err()):
		return fmt.Errorf("%w (the last attempt failed: %v)", ctx.Err(), last)
	}
	return err
}

// transportFailure reports whether err says the request may not have reached the daemon or its
// answer was lost: worth sending again under the same request ID.
func transportFailure(err error) bool {
	var u *UnreachableError
	if errors.As(err, &u) {
		return true
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}
