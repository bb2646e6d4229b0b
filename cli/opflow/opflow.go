package opflow

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/cli/printers"
	"github.com/cassmesos/cassmesos/cli/wait"
	pb "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Common are the options every operation-starting verb shares.
type Common struct {
	IO         *iostreams.IOStreams
	Operations func() (pb.OperationServiceClient, error)
	Now        func() time.Time
	Output     string        // -o
	Timeout    time.Duration // --timeout
	Wait       bool          // --wait
	// Retry is the wait engine's pause between reconnects (0: its default).
	Retry time.Duration
	// Request bounds one request (the Factory's RequestContext).
	Request func(context.Context) (context.Context, context.CancelFunc)
	// RequestID is --request-id ("": a fresh random ID per command run).
	RequestID string
	// Confirm, if set, is called by Follow after the operation succeeded and before success is
	// reported; its error fails the command (ring delete checks the ring is gone).
	Confirm func(ctx context.Context) error
}

// Mutate sends the command's mutating request under its request ID, retrying transport failures
// with the same ID (cmdutil.Mutate).
func (c Common) Mutate(ctx context.Context, call func(ctx context.Context, requestID string) error) error {
	return cmdutil.Mutate(ctx, c.Request, c.RequestID, call)
}

// CommonFrom fills Common from the Factory; call it when the command runs (after flag parsing).
func CommonFrom(f *cmdutil.Factory, waitFlag bool) Common {
	return Common{
		IO:         f.IOStreams,
		Operations: f.Operations,
		Now:        f.Now,
		Output:     f.Globals.Output,
		Timeout:    f.Globals.Timeout,
		Wait:       waitFlag,
		Request:    f.RequestContext,
	}
}

// Finish shows an operation the server just started. Without --wait: the response (-o json|yaml),
// operation/ID (-o name), or a line saying how to follow it. With --wait it follows the operation
// through the wait engine and prints the final state; the operation's end decides the error.
func (c Common) Finish(ctx context.Context, op *pb.Operation, resp proto.Message) error {
	out := c.IO.Out
	if !c.Wait {
		switch c.Output {
		case cmdutil.OutputJSON, cmdutil.OutputYAML:
			return printers.PrintMessage(out, c.Output, resp)
		case cmdutil.OutputName:
			return printers.PrintNames(out, "operation", op.GetId())
		}
		_, err := fmt.Fprintf(out, "operation %s (%s %s) started; follow it with `cassmesos op watch %s`\n",
			op.GetId(), printers.OperationKind(op.GetKind()), op.GetRing(), op.GetId())
		return err
	}
	return c.Follow(ctx, op.GetId())
}

// Follow waits for the operation id to end and prints its final state.
func (c Common) Follow(ctx context.Context, id string) error {
	ops, err := c.Operations()
	if err != nil {
		return err
	}
	final, werr := wait.Wait(ctx, wait.Options{
		Client:  ops,
		ID:      id,
		Timeout: c.Timeout,
		Mode:    wait.ModeFor(c.Output, c.IO.LiveProgress()),
		Out:     c.IO.ErrOut,
		Now:     c.Now,
		Retry:   c.Retry,
	})
	if werr == nil && c.Confirm != nil {
		werr = c.Confirm(ctx)
	}
	if final != nil {
		var perr error
		switch c.Output {
		case cmdutil.OutputJSON, cmdutil.OutputYAML:
			perr = printers.PrintMessage(c.IO.Out, c.Output, final)
		case cmdutil.OutputName:
			perr = printers.PrintNames(c.IO.Out, "operation", id)
		default:
			if werr == nil {
				op := final.GetOperation()
				took := ""
				if op.GetStartTime() != nil && op.GetEndTime() != nil {
					took = " after " + printers.ShortDuration(op.GetEndTime().AsTime().Sub(op.GetStartTime().AsTime()))
				}
				_, perr = fmt.Fprintf(c.IO.Out, "operation %s (%s %s) succeeded%s\n",
					id, printers.OperationKind(op.GetKind()), op.GetRing(), took)
			}
		}
		if werr == nil {
			werr = perr
		}
	}
	return werr
}

// Acknowledge reports a request about an existing operation (cancel, pause, resume): the
// response (-o json|yaml), operation/ID (-o name) or msg; with --wait it follows the operation.
func (c Common) Acknowledge(ctx context.Context, op *pb.Operation, resp proto.Message, msg string) error {
	if c.Wait {
		return c.Follow(ctx, op.GetId())
	}
	switch c.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return printers.PrintMessage(c.IO.Out, c.Output, resp)
	case cmdutil.OutputName:
		return printers.PrintNames(c.IO.Out, "operation", op.GetId())
	}
	_, err := fmt.Fprintln(c.IO.Out, msg)
	return err
}
