// Command kiosk runs a leaderboard screen: it subscribes to the tracks'
// retained standings, race state and status, merges them, and draws the
// board on the framebuffer, a PNG file and/or an HTTP preview. An example
// config is kiosk.example.json next to this file.
//
//	kiosk -config /etc/pitwall/kiosk.json
//	kiosk -config FILE -check        validate the config and exit
//	kiosk -config FILE -once b.png   draw one frame (cache + broker) to a PNG and exit
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"pitwall/display/fb"
	"pitwall/display/pngout"
	"pitwall/internal/discovery"
	"pitwall/internal/heartbeat"
	"pitwall/internal/logging"
	"pitwall/internal/problem"
	"pitwall/internal/sdnotify"
	"pitwall/internal/version"
	"pitwall/kiosk"
)

// gcPercent is the kiosk's GOGC unless the environment sets one. Most of
// a kiosk's heap is frames that live as long as the process (8.3 MB each
// at 1080p), and Go's default of 100 lets the heap grow by as much again
// before collecting, room for garbage the kiosk never needs: it makes
// about 1.5 MB/s with two tracks of 1000 racers changing every 3 s and a
// race clock running. At 25 the heap grows by a quarter (2.5 MB over the
// fb-only kiosk's 10 MB of live heap), a collection comes every 2 s or
// so and costs about a millisecond of CPU. Measured with BenchmarkKioskRSS
// at 1080p: PSS fb only 35 → 28.5 MiB, PNG+HTTP 42 → 34 MiB, CPU
// unchanged within the noise; 10 saves 1–2 MiB more for 0.3–1.5 points
// of a core.
const gcPercent = 25

func main() {
	if err := run(os.Args[1:], fb.Open); err != nil {
		fmt.Fprintln(os.Stderr, "kiosk:", err)
		os.Exit(1)
	}
}

// renderStuckAfter is how long the render loop may go without a pass
// before the kiosk counts as hung: it passes at least every second.
const renderStuckAfter = 10 * time.Second

// run is the command; openFB opens the fb output: fb.Open, except in the
// memory benchmark (rss_test.go), which runs this same code on a plain
// file laid out like a framebuffer because the machine measuring has no
// /dev/fb0.
func run(args []string, openFB func(path string, log *slog.Logger) (*fb.Framebuffer, error)) error {
	flags := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	configPath := flags.String("config", "/etc/pitwall/kiosk.json", "config file (JSON)")
	check := flags.Bool("check", false, "validate the config file and exit")
	once := flags.String("once", "", "draw one frame from the cache and the broker's retained state to this PNG file and exit")
	onceWait := flags.Duration("once-wait", 3*time.Second, "with -once: how long to wait for the broker")
	logFormat := flags.String("log-format", "text", "log format: text or json")
	showVersion := flags.Bool("version", false, "print the version and exit")
	problemFB := flags.String("problem-screen", "/dev/fb0", "framebuffer that shows why the kiosk cannot start (bad config, no broker); empty: none")
	flags.Parse(args)
	if *showVersion {
		fmt.Println(version.Version)
		return nil
	}
	if *check || *once != "" {
		// From a terminal: errors go to it, no waiting.
		cfg, err := kiosk.LoadConfig(*configPath)
		if err != nil {
			return err
		}
		if *check {
			fmt.Printf("%s: ok (kiosk %s, boards %v)\n", *configPath, cfg.Kiosk, cfg.Boards())
			return nil
		}
		log, err := logging.New(os.Stderr, *logFormat, cfg.LogLevel)
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return snapshot(ctx, cfg, log, *once, *onceWait)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	notify := sdnotify.FromEnv()
	// A config that cannot be used, or a broker not found yet, is shown
	// on the screen until it is fixed: no exit, no restart loop.
	var cfg kiosk.Config
	var log *slog.Logger
	following := false // broker.url is "auto": follow the broker if it moves
	screen := problem.ForUnit("kiosk", *problemFB, func(path string, log *slog.Logger) (problem.Output, error) { return openFB(path, log) }, notify)
	err := screen.Until(ctx, []string{*configPath, filepath.Dir(*configPath)}, func() error {
		c, err := kiosk.LoadConfig(*configPath)
		if err != nil {
			return err
		}
		if log, err = logging.New(os.Stderr, *logFormat, c.LogLevel); err != nil {
			return fmt.Errorf("config %s: %w", *configPath, err)
		}
		following = discovery.Wanted(c.Broker.URL)
		url, err := discovery.Resolve(ctx, c.Broker.URL, c.Broker.SecretFile, 5*time.Second, log)
		if err != nil {
			return problem.Transient(err)
		}
		c.Broker.URL = url
		cfg = c
		return nil
	})
	if err != nil {
		return nil // stopped while waiting
	}
	slog.SetDefault(log)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}

	// The outputs and the public web, as the config asks: the same start
	// as the demo's and bench-web's.
	k, err := kiosk.Start(cfg, kiosk.Options{Logger: log, OpenFB: openFB})
	if err != nil {
		return err
	}
	log.Info("kiosk starting", "version", version.Version, "kiosk", cfg.Kiosk, "config", *configPath, "boot", k.Boot(),
		"size", fmt.Sprintf("%dx%d", k.Size().X, k.Size().Y), "boards", cfg.Boards(), "broker", cfg.Broker.URL)
	// READY once the outputs are open; the watchdog pings while the
	// render loop goes round (docs/venue.md).
	notify.Send("READY=1\nSTATUS=showing the board")
	go notify.Watchdog(ctx, sdnotify.WatchdogInterval(), func() error {
		return heartbeat.Stuck(heartbeat.Check{Name: "render", Beat: k.Heartbeat(), Max: renderStuckAfter})
	}, log)
	if following {
		// A discovered broker that moves (the trackside replaced by its
		// spare, a new DHCP lease) is followed by a restart, which finds
		// it again; the restarted kiosk shows its cached board at once.
		f := discovery.Follower{Current: cfg.Broker.URL, Connected: k.Connected, SecretFile: cfg.Broker.SecretFile, Log: log}
		err = f.Run(ctx, k.Run)
	} else {
		err = k.Run(ctx)
	}
	s := k.Stats()
	log.Info("kiosk stopped", "received", s.Received, "refused", s.Bad, "stale", s.Stale, "dropped", s.Dropped, "frames", s.Frames)
	return err
}

// snapshot draws one frame to a PNG file: for docs, bug reports and
// checking a kiosk's config from a laptop.
func snapshot(ctx context.Context, cfg kiosk.Config, log *slog.Logger, path string, wait time.Duration) error {
	k, err := kiosk.New(cfg, kiosk.Options{Logger: log})
	if err != nil {
		return err
	}
	b, frame, err := k.DrawOnce(ctx, wait)
	if err != nil {
		return err
	}
	if err := pngout.WriteFile(path, frame); err != nil {
		return fmt.Errorf("-once: %w", err)
	}
	fmt.Printf("%s: %dx%d, %d rows, notices %q\n", path, frame.Rect.Dx(), frame.Rect.Dy(), len(b.Rows), b.Notices)
	return nil
}
