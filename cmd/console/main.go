// Command console is the officials' console on the trackside's touchscreen.
// It runs as its own process beside the trackside (systemd unit
// pitwall-console) and talks to it over the trackside's local socket: a
// crash or hang here never touches timing. See docs/console.md.
//
//	console -socket /run/pitwall-trackside/console.sock -fb /dev/fb0
//	console -fb "" -http 127.0.0.1:8081 -size 800x480   browser preview, clicks are taps
//
// Touch and keys come from evdev (package trackside/console/input): the
// touch flags (-rotate, -swap-xy, ...) are that package's settings.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"pitwall/display"
	"pitwall/display/fb"
	"pitwall/display/preview"
	"pitwall/internal/logging"
	"pitwall/internal/version"
	"pitwall/trackside/console"
	"pitwall/trackside/console/api"
	"pitwall/trackside/console/input"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "console:", err)
		os.Exit(1)
	}
}

func run() error {
	sock := flag.String("socket", "/run/pitwall-trackside/console.sock", "the trackside's console socket (console.socket in trackside.json)")
	fbPath := flag.String("fb", "/dev/fb0", `framebuffer device ("" for none)`)
	httpAddr := flag.String("http", "", "also serve the screen in a browser at this address; clicks are taps")
	size := flag.String("size", "800x480", "screen size without a framebuffer (with one, the framebuffer's)")
	idle := flag.Duration("idle-lock", 5*time.Minute, "lock after this long without a touch or key")
	noInput := flag.Bool("no-input", false, "read no touchscreen or keyboard (evdev); taps come only from -http")
	var touch input.Config
	flag.IntVar(&touch.Rotate, "rotate", 0, "turn touch coordinates clockwise by 0, 90, 180 or 270 (docs/console.md, Rotation and axes)")
	flag.BoolVar(&touch.SwapXY, "swap-xy", false, "exchange the touch controller's axes")
	flag.BoolVar(&touch.InvertX, "invert-x", false, "mirror the touch controller's x axis")
	flag.BoolVar(&touch.InvertY, "invert-y", false, "mirror the touch controller's y axis")
	flag.IntVar(&touch.TapSlop, "tap-slop", 0, "pixels a finger may wander and still tap (0: 16)")
	flag.DurationVar(&touch.LongPress, "long-press", 0, "hold time of a long-press (0: 600ms)")
	logFormat := flag.String("log-format", "text", "log format: text or json")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return nil
	}
	log, err := logging.New(os.Stderr, *logFormat, "info")
	if err != nil {
		return err
	}
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil {
		return fmt.Errorf("-size %q: want WIDTHxHEIGHT", *size)
	}
	var outputs []display.Sink
	if *fbPath != "" {
		screen, err := fb.Open(*fbPath, log)
		if err != nil {
			return err
		}
		defer screen.Close()
		b := screen.Bounds()
		w, h = b.Dx(), b.Dy()
		outputs = append(outputs, screen)
	}
	client := api.NewClient(*sock, log)
	c, err := console.New(console.Config{Width: w, Height: h, IdleLock: *idle, Logger: log}, client)
	if err != nil {
		return err
	}
	events := make(chan console.Event, 256)
	if *httpAddr != "" {
		srv, url, err := servePreview(ctx, *httpAddr, events, log)
		if err != nil {
			return err
		}
		outputs = append(outputs, srv)
		log.Info("console preview", "url", url)
	}
	if len(outputs) == 0 {
		return errors.New("no output: give -fb or -http")
	}
	if !*noInput {
		// Touchscreens and keypads, found by capability and reopened after
		// a replug; a machine without any simply has none.
		touch.Width, touch.Height = w, h
		in, err := input.New(touch, input.Dir{}, log)
		if err != nil {
			return err
		}
		go func() {
			if err := in.Run(ctx); err != nil && ctx.Err() == nil {
				log.Error("console input stopped", "err", err)
			}
		}()
		go console.Pump(in.Events(), events)
	}
	go client.Run(ctx, 0)
	log.Info("console starting", "version", version.Version, "socket", *sock, "size", fmt.Sprintf("%dx%d", w, h))
	return c.Run(ctx, client.Views(), events, outputs...)
}

// servePreview serves the console's frames over HTTP; clicks become taps.
// A tap that finds the queue full is dropped: a flood must not block.
func servePreview(ctx context.Context, addr string, events chan<- console.Event, log *slog.Logger) (*preview.Server, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("-http %s: %w", addr, err)
	}
	p := preview.New(0, log)
	p.HandleTaps(func(x, y int) {
		select {
		case events <- console.Timed{Event: console.Tap{X: x, Y: y}, At: time.Now()}:
		default:
		}
	})
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return p, "http://" + ln.Addr().String() + "/", nil
}
