package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

// LeaderMetadataKey is the trailer a standby daemon sets to the leader's gRPC address when it
// answers Unavailable. A google.rpc.ErrorInfo status detail with metadata key "leader" works too.
const LeaderMetadataKey = "cassmesos-leader"

// DialFunc opens a client connection to a daemon address.
type DialFunc func(addr string) (*grpc.ClientConn, error)

// Conn is the CLI's connection to cassmesosd. It implements grpc.ClientConnInterface, so every
// generated client works over it, and adds what the CLI promises around every call:
//   - a standby daemon's "the leader is at X" answer re-dials the leader once and repeats the call;
//   - with several addresses ("a:7070,b:7070,c:7070", e.g. every daemon of an HA setup), a call
//     the current daemon does not answer (Unavailable without a leader's address: it is down or
//     has no leader yet) is repeated on the next address not tried yet; calls carry request IDs,
//     so a repeated write is the same request;
//   - Unavailable becomes an UnreachableError naming the address and how to change it;
//   - Unimplemented becomes an UnimplementedError naming the method.
type Conn struct {
	dial DialFunc

	mu         sync.Mutex
	addr       string
	untried    []string // further addresses of a comma-separated list, in order
	cc         *grpc.ClientConn
	redirected bool
	answered   bool // some call got an answer from a server
	extra      []*grpc.ClientConn
}

// NewConn returns a connection to addr, dialled with dial (lazily: grpc.NewClient connects on first use).
func NewConn(addr string, dial DialFunc) (*Conn, error) {
	var rest []string
	if strings.Contains(addr, ",") {
		var list []string
		for _, a := range strings.Split(addr, ",") {
			if a = strings.TrimSpace(a); a != "" {
				list = append(list, a)
			}
		}
		if len(list) == 0 {
			return nil, &UnreachableError{Addr: addr, Err: errors.New("no address in the list")}
		}
		addr, rest = list[0], list[1:]
	}
	cc, err := dial(addr)
	var fe *FlagError
	var ce *ConfigError
	if errors.As(err, &fe) || errors.As(err, &ce) {
		return nil, err // bad credentials settings, not an unreachable daemon
	}
	if err != nil {
		return nil, &UnreachableError{Addr: addr, Err: err}
	}
	return &Conn{dial: dial, addr: addr, cc: cc, untried: rest}, nil
}

// next switches to the next untried address of the list, if any. It reports whether it switched.
func (c *Conn) next() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.untried) > 0 {
		addr := c.untried[0]
		c.untried = c.untried[1:]
		cc, err := c.dial(addr)
		if err != nil {
			continue
		}
		c.extra = append(c.extra, c.cc)
		c.cc, c.addr = cc, addr
		return true
	}
	return false
}

// Addr is the address calls currently go to (the leader's after a redirect).
func (c *Conn) Addr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addr
}

// Close closes every connection this Conn opened.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.cc.Close()
	for _, cc := range c.extra {
		_ = cc.Close()
	}
	return err
}

func (c *Conn) current() (*grpc.ClientConn, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cc, c.addr
}

// redirect switches to the leader at addr, once per Conn. It reports whether it switched.
func (c *Conn) redirect(addr string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.redirected || addr == "" || addr == c.addr {
		return false
	}
	c.redirected = true
	cc, err := c.dial(addr)
	if err != nil {
		return false
	}
	c.extra = append(c.extra, c.cc)
	c.cc, c.addr = cc, addr
	return true
}

// Invoke implements grpc.ClientConnInterface.
func (c *Conn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	cc, addr := c.current()
	var trailer metadata.MD
	err := cc.Invoke(ctx, method, args, reply, append(opts, grpc.Trailer(&trailer))...)
	if leader := LeaderFromError(err, trailer); leader != "" && c.redirect(leader) {
		cc, addr = c.current()
		err = cc.Invoke(ctx, method, args, reply, opts...)
	}
	for status.Code(err) == codes.Unavailable && LeaderFromError(err, trailer) == "" && ctx.Err() == nil && c.next() {
		cc, addr = c.current()
		trailer = nil
		err = cc.Invoke(ctx, method, args, reply, append(opts, grpc.Trailer(&trailer))...)
		if leader := LeaderFromError(err, trailer); leader != "" && c.redirect(leader) {
			cc, addr = c.current()
			err = cc.Invoke(ctx, method, args, reply, opts...)
		}
	}
	return c.translate(err, method, addr)
}

// NewStream implements grpc.ClientConnInterface. Server-streaming calls are redirected to the
// leader when the first receive says so.
func (c *Conn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	cc, addr := c.current()
	cs, err := cc.NewStream(ctx, desc, method, opts...)
	if err != nil {
		return nil, c.translate(err, method, addr)
	}
	if desc.ClientStreams {
		return &translatingStream{ClientStream: cs, c: c, method: method, addr: addr}, nil
	}
	return &redirectingStream{translatingStream: translatingStream{ClientStream: cs, c: c, method: method, addr: addr},
		ctx: ctx, desc: desc, opts: opts}, nil
}

func (c *Conn) translate(err error, method, addr string) error {
	if err == nil {
		c.mu.Lock()
		c.answered = true
		c.mu.Unlock()
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.Unavailable:
		return &UnreachableError{Addr: addr, Err: errors.New(transportReason(st.Message()))}
	case codes.Unimplemented:
		if strings.Contains(st.Message(), "unexpected HTTP status code") {
			// Something answered HTTP, but not cassmesosd's gRPC (a proxy, a web server).
			return &UnreachableError{Addr: addr, Err: fmt.Errorf("not a cassmesosd gRPC endpoint (%s)", st.Message())}
		}
		return &UnimplementedError{Addr: addr, Method: strings.TrimPrefix(method, "/"), Err: err}
	case codes.DeadlineExceeded:
		c.mu.Lock()
		answered := c.answered
		c.mu.Unlock()
		if !answered {
			return &UnreachableError{Addr: addr, Err: fmt.Errorf("no answer before the deadline: %s", st.Message())}
		}
	}
	c.mu.Lock()
	c.answered = true
	c.mu.Unlock()
	return err
}

type translatingStream struct {
	grpc.ClientStream
	c      *Conn
	method string
	addr   string
}

func (s *translatingStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	return s.c.translate(err, s.method, s.addr)
}

type redirectingStream struct {
	translatingStream
	ctx      context.Context
	desc     *grpc.StreamDesc
	opts     []grpc.CallOption
	sent     any
	received bool
}

func (s *redirectingStream) SendMsg(m any) error {
	s.sent = m
	return s.ClientStream.SendMsg(m)
}

func (s *redirectingStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil {
		s.received = true
		return nil
	}
	if errors.Is(err, io.EOF) {
		return err
	}
	if !s.received && s.sent != nil {
		if leader := LeaderFromError(err, s.ClientStream.Trailer()); leader != "" && s.c.redirect(leader) {
			cc, addr := s.c.current()
			cs, nerr := cc.NewStream(s.ctx, s.desc, s.method, s.opts...)
			if nerr != nil {
				return s.c.translate(nerr, s.method, addr)
			}
			s.ClientStream, s.addr = cs, addr
			if nerr := cs.SendMsg(s.sent); nerr != nil && !errors.Is(nerr, io.EOF) {
				return s.c.translate(nerr, s.method, addr)
			}
			if nerr := cs.CloseSend(); nerr != nil {
				return s.c.translate(nerr, s.method, addr)
			}
			return s.RecvMsg(m)
		}
	}
	return s.c.translate(err, s.method, s.addr)
}

// LeaderFromError returns the leader's address carried by a standby daemon's Unavailable answer:
// the cassmesos-leader trailer, or a google.rpc.ErrorInfo detail with metadata "leader". Empty
// when err is not such an answer.
func LeaderFromError(err error, trailer metadata.MD) string {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.Unavailable {
		return ""
	}
	if v := trailer.Get(LeaderMetadataKey); len(v) > 0 && v[0] != "" {
		return v[0]
	}
	for _, d := range st.Proto().GetDetails() {
		if !strings.HasSuffix(d.GetTypeUrl(), "/google.rpc.ErrorInfo") {
			continue
		}
		md, err := errorInfoMetadata(d.GetValue())
		if err != nil {
			continue
		}
		if v := md["leader"]; v != "" {
			return v
		}
	}
	return ""
}

// errorInfoMetadata decodes the metadata map (field 3) of a google.rpc.ErrorInfo from its wire
// form, so the CLI needs no dependency on the errdetails package.
func errorInfoMetadata(b []byte) (map[string]string, error) {
	md := map[string]string{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		if num != 3 || typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		entry, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		var key, val string
		for len(entry) > 0 {
			enum, etyp, m := protowire.ConsumeTag(entry)
			if m < 0 {
				return nil, protowire.ParseError(m)
			}
			entry = entry[m:]
			if etyp != protowire.BytesType || (enum != 1 && enum != 2) {
				m = protowire.ConsumeFieldValue(enum, etyp, entry)
				if m < 0 {
					return nil, protowire.ParseError(m)
				}
				entry = entry[m:]
				continue
			}
			v, m := protowire.ConsumeBytes(entry)
			if m < 0 {
				return nil, protowire.ParseError(m)
			}
			entry = entry[m:]
			if enum == 1 {
				key = string(v)
			} else {
				val = string(v)
			}
		}
		md[key] = val
	}
	return md, nil
}

// AppendErrorInfo encodes a google.rpc.ErrorInfo carrying metadata (tests and fakes use it to
// build a standby answer).
func AppendErrorInfo(reason string, md map[string]string) []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, reason)
	for k, v := range md {
		var e []byte
		e = protowire.AppendTag(e, 1, protowire.BytesType)
		e = protowire.AppendString(e, k)
		e = protowire.AppendTag(e, 2, protowire.BytesType)
		e = protowire.AppendString(e, v)
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendBytes(b, e)
	}
	return b
}

// transportReason shortens grpc-go's dial failure text ("connection error: desc = \"transport:
// Error while dialing: dial tcp 127.0.0.1:9090: connect: connection refused\"") to its cause
// ("connection refused"); other messages (a daemon's own Unavailable answer) pass unchanged.
func transportReason(msg string) string {
	const prefix = "connection error: desc = "
	if !strings.HasPrefix(msg, prefix) {
		return msg
	}
	m := strings.Trim(strings.TrimPrefix(msg, prefix), `"`)
	if i := strings.LastIndex(m, ": "); i >= 0 {
		m = m[i+2:]
	}
	return m
}
