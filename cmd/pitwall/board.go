package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/mqtt"
	"pitwall/mqtt/client"
)

// watchBoard subscribes like a kiosk would (retained standings and race
// state, read-only) and prints the live board in the terminal.
func watchBoard(ctx context.Context, url, user, password, trackID string, plain bool, previewURL string, log *slog.Logger) {
	var mu sync.Mutex
	var st mqtt.Standings
	var rs mqtt.RaceState
	var rsAt time.Time
	onMsg := func(_ paho.Client, m paho.Message) {
		mu.Lock()
		defer mu.Unlock()
		switch m.Topic() {
		case mqtt.TrackStandings(trackID):
			var s mqtt.Standings
			if err := mqtt.Decode(m.Payload(), &s); err == nil && s.Seq >= st.Seq {
				st = s
			}
		case mqtt.TrackRace(trackID):
			var r mqtt.RaceState
			if err := mqtt.Decode(m.Payload(), &r); err == nil && r.Seq >= rs.Seq {
				rs, rsAt = r, time.Now()
			}
		}
	}
	client := client.New(client.Config{
		Broker: url, ClientID: client.UniqueID("pitwall-demo-board"), Username: user, Password: password, Logger: log,
		OnConnect: func(c paho.Client) {
			c.SubscribeMultiple(map[string]byte{mqtt.TrackStandings(trackID): 1, mqtt.TrackRace(trackID): 1}, onMsg)
		},
	})
	client.Connect()
	defer client.Disconnect(100)
	period := 200 * time.Millisecond
	if plain {
		period = 5 * time.Second
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		mu.Lock()
		text := "kiosk preview: " + previewURL + "\n" + renderBoard(st, rs, time.Since(rsAt))
		mu.Unlock()
		if plain {
			fmt.Print(text, "\n")
		} else {
			fmt.Fprint(os.Stdout, "\x1b[H\x1b[2J", text)
		}
	}
}

func fmtMS(ms int64) string {
	if ms <= 0 {
		return "-"
	}
	d := time.Duration(ms) * time.Millisecond
	if d >= time.Minute {
		return fmt.Sprintf("%d:%06.3f", int(d.Minutes()), (d % time.Minute).Seconds())
	}
	return fmt.Sprintf("%.3f", d.Seconds())
}

// renderBoard formats the top 20 and the race in progress. since is how
// long ago the race state was received, to run its clock between updates.
func renderBoard(st mqtt.Standings, rs mqtt.RaceState, since time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "PITWALL — track %s — %s   (Ctrl-C to stop)\n\n", rs.Track, time.Now().Format("15:04:05"))
	if r := rs.Race; r != nil {
		elapsed, lap := r.ElapsedMS, r.LapElapsedMS
		if r.Running {
			elapsed += since.Milliseconds()
			lap += since.Milliseconds()
		}
		left := max(r.DurationMS-elapsed, 0)
		fmt.Fprintf(&b, "NOW RACING  %-24s %-9s left %-9s lap %-9s laps %-3d best %-9s resets %d\n\n",
			r.Name, r.State, fmtMS(left), fmtMS(lap), len(r.Laps), fmtMS(r.BestMS), r.Resets)
	} else {
		b.WriteString("NOW RACING  —\n\n")
	}
	fmt.Fprintf(&b, "%4s  %-26s %10s %9s %5s\n", "#", "RACER", "BEST LAP", "GAP", "LAPS")
	if len(st.Entries) == 0 {
		b.WriteString("\n      no results yet — the first submitted race will appear here\n")
	}
	for i, e := range st.Entries {
		if i == 20 {
			break
		}
		gap := "-"
		if i > 0 {
			gap = "+" + fmtMS(e.ResultMS-st.Entries[0].ResultMS)
		}
		fmt.Fprintf(&b, "%4d  %-26s %10s %9s %5d\n", e.Rank, e.Name, fmtMS(e.ResultMS), gap, e.Laps)
	}
	return b.String()
}
