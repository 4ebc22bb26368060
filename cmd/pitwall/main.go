// Command pitwall is the all-in-one entry point. `pitwall demo` runs an
// embedded MQTT broker, a simulated trackside with an automatic official,
// and a live standings table in the terminal — no hardware, no network.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"pitwall/internal/version"
	"pitwall/kiosk"
	"pitwall/mqtt"
	"pitwall/mqtt/broker"
	"pitwall/trackside/unit"
)

func main() {
	cmds := map[string]func([]string) error{"demo": demo, "bench-rss": benchRSS, "bench-web": benchWeb}
	if len(os.Args) == 2 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println(version.Version)
		return
	}
	if len(os.Args) < 2 || cmds[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: pitwall demo [flags]       everything in one process (pitwall demo -h)")
		fmt.Fprintln(os.Stderr, "       pitwall bench-rss [flags]  trackside memory after 100k laps")
		fmt.Fprintln(os.Stderr, "       pitwall bench-web [flags]  load test of a kiosk's public pages (2,000 SSE clients)")
		fmt.Fprintln(os.Stderr, "       pitwall -version           print the version")
		os.Exit(2)
	}
	if err := cmds[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "pitwall %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func demo(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ExitOnError)
	addr := fs.String("broker", "127.0.0.1:18830", "address of the embedded MQTT broker")
	dataDir := fs.String("data", filepath.Join(os.TempDir(), "pitwall-demo"), "data directory of the simulated trackside")
	racers := fs.Int("racers", 12, "number of demo racers")
	duration := fs.Duration("race", time.Minute, "race time (1m..10m)")
	runFor := fs.Duration("for", 0, "stop after this long (0: until Ctrl-C)")
	seed := fs.Int64("seed", time.Now().UnixNano(), "simulator seed")
	logFile := fs.String("log", filepath.Join(os.TempDir(), "pitwall-demo.log"), "log file (the terminal shows the board)")
	plain := fs.Bool("plain", false, "print the board as plain text every few seconds instead of redrawing")
	previewAddr := fs.String("preview", "127.0.0.1:8080", "address of the kiosk's HTTP preview (open it in a browser)")
	webAddr := fs.String("web", "127.0.0.1:8082", "address of the kiosk's public pages (docs/web.md); empty: none")
	size := fs.String("size", "1920x1080", "kiosk screen size: 800x480, 1280x720, 1920x1080 or 3840x2160")
	consoleAddr := fs.String("console", "127.0.0.1:8081", `address of the officials' console preview (clicks are taps; "" for none)`)
	consoleSize := fs.String("console-size", "800x480", "console screen size: 800x480 (Pi display) up to 1920x1080")
	autoOfficial := fs.Bool("auto-official", false, "run races unattended with a simulated official instead of by hand on the console")
	fs.Parse(args)

	lf, err := os.OpenFile(*logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("-log: %w", err)
	}
	defer lf.Close()
	log := slog.New(slog.NewTextHandler(lf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *runFor > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *runFor)
		defer cancel()
	}

	// The broker's roles hold in the demo as at a venue: a fresh event
	// secret per run, from which the trackside, the kiosk and the terminal
	// board derive their passwords (docs/admin.md).
	if err := os.MkdirAll(*dataDir, 0o750); err != nil {
		return fmt.Errorf("-data: %w", err)
	}
	secretFile := filepath.Join(*dataDir, "event.secret")
	b, err := broker.Start(broker.Config{Addr: *addr, Secret: []byte(mqtt.NewSecret()), Logger: log})
	if err != nil {
		return fmt.Errorf("embedded broker on %s: %w", *addr, err)
	}
	defer b.Close()
	if err := b.WriteSecretFile(secretFile); err != nil {
		return err
	}

	dur := unit.Duration(*duration)
	cfg := unit.Config{
		Track:   "1",
		DataDir: *dataDir,
		Broker:  unit.BrokerConfig{URL: b.URL(), SecretFile: secretFile},
		Rules:   unit.RulesConfig{Duration: &dur},
		Sources: []unit.SourceSpec{{
			Type: "sim", Name: "sim", Cars: *racers, Speed: 1, Seed: *seed, OffTrack: 0.15, Chatter: 0.05,
		}},
		LogLevel: "info",
		Health:   unit.Duration(30 * time.Second),
	}
	if *autoOfficial {
		cfg.Official = &unit.AutoOfficial{Racers: *racers}
	}
	if *consoleAddr != "" {
		cfg.Console.Socket = filepath.Join(*dataDir, "console.sock")
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	u, err := unit.New(cfg, unit.Options{Logger: log})
	if err != nil {
		return err
	}
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil {
		return fmt.Errorf("-size %q: want WIDTHxHEIGHT", *size)
	}
	k, previewURL, err := startKiosk(kiosk.BrokerConfig{URL: b.URL(), SecretFile: secretFile}, *dataDir, *previewAddr, *webAddr, w, h, log)
	if err != nil {
		return err
	}
	fmt.Printf("pitwall demo: kiosk preview %s — broker %s, data %s, log %s\n", previewURL, b.URL(), *dataDir, *logFile)
	errc := make(chan error, 2)
	go func() { errc <- u.Run(ctx) }()
	if !*autoOfficial {
		if err := demoRacersAndPIN(ctx, u, *racers); err != nil {
			return err
		}
	}
	if *consoleAddr != "" {
		url, err := startConsole(ctx, cfg.Console.Socket, *consoleAddr, *consoleSize, log)
		if err != nil {
			return err
		}
		fmt.Printf("pitwall demo: officials' console %s — PIN %s\n", url, demoPIN)
	}
	go func() {
		if err := k.Run(ctx); err != nil {
			log.Error("kiosk stopped", "err", err)
		}
	}()
	boardUser, boardPassword := b.Login(mqtt.KioskUser("terminal"))
	go watchBoard(ctx, b.URL(), boardUser, boardPassword, cfg.Track, *plain, previewURL, log)
	err = <-errc
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		err = nil
	}
	return err
}

// startKiosk starts a kiosk on the same broker with an HTTP preview
// output (the screen a venue would hang on the wall, in a browser tab)
// and the public pages, as a kiosk with outputs.http and web.listen does.
func startKiosk(brokerCfg kiosk.BrokerConfig, dataDir, addr, webAddr string, w, h int, log *slog.Logger) (*kiosk.Kiosk, string, error) {
	cfg := kiosk.Config{
		Kiosk: "demo", Broker: brokerCfg, Board: kiosk.BoardCombined,
		RotateEvery: kiosk.Duration(20 * time.Second), Title: "pitwall demo · DeepRacer",
		Width: w, Height: h, Outputs: kiosk.Outputs{HTTP: addr},
		Cache: filepath.Join(dataDir, "kiosk-cache.json"), LogLevel: "info",
		Web: kiosk.WebConfig{Listen: webAddr, PublicURL: demoURL(webAddr)},
	}
	k, err := kiosk.Start(cfg, kiosk.Options{Logger: log})
	if err != nil {
		return nil, "", fmt.Errorf("demo kiosk: %w", err)
	}
	return k, "http://" + k.PreviewAddr() + "/", nil
}

// demoURL is the public pages' URL the demo board shows as a QR code.
func demoURL(webAddr string) string {
	if webAddr == "" {
		return ""
	}
	return "http://" + webAddr + "/"
}
