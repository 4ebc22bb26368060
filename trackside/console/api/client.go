package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// ErrNotConnected is returned by Do while the trackside is away.
var ErrNotConnected = errors.New("trackside not connected")

// Error is a request the trackside refused; Message says why.
type Error struct {
	Cmd, Message string
	RetryAfter   time.Duration // unlock: locked out for this long
}

func (e *Error) Error() string { return e.Cmd + ": " + e.Message }

// Client is the console's end of the socket. It dials the trackside and
// keeps redialling while Run runs; after a reconnect (the trackside
// restarted) it unlocks the new connection again with the PIN the official
// gave, so the screen carries on where it was. Safe for concurrent use.
type Client struct {
	path string
	log  *slog.Logger

	views chan View // latest only

	mu      sync.Mutex
	conn    net.Conn
	enc     *json.Encoder
	nextID  uint64
	waiting map[uint64]chan Message
	pin     string // the PIN of the unlocked official, in memory only
	who     string
}

// NewClient returns a client for the socket at path. log may be nil.
func NewClient(path string, log *slog.Logger) *Client {
	if log == nil {
		log = slog.Default()
	}
	return &Client{path: path, log: log, views: make(chan View, 1), waiting: make(map[uint64]chan Message)}
}

// Views receives the trackside's views; only the latest waits.
func (c *Client) Views() <-chan View { return c.views }

// Connected reports whether the trackside is connected now.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn != nil
}

// Official is who is unlocked, or "".
func (c *Client) Official() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.who
}

// Run dials and reads until ctx is done, redialling every retry.
func (c *Client) Run(ctx context.Context, retry time.Duration) error {
	if retry <= 0 {
		retry = 200 * time.Millisecond
	}
	for {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "unix", c.path)
		if err == nil {
			c.serve(ctx, conn)
		} else if ctx.Err() == nil {
			c.log.Debug("console socket dial", "path", c.path, "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retry):
		}
	}
}

func (c *Client) serve(ctx context.Context, conn net.Conn) {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c.mu.Lock()
	c.conn, c.enc = conn, json.NewEncoder(conn)
	// Unlock the new connection again before any other request can be
	// written on it: the trackside runs a connection's requests in order,
	// so a tap right after a reconnect already acts as the official.
	var unlocked chan Message
	if c.pin != "" {
		unlocked = make(chan Message, 1)
		c.nextID++
		c.waiting[c.nextID] = unlocked
		b, _ := json.Marshal(UnlockArgs{PIN: c.pin})
		conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if err := c.enc.Encode(Request{ID: c.nextID, Cmd: CmdUnlock, Args: b}); err != nil {
			c.log.Warn("console: unlock after reconnect", "err", err)
		}
	}
	c.mu.Unlock()
	c.log.Info("console connected to trackside", "path", c.path)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if unlocked == nil {
			return
		}
		if m, ok := <-unlocked; ok && !m.OK {
			c.log.Warn("console: unlock after reconnect refused", "err", m.Error)
		}
	}()
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	for sc.Scan() {
		var m Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			c.log.Warn("console: bad message from trackside", "err", err)
			continue
		}
		if m.View != nil {
			select {
			case <-c.views:
			default:
			}
			c.views <- *m.View
			continue
		}
		c.mu.Lock()
		ch := c.waiting[m.ID]
		delete(c.waiting, m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
	conn.Close()
	c.mu.Lock()
	c.conn, c.enc = nil, nil
	for id, ch := range c.waiting {
		close(ch)
		delete(c.waiting, id)
	}
	c.mu.Unlock()
	<-done
	c.log.Info("console lost the trackside", "path", c.path, "err", sc.Err())
}

// Do sends one command and waits for its reply.
func (c *Client) Do(ctx context.Context, cmd string, args any) (Message, error) {
	req := Request{Cmd: cmd}
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			return Message{}, fmt.Errorf("%s: encode args: %w", cmd, err)
		}
		req.Args = b
	}
	ch := make(chan Message, 1)
	c.mu.Lock()
	if c.conn == nil {
		c.mu.Unlock()
		return Message{}, ErrNotConnected
	}
	c.nextID++
	req.ID = c.nextID
	c.waiting[req.ID] = ch
	conn := c.conn
	conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	err := c.enc.Encode(req)
	c.mu.Unlock()
	if err != nil {
		conn.Close()
		return Message{}, fmt.Errorf("%s: write to trackside: %w", cmd, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return Message{}, fmt.Errorf("%s: %w", cmd, ErrNotConnected)
		}
		if !m.OK {
			return m, &Error{Cmd: cmd, Message: m.Error, RetryAfter: time.Duration(m.RetryAfterMS) * time.Millisecond}
		}
		return m, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.waiting, req.ID)
		c.mu.Unlock()
		return Message{}, fmt.Errorf("%s: %w", cmd, ctx.Err())
	}
}

// Unlock checks pin with the trackside and, if it is an official's,
// unlocks the connection as that official.
func (c *Client) Unlock(ctx context.Context, pin string) (string, error) {
	m, err := c.Do(ctx, CmdUnlock, UnlockArgs{PIN: pin})
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.pin, c.who = pin, m.Official
	c.mu.Unlock()
	return m.Official, nil
}

// Lock forgets the official and locks the connection.
func (c *Client) Lock(ctx context.Context) error {
	c.mu.Lock()
	c.pin, c.who = "", ""
	c.mu.Unlock()
	_, err := c.Do(ctx, CmdLock, nil)
	return err
}
