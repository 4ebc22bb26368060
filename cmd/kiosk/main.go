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
	"errors"
	"flag"
	"fmt"
	"image"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"pitwall/display/fb"
	"pitwall/display/pngout"
	"pitwall/display/preview"
	"pitwall/internal/logging"
	"pitwall/kiosk"
)

// pngEvery spaces rewrites of the PNG output: while a race clock runs the
// board changes ten times a second, and a file polled by people or scripts
// needs no more than one a second.
const pngEvery = time.Second

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kiosk:", err)
		os.Exit(1)
	}
}

func run() error {
	configPath := flag.String("config", "/etc/pitwall/kiosk.json", "config file (JSON)")
	check := flag.Bool("check", false, "validate the config file and exit")
	once := flag.String("once", "", "draw one frame from the cache and the broker's retained state to this PNG file and exit")
	onceWait := flag.Duration("once-wait", 3*time.Second, "with -once: how long to wait for the broker")
	logFormat := flag.String("log-format", "text", "log format: text or json")
	version := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *version {
		fmt.Println(kiosk.Version)
		return nil
	}
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
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *once != "" {
		return snapshot(ctx, cfg, log, *once, *onceWait)
	}

	var opt kiosk.Options
	opt.Logger = log
	if cfg.Outputs.FB != "" {
		screen, err := fb.Open(cfg.Outputs.FB, log)
		if err != nil {
			return fmt.Errorf("outputs.fb: %w", err)
		}
		defer screen.Close()
		opt.Size = screen.Bounds().Size()
		if cfg.Width != 0 && image.Pt(cfg.Width, cfg.Height) != opt.Size {
			log.Warn("configured size differs from the framebuffer's; the frame is clipped or padded",
				"config", fmt.Sprintf("%dx%d", cfg.Width, cfg.Height), "framebuffer", fmt.Sprintf("%dx%d", opt.Size.X, opt.Size.Y))
		}
		opt.Outputs = append(opt.Outputs, kiosk.Output{Name: "fb " + cfg.Outputs.FB, Sink: screen})
	}
	if cfg.Outputs.PNG != "" {
		file, err := pngout.New(cfg.Outputs.PNG, log)
		if err != nil {
			return fmt.Errorf("outputs.png: %w", err)
		}
		opt.Outputs = append(opt.Outputs, kiosk.Output{Name: "png " + cfg.Outputs.PNG, Sink: file, Detached: true, MinInterval: pngEvery})
	}
	var srv *http.Server
	if cfg.Outputs.HTTP != "" {
		pv := preview.New(0, log)
		ln, err := net.Listen("tcp", cfg.Outputs.HTTP)
		if err != nil {
			return fmt.Errorf("outputs.http: %w", err)
		}
		srv = &http.Server{Handler: pv, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http preview stopped", "err", err)
			}
		}()
		log.Info("http preview", "url", "http://"+ln.Addr().String()+"/")
		opt.Outputs = append(opt.Outputs, kiosk.Output{Name: "http " + cfg.Outputs.HTTP, Sink: pv})
	}

	k, err := kiosk.New(cfg, opt)
	if err != nil {
		return err
	}
	log.Info("kiosk starting", "version", kiosk.Version, "kiosk", cfg.Kiosk, "config", *configPath, "boot", k.Boot(),
		"size", fmt.Sprintf("%dx%d", k.Size().X, k.Size().Y), "boards", cfg.Boards(), "broker", cfg.Broker.URL)
	err = k.Run(ctx)
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		srv.Shutdown(sctx)
		cancel()
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
	b, frame, err := k.Snapshot(ctx, wait)
	if err != nil {
		return err
	}
	if err := pngout.WriteFile(path, frame); err != nil {
		return fmt.Errorf("-once: %w", err)
	}
	fmt.Printf("%s: %dx%d, %d rows, notices %q\n", path, frame.Rect.Dx(), frame.Rect.Dy(), len(b.Rows), b.Notices)
	return nil
}
