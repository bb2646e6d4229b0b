package zktest

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// passwords remembers, for every session established through Dialer, the password the server
// gave it. The ZooKeeper client keeps it private; ExpireSession needs it.
var passwords = struct {
	sync.Mutex
	m map[int64][]byte
}{m: map[int64][]byte{}}

// Dialer is a zk.Dialer (pass it with zk.WithDialer) that records each session's password from
// the server's connect response, so that ExpireSession can end that session later. It changes
// nothing on the wire.
func Dialer(network, address string, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	return &sniffConn{Conn: c}, nil
}

// sniffConn copies the first frame the server sends (the connect response) as it is read.
type sniffConn struct {
	net.Conn
	buf  []byte
	done bool
}

func (c *sniffConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if !c.done && n > 0 {
		c.buf = append(c.buf, p[:n]...)
		if len(c.buf) >= 4 {
			size := int(binary.BigEndian.Uint32(c.buf))
			switch {
			case size > 4096:
				c.done, c.buf = true, nil
			case len(c.buf) >= 4+size:
				recordConnectResponse(c.buf[4 : 4+size])
				c.done, c.buf = true, nil
			}
		}
	}
	return n, err
}

// recordConnectResponse parses protocolVersion int32, timeOut int32, sessionId int64,
// passwd (int32 length + bytes).
func recordConnectResponse(b []byte) {
	if len(b) < 20 {
		return
	}
	session := int64(binary.BigEndian.Uint64(b[8:16]))
	n := int(int32(binary.BigEndian.Uint32(b[16:20])))
	if session == 0 || n < 0 || len(b) < 20+n {
		return
	}
	passwords.Lock()
	passwords.m[session] = append([]byte(nil), b[20:20+n]...)
	passwords.Unlock()
}

func sessionPassword(session int64) ([]byte, bool) {
	passwords.Lock()
	defer passwords.Unlock()
	p, ok := passwords.m[session]
	return p, ok
}

// CloseSession ends a ZooKeeper session from outside its client: it connects to addr with the
// session's ID and password, and closes the session. The server drops the owner's connection and
// deletes its ephemeral znodes; when the owner reconnects it learns that its session has expired.
// The session must have been established through Dialer.
func CloseSession(addr string, session int64) error {
	passwd, ok := sessionPassword(session)
	if !ok {
		return fmt.Errorf("zktest: session 0x%x was not established through zktest.Dialer; connect with zk.WithDialer(zktest.Dialer)", session)
	}
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return fmt.Errorf("zktest: close session 0x%x: %w", session, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))

	// ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly.
	req := binary.BigEndian.AppendUint32(nil, 0)
	req = binary.BigEndian.AppendUint64(req, 0)
	req = binary.BigEndian.AppendUint32(req, 30_000)
	req = binary.BigEndian.AppendUint64(req, uint64(session))
	req = binary.BigEndian.AppendUint32(req, uint32(len(passwd)))
	req = append(req, passwd...)
	req = append(req, 0)
	if err := writeFrame(c, req); err != nil {
		return fmt.Errorf("zktest: close session 0x%x: %w", session, err)
	}
	resp, err := readFrame(c)
	if err != nil {
		return fmt.Errorf("zktest: close session 0x%x: connect: %w", session, err)
	}
	if len(resp) < 16 {
		return fmt.Errorf("zktest: close session 0x%x: short connect response", session)
	}
	if got := int64(binary.BigEndian.Uint64(resp[8:16])); got != session {
		return fmt.Errorf("zktest: close session 0x%x: the server no longer knows it (already expired)", session)
	}
	// RequestHeader{xid: 1, type: closeSession (-11)}.
	closeReq := binary.BigEndian.AppendUint32(nil, 1)
	closeReq = binary.BigEndian.AppendUint32(closeReq, uint32(0xFFFFFFF5))
	if err := writeFrame(c, closeReq); err != nil {
		return fmt.Errorf("zktest: close session 0x%x: %w", session, err)
	}
	// ReplyHeader{xid, zxid, err}; the server may also just hang up once the session is closed.
	if resp, err := readFrame(c); err == nil && len(resp) >= 16 {
		if code := int32(binary.BigEndian.Uint32(resp[12:16])); code != 0 {
			return fmt.Errorf("zktest: close session 0x%x: server error %d", session, code)
		}
	}
	return nil
}

func writeFrame(w io.Writer, b []byte) error {
	_, err := w.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...))
	return err
}

func readFrame(r io.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n > 1<<20 {
		return nil, fmt.Errorf("frame of %d bytes", n)
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return b, err
}
