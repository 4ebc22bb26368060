package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/mqtt"
	"pitwall/mqtt/client"
)

// session is one connection to the broker, listening to every track's
// admin replies.
type session struct {
	c       paho.Client
	s       settings
	signer  *mqtt.Signer
	stderr  io.Writer
	quiet   bool
	mu      sync.Mutex
	replies []mqtt.Reply
	wake    chan struct{}
}

// errNoReply is a track that did not answer in time.
type errNoReply struct {
	Track   string
	Timeout time.Duration
}

func (e *errNoReply) Error() string {
	return fmt.Sprintf("no reply from track %s in %v — check broker credentials and ACL", e.Track, e.Timeout)
}

// dial connects and subscribes to the admin reply topics.
func dial(ctx context.Context, s settings, signer *mqtt.Signer, stderr io.Writer, quiet bool, log *slog.Logger) (*session, error) {
	ss := &session{s: s, signer: signer, stderr: stderr, quiet: quiet, wake: make(chan struct{}, 1)}
	cctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	c, err := client.Connect(cctx, client.Config{
		Broker: s.Broker, ClientID: client.UniqueID("racectl-" + signer.Key.ID),
		Username: s.Username, Password: s.Password, CleanSession: true, Logger: log,
	})
	if err != nil {
		if c != nil {
			c.Disconnect(0)
		}
		who := "anonymously"
		if s.Username != "" {
			who = "as " + s.Username
		}
		return nil, &cliError{code: "connect", err: fmt.Errorf("cannot connect to broker %s %s within %v: %w — check the URL and credentials", s.Broker, who, s.Timeout, err)}
	}
	ss.c = c
	tok := c.Subscribe(mqtt.AdminResp("+"), 1, func(_ paho.Client, m paho.Message) {
		r, err := mqtt.DecodeReply(m.Payload())
		if err != nil {
			log.Warn("unreadable reply", "topic", m.Topic(), "err", err)
			return
		}
		ss.mu.Lock()
		ss.replies = append(ss.replies, r)
		ss.mu.Unlock()
		select {
		case ss.wake <- struct{}{}:
		default:
		}
	})
	if err := waitToken(ctx, tok, s.Timeout); err != nil {
		c.Disconnect(100)
		return nil, &cliError{code: "connect", err: fmt.Errorf("subscribe to admin replies: %w", err)}
	}
	return ss, nil
}

func waitToken(ctx context.Context, tok paho.Token, timeout time.Duration) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-time.After(timeout):
		return fmt.Errorf("broker did not answer in %v", timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (ss *session) close() { ss.c.Disconnect(250) }

// discover returns the tracks whose retained status says online, and those
// that say offline.
func (ss *session) discover(ctx context.Context) (online, offline []string, err error) {
	var mu sync.Mutex
	state := map[string]bool{}
	seen := make(chan struct{}, 1)
	tok := ss.c.Subscribe(mqtt.AllTrackStatus, 1, func(_ paho.Client, m paho.Message) {
		var st mqtt.Status
		if mqtt.Decode(m.Payload(), &st) != nil {
			return
		}
		parts := strings.Split(m.Topic(), "/")
		if len(parts) < 4 {
			return
		}
		mu.Lock()
		state[parts[len(parts)-2]] = st.Online
		mu.Unlock()
		select {
		case seen <- struct{}{}:
		default:
		}
	})
	if err := waitToken(ctx, tok, ss.s.Timeout); err != nil {
		return nil, nil, fmt.Errorf("subscribe to track status: %w", err)
	}
	// Retained messages follow the SUBACK at once; a short quiet spell
	// means they are all in.
	quiet := time.NewTimer(300 * time.Millisecond)
	for done := false; !done; {
		select {
		case <-seen:
			quiet.Reset(300 * time.Millisecond)
		case <-quiet.C:
			done = true
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	ss.c.Unsubscribe(mqtt.AllTrackStatus)
	mu.Lock()
	defer mu.Unlock()
	for t, on := range state {
		if on {
			online = append(online, t)
		} else {
			offline = append(offline, t)
		}
	}
	slices.Sort(online)
	slices.Sort(offline)
	return online, offline, nil
}

// trackReply is what one track answered to a command.
type trackReply struct {
	Track  string
	Reply  mqtt.Reply
	Data   []byte // a chunked result, reassembled and verified
	Err    error  // no reply, or a broken chunk stream
	Chunks int
}

// send signs and publishes one command and waits for the replies of the
// tracks expected (for "*" more tracks may answer: they are reported too,
// and waited for until the last expected one is in). Each track's timeout
// restarts with each chunk it sends.
func (ss *session) send(ctx context.Context, target, name string, args any, expect []string) (mqtt.Command, []trackReply, error) {
	topic, payload, cmd, err := ss.signer.Sign(target, name, args)
	if err != nil {
		return cmd, nil, &cliError{code: "sign", err: err}
	}
	if err := waitToken(ctx, ss.c.Publish(topic, 1, false, payload), ss.s.Timeout); err != nil {
		return cmd, nil, &cliError{code: "publish", err: fmt.Errorf("publish %s to %s: %w", name, topic, err)}
	}
	type pending struct {
		asm      mqtt.Assembly
		last     time.Time
		chunks   int
		bytes    int
		done     bool
		expected bool
		out      trackReply
	}
	tracks := map[string]*pending{}
	start := time.Now()
	for _, t := range expect {
		tracks[t] = &pending{last: start, expected: true, out: trackReply{Track: t}}
	}
	for {
		ss.mu.Lock()
		var mine []mqtt.Reply
		rest := ss.replies[:0]
		for _, r := range ss.replies {
			if r.ID == cmd.ID {
				mine = append(mine, r)
			} else {
				rest = append(rest, r)
			}
		}
		ss.replies = rest
		ss.mu.Unlock()
		now := time.Now()
		for _, r := range mine {
			p := tracks[r.Track]
			if p == nil {
				p = &pending{out: trackReply{Track: r.Track}}
				tracks[r.Track] = p
			}
			if p.done {
				continue // a duplicate after the end (QoS 1)
			}
			p.last = now
			if r.Chunk == nil || !r.OK {
				p.out.Reply, p.done = r, true
				continue
			}
			p.out.Reply = r
			done, err := p.asm.Add(*r.Chunk)
			if err != nil {
				p.out.Err, p.done = fmt.Errorf("track %s: %s result: %w", r.Track, name, err), true
				continue
			}
			p.chunks++
			p.bytes += len(r.Chunk.Data)
			if done {
				p.out.Data, p.out.Chunks, p.done = p.asm.Bytes(), p.chunks, true
				ss.progress("track %s: %s: %d/%d chunks, %s, SHA-256 verified\n", r.Track, name, p.chunks, p.chunks, size(int64(len(p.out.Data))))
			} else {
				total := "?"
				if r.Chunk.Last {
					total = fmt.Sprint(r.Chunk.Index + 1)
				}
				ss.progress("track %s: %s: %d/%s chunks, %s\n", r.Track, name, p.chunks, total, size(int64(p.bytes)))
			}
		}
		waiting := false
		for t, p := range tracks {
			if p.done {
				continue
			}
			if now.Sub(p.last) >= ss.s.Timeout {
				p.out.Err, p.done = &errNoReply{Track: t, Timeout: ss.s.Timeout}, true
				continue
			}
			if p.expected || p.chunks > 0 {
				waiting = true
			}
		}
		if !waiting {
			break
		}
		select {
		case <-ss.wake:
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return cmd, nil, ctx.Err()
		}
	}
	keys := make([]string, 0, len(tracks))
	for t := range tracks {
		keys = append(keys, t)
	}
	slices.SortFunc(keys, trackOrder)
	out := make([]trackReply, 0, len(keys))
	for _, t := range keys {
		p := tracks[t]
		if !p.done { // answered unasked and not finished when the rest were
			p.out.Err = &errNoReply{Track: t, Timeout: ss.s.Timeout}
		}
		out = append(out, p.out)
	}
	return cmd, out, nil
}

func (ss *session) progress(format string, a ...any) {
	if !ss.quiet {
		fmt.Fprintf(ss.stderr, format, a...)
	}
}

// trackOrder sorts "2" before "10".
func trackOrder(a, b string) int {
	if len(a) != len(b) && isDigits(a) && isDigits(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// cliError is an error with a code for --json output and an exit status.
type cliError struct {
	code string
	err  error
}

func (e *cliError) Error() string { return e.err.Error() }
func (e *cliError) Unwrap() error { return e.err }

func codeOf(err error) string {
	var ce *cliError
	if errors.As(err, &ce) {
		return ce.code
	}
	var nr *errNoReply
	if errors.As(err, &nr) {
		return "timeout"
	}
	return "error"
}
