package track

import (
	"time"

	"pitwall/mqtt"
	"pitwall/trackside/race"
	"pitwall/trackside/standings"
)

// header stamps a payload. The wall clock goes in only once it is known to
// be synced: a Pi has no RTC and boots in 1970 (or at the last fake-hwclock).
func (t *Track) header(seq uint64) mqtt.Header {
	h := mqtt.Header{Track: t.cfg.ID, Boot: t.cfg.Boot, Seq: seq, Epoch: t.st.Epoch(), EpochAt: t.st.EpochAt()}
	if ClockSynced() {
		h.At = time.Now().UnixMilli()
	}
	return h
}

func (t *Track) name(racerID string) string {
	if n := t.racers[racerID].name; n != "" {
		return n
	}
	return racerID
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

// LapInfo is lap l as payloads and the officials' console show it.
func LapInfo(l race.Lap) mqtt.LapInfo { return lapInfo(l) }

func lapInfo(l race.Lap) mqtt.LapInfo {
	return mqtt.LapInfo{
		No: l.No, TimeMS: ms(l.Time), PenaltyMS: ms(l.Penalty), Resets: l.Resets,
		Valid: l.Counts(), Short: l.Short, Manual: l.Manual, DNF: l.DNF, Deleted: l.Deleted,
		HostTimed: l.HostTimed, Review: l.Review(),
	}
}

func (t *Track) lapEvent(h mqtt.Header, lc lapChange) *mqtt.LapEvent {
	ev := &mqtt.LapEvent{
		Header: h, RaceID: lc.race.ID, RacerID: lc.race.RacerID, Name: t.name(lc.race.RacerID),
		Change: lc.change,
	}
	for _, l := range lc.race.Laps {
		if l.No == lc.no {
			ev.Lap = lapInfo(l)
			ev.ID = l.EventID(lc.race.ID)
		}
	}
	return ev
}

// liveRace is the public view of a race at host monotonic time now.
func (t *Track) liveRace(r *race.Race, now int64) *mqtt.LiveRace {
	if r == nil {
		return nil
	}
	elapsed, lapElapsed, _ := t.eng.Live(now)
	lr := &mqtt.LiveRace{
		ID: r.ID, RacerID: r.RacerID, Name: t.name(r.RacerID), Run: r.Run, State: string(r.State),
		DurationMS: ms(r.Config.Duration), ElapsedMS: ms(elapsed), LapElapsedMS: ms(lapElapsed),
		Running: r.State == race.Running, Resets: r.Resets, Laps: make([]mqtt.LapInfo, 0, len(r.Laps)),
		Transponder: r.Transponder, Binding: string(r.Binding),
	}
	var best time.Duration
	for _, l := range r.Laps {
		lr.Laps = append(lr.Laps, lapInfo(l))
		if l.Review() {
			lr.Review++
		}
		if l.Counts() && (best == 0 || l.Total() < best) {
			best = l.Total()
		}
	}
	lr.BestMS = ms(best)
	return lr
}

func (t *Track) raceState(h mqtt.Header, now int64) *mqtt.RaceState {
	rs := &mqtt.RaceState{Header: h, Race: t.liveRace(t.eng.Current(), now)}
	for _, id := range t.eng.Queued() {
		rs.Queue = append(rs.Queue, t.name(id))
	}
	t.mu.Lock()
	t.lastRace = *rs
	t.mu.Unlock()
	return rs
}

func (t *Track) standings(h mqtt.Header) *mqtt.Standings {
	method, n := t.board.Method()
	s := &mqtt.Standings{Header: h, Ranking: string(method), Entries: make([]mqtt.StandingsEntry, 0, t.board.Len())}
	if method != race.BestLap {
		s.RankLaps = n
	}
	t.board.Range(func(e standings.Entry) bool {
		s.Entries = append(s.Entries, mqtt.StandingsEntry{
			Rank: e.Rank, RacerID: e.RacerID, Name: t.name(e.RacerID), ResultMS: ms(e.Value),
			Laps: e.Laps, BestMS: ms(e.Best), RaceID: e.RaceID, Tie: e.Tie,
		})
		return true
	})
	t.mu.Lock()
	t.lastStandings = *s
	t.mu.Unlock()
	return s
}
