package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"pitwall/mqtt"
	"pitwall/trackside/crossing"
	"pitwall/trackside/race"
)

// Environment of the child processes these tests start from their own
// binary: what to do, and on which database.
const (
	envHelperMode = "PITWALL_STORE_HELPER"
	envHelperDB   = "PITWALL_STORE_HELPER_DB"
)

// child starts this test binary running only TestHelperWriter in mode. The
// child's stdin is a pipe that ends when this process does, so a "hold"
// child never outlives the test.
func child(t *testing.T, mode, path string) (*exec.Cmd, io.ReadCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), envHelperMode+"="+mode, envHelperDB+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, out
}

// TestHelperWriter is not a test: it is the child process of the tests
// below, and does nothing unless started by them.
//
//	hold:  open the database, print "locked", keep it open until stdin closes.
//	write: commit crossings forever, printing "committed <id>" after each commit.
func TestHelperWriter(t *testing.T) {
	mode, path := os.Getenv(envHelperMode), os.Getenv(envHelperDB)
	if mode == "" {
		t.Skip("child process of TestLockHeldByAnotherProcess and TestCrashKeepsEveryCommit")
	}
	s, err := Open(path, Options{Logger: quiet, LockTimeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	switch mode {
	case "hold":
		fmt.Println("locked")
		_, _ = io.Copy(io.Discard, os.Stdin)
	case "write":
		for i := 0; ; i++ {
			var id uint64
			err := s.Update(func(tx *Tx) error { return writeCrashStep(tx, &id) })
			if err != nil {
				fmt.Fprintln(os.Stderr, "helper:", err)
				os.Exit(3)
			}
			// One write(2) per line: a kill cannot split it.
			_, _ = os.Stdout.WriteString("committed " + strconv.FormatUint(id, 10) + "\n")
		}
	}
	os.Exit(0)
}

// writeCrashStep is one trackside transaction in miniature: the crossing,
// a lap in the race it closes, a payload sequence number, a lap event and
// the retained race state. Its invariants are checked by checkCrashInvariants.
func writeCrashStep(tx *Tx, id *uint64) error {
	var err error
	if *id, err = tx.AddCrossing(sampleCrossing(tx.CrossingCount() + 1)); err != nil {
		return err
	}
	r, ok, err := tx.Race("crash")
	if err != nil {
		return err
	}
	if !ok {
		r = sampleRace("crash", "alice", 1, 0)
	}
	r.Laps = append(r.Laps, race.Lap{No: len(r.Laps) + 1, Seq: *id, Valid: true})
	if err := tx.PutRace(r); err != nil {
		return err
	}
	seq, err := tx.NextSeq()
	if err != nil {
		return err
	}
	payload := []byte(fmt.Sprintf(`{"seq":%d,"crossing":%d}`, seq, *id))
	if _, err := tx.Enqueue(mqtt.Message{Topic: mqtt.TrackLaps("t1"), Payload: payload}); err != nil {
		return err
	}
	_, err = tx.Enqueue(mqtt.Message{Topic: mqtt.TrackRace("t1"), Payload: payload, Retained: true})
	return err
}

// checkCrashInvariants: every step was all-or-nothing.
func checkCrashInvariants(t *testing.T, s *Store) (crossings int) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatalf("bbolt check: %v", err)
	}
	mustView(t, s, func(tx *Tx) error {
		crossings = tx.CrossingCount()
		next := uint64(1)
		if err := tx.ForEachCrossing(0, func(id uint64, _ crossing.Crossing) error {
			if id != next {
				t.Fatalf("crossing %d stored where %d was expected", id, next)
			}
			next++
			return nil
		}); err != nil {
			return err
		}
		if int(next-1) != crossings {
			t.Fatalf("%d crossings stored, CrossingCount says %d", next-1, crossings)
		}
		r, ok, err := tx.Race("crash")
		if err != nil {
			return err
		}
		if crossings > 0 && (!ok || len(r.Laps) != crossings) {
			t.Fatalf("%d crossings but race has %d laps (found %v)", crossings, len(r.Laps), ok)
		}
		for i, l := range r.Laps {
			if l.Seq != uint64(i+1) {
				t.Fatalf("lap %d belongs to crossing %d", i+1, l.Seq)
			}
		}
		return nil
	})
	msgs, err := s.Pending(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	events, retained := 0, 0
	for _, m := range msgs {
		if m.Retained {
			retained++
			if want := fmt.Sprintf(`"crossing":%d}`, crossings); !strings.HasSuffix(string(m.Payload), want) {
				t.Fatalf("retained state %s is not the last crossing's (%d)", m.Payload, crossings)
			}
		} else {
			events++
		}
	}
	if events != crossings || (crossings > 0 && retained != 1) || s.OutboxDepth() != len(msgs) {
		t.Fatalf("outbox: %d events, %d retained, depth %d for %d crossings", events, retained, s.OutboxDepth(), crossings)
	}
	return crossings
}

// TestCrashKeepsEveryCommit kills a writing child process at random moments
// (including during creation and Open) and checks that every crossing it
// reported committed survived, and every transaction is whole.
func TestCrashKeepsEveryCommit(t *testing.T) {
	path := dbPath(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	var reported []uint64
	for round := 0; round < 20; round++ {
		cmd, out := child(t, "write", path)
		lines := make(chan []uint64, 1)
		go func() {
			var ids []uint64
			br := bufio.NewReader(out)
			for {
				line, err := br.ReadString('\n')
				if err != nil { // EOF after the kill; a line without '\n' was never completed
					lines <- ids
					return
				}
				id, perr := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(line), "committed "), 10, 64)
				if perr != nil {
					t.Errorf("child said %q", line)
					continue
				}
				ids = append(ids, id)
			}
		}()
		time.Sleep(time.Duration(rng.IntN(250)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		ids := <-lines
		err := cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != -1 {
			t.Fatalf("round %d: child ended with %v before the kill", round, err)
		}
		for i, id := range ids {
			want := uint64(len(reported) + i + 1)
			if id != want {
				t.Fatalf("round %d: child committed crossing %d, want %d", round, id, want)
			}
		}
		reported = append(reported, ids...)

		s, err := Open(path, Options{Logger: quiet})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		n := checkCrashInvariants(t, s)
		// Everything reported is there; at most one more commit can have
		// landed between its fsync and the print.
		if n < len(reported) || n > len(reported)+1 {
			t.Fatalf("round %d: store has %d crossings, child reported %d", round, n, len(reported))
		}
		reported = reported[:0]
		for id := uint64(1); id <= uint64(n); id++ {
			reported = append(reported, id)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d crossings committed over 20 kills", len(reported))
	if len(reported) == 0 {
		t.Error("the child never committed anything: the kills came too early to test anything")
	}
}

func TestLockHeldByAnotherProcess(t *testing.T) {
	path := dbPath(t)
	cmd, out := child(t, "hold", path)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child said %q %v", line, err)
	}
	start := time.Now()
	s, err := Open(path, Options{Logger: quiet, LockTimeout: 300 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("opened a database another process holds")
	}
	waited := time.Since(start)
	t.Logf("error: %v", err)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("error %q: want ErrInUse naming %s", err, path)
	}
	if waited < 250*time.Millisecond || waited > 3*time.Second {
		t.Errorf("gave up after %v, want about the 300ms LockTimeout", waited)
	}
	// Once the other process is gone, the database opens.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	s = openAt(t, path)
	if s.Boot() != 2 {
		t.Errorf("Boot = %d, want 2 (the child was boot 1)", s.Boot())
	}
}

func TestLockHeldInThisProcess(t *testing.T) {
	path := dbPath(t)
	first := openAt(t, path)
	_, err := Open(path, Options{Logger: quiet, LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), path) {
		t.Fatalf("second Open = %v, want ErrInUse naming %s", err, path)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	openAt(t, path)
}
