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
//	trackside -new-secret FILE               write a fresh event secret (docs/admin.md)
//	trackside -broker-files DIR -secret FILE -users FILE [-owner USER]
//	                                         venue Mosquitto's password file and ACL
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

	"pitwall/internal/logging"
	"pitwall/internal/version"
	"pitwall/mqtt"
	"pitwall/trackside/store"
	"pitwall/trackside/unit"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "trackside:", err)
		os.Exit(1)
	}
}

func run() error {
	configPath := flag.String("config", "/etc/pitwall/trackside.json", "config file (JSON)")
	check := flag.Bool("check", false, "validate the config file as start does and exit")
	logFormat := flag.String("log-format", "text", "log format: text or json")
	exportCSV := flag.String("export-csv", "", "write all results as CSV to this file and exit")
	exportJSON := flag.String("export-json", "", "write all racers and races as JSON to this file and exit")
	backup := flag.String("backup", "", "copy the database to this file and exit")
	showVersion := flag.Bool("version", false, "print the version and exit")
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
	// LoadConfig is the whole of the validation: -check stops after it,
	// and unit.New repeats the same Config.Validate.
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
	if *exportCSV != "" || *exportJSON != "" || *backup != "" {
		return offline(cfg, log, *exportCSV, *exportJSON, *backup)
	}
	u, err := unit.New(cfg, unit.Options{Logger: log})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go backupOnSignal(ctx, u.Store(), cfg.DataDir, log)
	log.Info("trackside starting", "version", version.Version, "track", cfg.Track, "config", *configPath, "boot", u.Boot())
	return u.Run(ctx)
}

// offline exports or backs up a stopped unit's database.
func offline(cfg unit.Config, log *slog.Logger, csvPath, jsonPath, backupPath string) error {
	path := filepath.Join(cfg.DataDir, "pitwall.db")
	st, err := store.Open(path, store.Options{LockTimeout: 2 * time.Second, Logger: log})
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
