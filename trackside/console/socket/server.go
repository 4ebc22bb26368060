// Package socket serves the officials' console on a local Unix socket of
// the trackside (protocol: package api). The console runs as its own
// process: whatever it does — crash, hang, stop reading — the trackside
// only loses that connection, and timing never waits for it. Every request
// runs against the track API (the one the signed admin commands use),
// audited with the name of the official whose PIN unlocked the connection.
package socket

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"pitwall/mqtt"
	"pitwall/trackside/console/api"
	"pitwall/trackside/pin"
	"pitwall/trackside/race"
	"pitwall/trackside/standings"
	"pitwall/trackside/store"
	"pitwall/trackside/track"
)

// Wrong PINs: MaxWrongPINs in a row lock every console out for Lockout.
const (
	MaxWrongPINs = 5
	Lockout      = time.Minute
)

// Config of a Server.
type Config struct {
	Track  *track.Track
	Store  *store.Store
	Health func() api.Health // the unit's health; nil: empty
	Logger *slog.Logger
	// Period is how often the view is rebuilt and pushed if it changed
	// (default 100ms); a running race's clock is pushed at least every
	// second so consoles stay in step.
	Period time.Duration
	// Now is the wall clock for PIN lockouts (default time.Now).
	Now func() time.Time
}

// Server serves consoles. Create with New, run with Serve.
type Server struct {
	cfg Config
	log *slog.Logger
	cmd map[string]handler

	mu       sync.Mutex
	conns    map[*conn]struct{}
	wrong    int       // wrong PINs in a row
	lockedTo time.Time // no unlock before this
	racers   []api.Racer
	racersAt time.Time
	last     []byte // last view pushed, without its clock
	lastAt   time.Time
	view     *api.View
}

// New returns a Server for the track.
func New(cfg Config) (*Server, error) {
	if cfg.Track == nil || cfg.Store == nil {
		return nil, errors.New("console socket: no track or store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Period <= 0 {
		cfg.Period = 100 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With("part", "console-socket"), conns: make(map[*conn]struct{})}
	s.cmd = s.handlers()
	return s, nil
}

// Listen creates the socket at path, replacing a stale one, readable and
// writable by the owner and the group only (0660: the pitwall group).
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("console socket dir: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove stale console socket %s: %w", path, err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("console socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod console socket %s: %w", path, err)
	}
	return ln, nil
}

// Serve accepts consoles on ln until ctx is done.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.pushLoop(ctx)
	}()
	defer wg.Wait()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("console socket accept: %w", err)
		}
		c := &conn{s: s, nc: nc, replies: make(chan api.Message, 16), kick: make(chan struct{}, 1)}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		v := s.view
		s.mu.Unlock()
		if v == nil {
			v = s.buildView()
		}
		c.setView(v)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run(ctx)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// pushLoop rebuilds the view every Period and pushes it when it changed.
func (s *Server) pushLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.Period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.push(false)
		}
	}
}

// push builds the view and sends it to every console if it changed (or
// force).
func (s *Server) push(force bool) {
	v := s.buildView()
	key := viewKey(v)
	s.mu.Lock()
	running := v.Race != nil && v.Race.Running
	if !force && string(key) == string(s.last) && !(running && time.Since(s.lastAt) >= time.Second) {
		s.mu.Unlock()
		return
	}
	s.last, s.lastAt, s.view = key, time.Now(), v
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.setView(v)
	}
}

// viewKey is the view without its clocks: what decides whether to push.
func viewKey(v *api.View) []byte {
	cp := *v
	cp.AsOfMS = 0
	if v.Race != nil {
		r := *v.Race
		r.ElapsedMS, r.LapElapsedMS = 0, 0
		cp.Race = &r
	}
	h := cp.Health
	h.FreeBytes = h.FreeBytes >> 24 // 16 MB steps
	cp.Health = h
	b, _ := json.Marshal(&cp)
	return b
}

func (s *Server) buildView() *api.View {
	t := s.cfg.Track
	rs := t.RaceState()
	st := t.Standings()
	v := &api.View{Track: t.ID(), AsOfMS: time.Now().UnixMilli(), Queue: rs.Queue, Ranking: st.Ranking, RankLaps: st.RankLaps}
	cfg := t.RulesView()
	v.MaxRuns = cfg.MaxRuns
	if v.Ranking == "" {
		v.Ranking, v.RankLaps = string(cfg.Ranking), cfg.RankLaps
	}
	if cur := t.Current(); cur != nil {
		v.Race = raceView(cur, t.Live(cur), rs.Race)
	}
	if n := min(len(st.Entries), 10); n > 0 {
		v.Standings = append(v.Standings, st.Entries[:n]...)
	}
	v.Racers = s.racerList(false)
	if s.cfg.Health != nil {
		v.Health = s.cfg.Health()
	}
	return v
}

// raceView is the console's view of the current race r.
func raceView(r *race.Race, live track.LiveClock, pub *mqtt.LiveRace) *api.Race {
	out := &api.Race{MinLapMS: r.Config.MinLap.Milliseconds()}
	out.ID, out.RacerID, out.Run, out.State = r.ID, r.RacerID, r.Run, string(r.State)
	if pub != nil && pub.ID == r.ID {
		out.Name = pub.Name
	}
	if out.Name == "" {
		out.Name = r.RacerID
	}
	out.DurationMS = r.Config.Duration.Milliseconds()
	out.ElapsedMS, out.LapElapsedMS = live.Elapsed.Milliseconds(), live.Lap.Milliseconds()
	out.Running = r.State == race.Running
	out.Resets = r.Resets
	out.Transponder, out.Binding = r.Transponder, string(r.Binding)
	var best time.Duration
	for _, l := range r.Laps {
		out.Laps = append(out.Laps, track.LapInfo(l))
		if l.Edited {
			out.Edited = append(out.Edited, l.No)
		}
		if l.Counts() && (best == 0 || l.Total() < best) {
			best = l.Total()
		}
	}
	out.BestMS = best.Milliseconds()
	if res, ok := standings.ResultOf(*r, r.Config.Ranking, r.Config.RankLaps); ok {
		out.ResultMS = res.Value.Milliseconds()
	}
	return out
}

// racerList returns the registered racers, read from the store at most
// every two seconds (or now, after a command that changes them), with
// their runs as the track counts them.
func (s *Server) racerList(fresh bool) []api.Racer {
	s.mu.Lock()
	if !fresh && s.racers != nil && time.Since(s.racersAt) < 2*time.Second {
		r := s.racers
		s.mu.Unlock()
		return r
	}
	s.mu.Unlock()
	var list []api.Racer
	err := s.cfg.Store.View(func(tx *store.Tx) error {
		return tx.ForEachRacer(func(r race.Racer) error {
			list = append(list, api.Racer{ID: r.ID, Name: r.Name, Disqualified: r.Disqualified})
			return nil
		})
	})
	if err != nil {
		s.log.Warn("console: read racers", "err", err)
	}
	runs := s.cfg.Track.Runs()
	for i := range list {
		list[i].Runs = runs[list[i].ID]
	}
	if list == nil {
		list = []api.Racer{}
	}
	s.mu.Lock()
	s.racers, s.racersAt = list, time.Now()
	s.mu.Unlock()
	return list
}

// checkPIN returns the official whose PIN p is, or "".
func (s *Server) checkPIN(p string) (string, error) {
	var who string
	err := s.cfg.Store.View(func(tx *store.Tx) error {
		return tx.ForEachConfig(pin.Setting(""), func(key string, v []byte) error {
			if who == "" && len(v) > 0 && pin.Check(v, p) {
				who = key[len(pin.Setting("")):]
			}
			return nil
		})
	})
	return who, err
}

// unlock runs an unlock request, counting wrong PINs across all consoles.
func (s *Server) unlock(p string) api.Message {
	now := s.cfg.Now()
	s.mu.Lock()
	if now.Before(s.lockedTo) {
		left := s.lockedTo.Sub(now)
		s.mu.Unlock()
		return api.Message{Error: fmt.Sprintf("too many wrong PINs: locked for %ds", int(left.Seconds()+0.999)), RetryAfterMS: left.Milliseconds()}
	}
	s.mu.Unlock()
	who, err := s.checkPIN(p)
	if err != nil {
		return api.Message{Error: "PIN check: " + err.Error()}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if who == "" {
		s.wrong++
		if s.wrong >= MaxWrongPINs {
			s.wrong = 0
			s.lockedTo = now.Add(Lockout)
			s.log.Warn("console: wrong PIN five times, locked", "for", Lockout)
			return api.Message{Error: "wrong PIN: locked for a minute", RetryAfterMS: Lockout.Milliseconds()}
		}
		s.log.Info("console: wrong PIN", "in_a_row", s.wrong)
		return api.Message{Error: "wrong PIN"}
	}
	s.wrong = 0
	return api.Message{OK: true, Official: who}
}

// conn is one console connection.
type conn struct {
	s       *Server
	nc      net.Conn
	who     string // unlocked official; read and written by the reader only
	replies chan api.Message
	kick    chan struct{} // a new view is waiting

	mu   sync.Mutex
	view *api.View
}

// setView hands the connection the latest view; it never blocks, so a
// console that stops reading holds nothing up.
func (c *conn) setView(v *api.View) {
	c.mu.Lock()
	c.view = v
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// writeTimeout: a console that does not take a line within it is
// disconnected (it reconnects when it recovers).
const writeTimeout = 3 * time.Second

func (c *conn) run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { c.nc.Close() })
	defer stop()
	go c.write(ctx, cancel)
	sc := bufio.NewScanner(c.nc)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for sc.Scan() {
		req, err := parseRequest(sc.Bytes())
		if err != nil {
			c.reply(ctx, api.Message{Error: err.Error()})
			continue
		}
		m := c.s.do(ctx, c, req)
		m.ID = req.ID
		c.reply(ctx, m)
	}
}

// parseRequest decodes one request line.
func parseRequest(line []byte) (api.Request, error) {
	var req api.Request
	if err := json.Unmarshal(line, &req); err != nil {
		return api.Request{}, fmt.Errorf("bad request: %w", err)
	}
	if req.Cmd == "" {
		return req, errors.New("bad request: no cmd")
	}
	return req, nil
}

func (c *conn) reply(ctx context.Context, m api.Message) {
	select {
	case c.replies <- m:
	case <-ctx.Done():
	}
}

// write sends replies and the latest view; views are coalesced.
func (c *conn) write(ctx context.Context, cancel func()) {
	defer cancel()
	w := bufio.NewWriter(c.nc)
	enc := json.NewEncoder(w)
	send := func(m *api.Message) bool {
		c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if err := enc.Encode(m); err != nil {
			return false
		}
		return w.Flush() == nil
	}
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-c.replies:
			// A view the command produced goes out before its reply: when
			// the console hears "done", its screen data is already there.
			select {
			case <-c.kick:
				c.mu.Lock()
				v := c.view
				c.mu.Unlock()
				if v != nil && !send(&api.Message{View: v}) {
					return
				}
			default:
			}
			if !send(&m) {
				return
			}
		case <-c.kick:
			c.mu.Lock()
			v := c.view
			c.mu.Unlock()
			if v != nil && !send(&api.Message{View: v}) {
				c.s.log.Info("console connection dropped: it does not read")
				return
			}
		}
	}
}
