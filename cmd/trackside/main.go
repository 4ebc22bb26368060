// Command trackside runs a trackside unit: timing inputs → race engine →
// bbolt → MQTT. See README.md and docs/trackside.md.
//
//	trackside -config /etc/pitwall/trackside.json
//	trackside -config FILE -check            validate the config exactly as start
//	                                         does, and exit
//	trackside -config FILE -export-csv FILE  export results (unit stopped)
//	trackside -config FILE -export-json FILE
//	trackside -config FILE -backup FILE      copy the database (unit stopped;
//	                                         a running unit backs up on SIGUSR1)
//	trackside -salvage DAMAGED NEW           copy what is readable of a damaged
//	                                         database into a new one
//	trackside -new-secret FILE               write a fresh event secret (docs/admin.md)
//	trackside -broker-files DIR -secret FILE -users FILE [-owner USER]
//	                                         venue Mosquitto's password file and ACL
//	trackside -config FILE -set-pin NAME     set an official's console PIN, read
//	                                         from stdin (unit stopped; empty removes)
//
// Exports and backups of a stopped unit open the database read-only and
// change nothing in it. Exit status 3 means the database is damaged: the
// systemd unit does not restart on it (RestartPreventExitStatus=3), since
// no restart can help; the message says what to do.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	neturl "net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"pitwall/display/fb"
	"pitwall/internal/discovery"
	"pitwall/internal/logging"
	"pitwall/internal/problem"
	"pitwall/internal/sdnotify"
	"pitwall/internal/version"
	"pitwall/mqtt"
	"pitwall/trackside/store"
	"pitwall/trackside/unit"
)

// exitDamaged is the exit status for a damaged database.
const exitDamaged = 3

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "trackside:", err)
		if errors.Is(err, store.ErrDamaged) {
			fmt.Fprintln(os.Stderr, damagedHelp)
			os.Exit(exitDamaged)
		}
		os.Exit(1)
	}
}

const damagedHelp = `trackside: the database file is damaged and cannot be used as it is. Keep it: do not delete it.
  1. stop the unit:           systemctl stop pitwall-trackside
  2. copy what is readable:   trackside -salvage /var/lib/pitwall/pitwall.db /var/lib/pitwall/salvaged.db
     (the report lists what could not be read)
  3. keep the damaged file:   mv /var/lib/pitwall/pitwall.db /var/lib/pitwall/pitwall.db.damaged
  4. use the salvaged copy:   mv /var/lib/pitwall/salvaged.db /var/lib/pitwall/pitwall.db
  5. start the unit again:    systemctl start pitwall-trackside
(with another data_dir, use its pitwall.db; see docs/trackside.md, "Damaged database")`

func run() error {
	configPath := flag.String("config", "/etc/pitwall/trackside.json", "config file (JSON)")
	check := flag.Bool("check", false, "validate the config file as start does and exit")
	logFormat := flag.String("log-format", "text", "log format: text or json")
	exportCSV := flag.String("export-csv", "", "write all results as CSV to this file and exit")
	exportJSON := flag.String("export-json", "", "write all racers and races as JSON to this file and exit")
	backup := flag.String("backup", "", "copy the database to this file and exit")
	salvage := flag.Bool("salvage", false, "salvage DAMAGED NEW: copy what is readable of the damaged database DAMAGED into the new database NEW and exit")
	setPIN := flag.String("set-pin", "", "set this official's console PIN (read from stdin; empty removes it) and exit")
	showVersion := flag.Bool("version", false, "print the version and exit")
	problemFB := flag.String("problem-screen", "/dev/fb0", "framebuffer that shows why the unit cannot start (bad config, damaged database); empty: none")
	newSecret := flag.String("new-secret", "", "write a fresh event secret to this file (which must not exist) and exit")
	brokerFiles := flag.String("broker-files", "", "write the venue broker's password file and ACL into this directory and exit (needs -secret, -users)")
	secret := flag.String("secret", "", "event secret file, for -broker-files")
	users := flag.String("users", "", "broker users list, for -broker-files")
	owner := flag.String("owner", "", "with -broker-files: give the files to this user (the broker's), e.g. mosquitto")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return nil
	}
	if *salvage {
		return runSalvage(flag.Args())
	}
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (only -salvage takes file names)", flag.Args())
	}
	if *newSecret != "" {
		if err := mqtt.WriteNewSecret(*newSecret); err != nil {
			return err
		}
		fmt.Printf("%s: new event secret; copy it to every unit's boot partition as pitwall/event.secret\n", *newSecret)
		return nil
	}
	if *brokerFiles != "" {
		return writeBrokerFiles(*brokerFiles, *secret, *users, *owner)
	}
	if *check || *setPIN != "" || *exportCSV != "" || *exportJSON != "" || *backup != "" {
		// From a terminal: errors go to it, no waiting.
		// LoadConfig is the whole of the validation: -check stops after
		// it, and unit.New repeats the same Config.Validate.
		cfg, err := unit.LoadConfig(*configPath)
		if err != nil {
			return err
		}
		if *check {
			fmt.Printf("%s: ok (track %s, %d timing inputs)\n", *configPath, cfg.Track, len(cfg.Sources))
			return nil
		}
		log, err := logging.New(os.Stderr, *logFormat, cfg.LogLevel)
		if err != nil {
			return err
		}
		slog.SetDefault(log)
		if *setPIN != "" {
			return setOfficialPIN(filepath.Join(cfg.DataDir, "pitwall.db"), *setPIN)
		}
		return offline(cfg, log, *exportCSV, *exportJSON, *backup)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	notify := sdnotify.FromEnv()
	// A config that cannot be used, a damaged database or a broker not
	// found yet is shown on the unit's screen (when it has one) and in the
	// journal until it is fixed: no exit, no restart loop.
	var (
		cfg       unit.Config
		log       *slog.Logger
		u         *unit.Unit
		following bool // broker.url is "auto": follow the broker if it moves
	)
	screen := problem.ForUnit("trackside", *problemFB, func(path string, log *slog.Logger) (problem.Output, error) { return fb.Open(path, log) }, notify)
	err := screen.Until(ctx, []string{*configPath, filepath.Dir(*configPath)}, func() error {
		c, err := unit.LoadConfig(*configPath)
		if err != nil {
			return err
		}
		if log, err = logging.New(os.Stderr, *logFormat, c.LogLevel); err != nil {
			return fmt.Errorf("config %s: %w", *configPath, err)
		}
		following = c.Broker.URL != "" && discovery.Wanted(c.Broker.URL)
		if c.Broker.URL != "" {
			url, err := discovery.Resolve(ctx, c.Broker.URL, c.Broker.SecretFile, 5*time.Second, log)
			if err != nil {
				return problem.Transient(err)
			}
			c.Broker.URL = url
		}
		u, err = unit.New(c, unit.Options{Logger: log})
		if errors.Is(err, store.ErrDamaged) {
			fmt.Fprintln(os.Stderr, damagedHelp)
			return problem.WithFix(err, "This trackside's database is damaged", damagedSteps...)
		}
		if err != nil {
			return err
		}
		cfg = c
		return nil
	})
	if err != nil {
		return nil // stopped while waiting
	}
	slog.SetDefault(log)
	go backupOnSignal(ctx, u.Store(), cfg.DataDir, log)
	if host, port, ok := localBroker(cfg.Broker.URL); ok {
		// This unit uses the broker on its own host: it is the venue
		// broker's unit, and announces it for kiosks and other tracksides
		// whose broker.url is "auto" (docs/venue.md).
		go announce(ctx, host, port, cfg.Broker.SecretFile, log)
	}
	log.Info("trackside starting", "version", version.Version, "track", cfg.Track, "config", *configPath, "boot", u.Boot(), "broker", cfg.Broker.URL)
	notify.Send("READY=1\nSTATUS=timing")
	// The watchdog pings while the writer, publisher and health loops go
	// round (docs/venue.md).
	go notify.Watchdog(ctx, sdnotify.WatchdogInterval(), u.Healthy, log)
	if !following {
		return u.Run(ctx)
	}
	// A discovered broker that moves (a spare trackside, a new DHCP lease)
	// is followed by a restart, which discovers it again: timing stops for
	// the restart only, and only after the broker was gone for a while.
	f := discovery.Follower{Current: cfg.Broker.URL, Connected: u.BrokerConnected, SecretFile: cfg.Broker.SecretFile, Log: log}
	return f.Run(ctx, u.Run)
}

// damagedSteps is damagedHelp for the screen.
var damagedSteps = []string{
	"Keep the file: do not delete it. Stop the unit: systemctl stop pitwall-trackside",
	"Copy what is readable: trackside -salvage /var/lib/pitwall/pitwall.db /var/lib/pitwall/salvaged.db",
	"mv pitwall.db pitwall.db.damaged; mv salvaged.db pitwall.db (in /var/lib/pitwall), then power the unit off and on.",
}

// localBroker reports whether url names a broker on this host (loopback),
// with the port to announce.
func localBroker(url string) (host string, port uint16, ok bool) {
	u, err := neturl.Parse(url)
	if err != nil || (u.Scheme != "tcp" && u.Scheme != "mqtt") {
		return "", 0, false
	}
	ip, err := netip.ParseAddr(u.Hostname())
	if u.Hostname() != "localhost" && (err != nil || !ip.IsLoopback()) {
		return "", 0, false
	}
	p, err := strconv.ParseUint(u.Port(), 10, 16)
	if err != nil {
		p = 1883
	}
	host, _ = os.Hostname()
	if i := strings.IndexByte(host, '.'); i >= 0 {
		host = host[:i]
	}
	return host, uint16(p), host != ""
}

// announce runs the mDNS announcement of the venue broker, logging why it
// cannot.
func announce(ctx context.Context, host string, port uint16, secretFile string, log *slog.Logger) {
	var secret []byte
	if secretFile != "" {
		s, err := mqtt.ReadSecret(secretFile)
		if err != nil {
			log.Error("discovery: the broker is announced without proof (kiosks with the secret will not use it)", "err", err)
		}
		secret = s
	}
	if err := discovery.Announce(ctx, discovery.Announcement{Host: host, Port: port, Secret: secret, Log: log}); err != nil {
		log.Error("discovery: the venue broker is not announced: kiosks need its address in broker.url", "err", err)
	}
}

// runSalvage copies what is readable of a damaged database into a new one
// and prints what it could not read.
func runSalvage(args []string) error {
	if len(args) != 2 {
		return errors.New("-salvage needs two file names: DAMAGED NEW")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rep, err := store.Salvage(args[0], args[1], log)
	if err != nil {
		return err
	}
	fmt.Printf("salvaged %s into %s\n%s", args[0], args[1], rep)
	return nil
}

// offline exports or backs up a stopped unit's database. It opens it
// read-only: a stopped unit's file is not changed (no migration, no boot
// count), and a damaged one can still be read as far as it goes.
func offline(cfg unit.Config, log *slog.Logger, csvPath, jsonPath, backupPath string) error {
	path := filepath.Join(cfg.DataDir, "pitwall.db")
	st, err := store.OpenReadOnly(path, store.Options{LockTimeout: 2 * time.Second, Logger: log})
	if err != nil {
		return fmt.Errorf("%w (for a running unit send SIGUSR1 for a hot backup)", err)
	}
	defer st.Close()
	write := func(dst string, fn func(f *os.File) error) error {
		f, err := os.Create(dst)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", dst, err)
		}
		return f.Close()
	}
	if csvPath != "" {
		if err := write(csvPath, func(f *os.File) error { return st.ExportCSV(f) }); err != nil {
			return err
		}
	}
	if jsonPath != "" {
		if err := write(jsonPath, func(f *os.File) error { return st.ExportJSON(f) }); err != nil {
			return err
		}
	}
	if backupPath != "" {
		if err := st.BackupFile(backupPath); err != nil {
			return err
		}
	}
	return nil
}

// backupOnSignal takes a hot backup (while timing goes on) on SIGUSR1.
func backupOnSignal(ctx context.Context, st *store.Store, dir string, log *slog.Logger) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	defer signal.Stop(sig)
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			dst := filepath.Join(dir, "backup-"+time.Now().UTC().Format("20060102T150405Z")+".db")
			if err := st.BackupFile(dst); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("backup", "err", err)
				continue
			}
			log.Info("backup written", "file", dst)
		}
	}
}

// setOfficialPIN reads a PIN from stdin (one line) and stores its hash.
func setOfficialPIN(db, official string) error {
	fmt.Fprintf(os.Stderr, "PIN for %s (4-12 digits, empty to remove): ", official)
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read PIN: %w", err)
	}
	if err := unit.SetPIN(db, official, strings.TrimSpace(line)); err != nil {
		return fmt.Errorf("set PIN of %s in %s: %w", official, db, err)
	}
	fmt.Fprintln(os.Stderr, "ok")
	return nil
}
