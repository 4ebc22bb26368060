package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"pitwall/display/preview"
	"pitwall/trackside/console"
	"pitwall/trackside/console/api"
	"pitwall/trackside/pin"
	"pitwall/trackside/unit"
)

// The demo's official and PIN, printed at start.
const (
	demoOfficial = "Demo Official"
	demoPIN      = "1234"
)

// demoRacersAndPIN registers the demo racers and the demo official's PIN,
// for running races by hand on the console.
func demoRacersAndPIN(ctx context.Context, u *unit.Unit, n int) error {
	hashed, err := pin.Hash(demoPIN)
	if err != nil {
		return err
	}
	if err := unit.SetPINIn(u.Store(), demoOfficial, hashed); err != nil {
		return fmt.Errorf("demo PIN: %w", err)
	}
	for _, r := range unit.DemoRacers(n) {
		if err := u.Track().PutRacer(ctx, "demo", r); err != nil {
			return fmt.Errorf("demo racer %s: %w", r.ID, err)
		}
	}
	return nil
}

// startConsole runs the officials' console on the unit's socket with a
// browser preview at addr: what cmd/console does on a trackside, in this
// process. A panic of the console is logged and the console restarted, as
// systemd restarts the real one; timing never notices.
func startConsole(ctx context.Context, sock, addr, size string, log *slog.Logger) (string, error) {
	var w, h int
	if _, err := fmt.Sscanf(size, "%dx%d", &w, &h); err != nil {
		return "", fmt.Errorf("-console-size %q: want WIDTHxHEIGHT", size)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("-console %s: %w", addr, err)
	}
	events := make(chan console.Event, 256)
	p := preview.New(0, log)
	p.HandleTaps(func(x, y int) {
		select {
		case events <- console.Timed{Event: console.Tap{X: x, Y: y}, At: time.Now()}:
		default: // a flood is dropped, never waited for
		}
	})
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	client := api.NewClient(sock, log)
	go client.Run(ctx, 0)
	go func() {
		for ctx.Err() == nil {
			func() {
				defer func() {
					if r := recover(); r != nil {
						log.Error("console panicked: restarting it", "panic", r)
					}
				}()
				c, err := console.New(console.Config{Width: w, Height: h, Logger: log}, client)
				if err != nil {
					log.Error("console", "err", err)
					return
				}
				if err := c.Run(ctx, client.Views(), events, p); err != nil {
					log.Error("console stopped", "err", err)
				}
			}()
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	return "http://" + ln.Addr().String() + "/", nil
}
