package crossing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"
)

func TestDeliverRetriesUntilRecorded(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var calls int
	sink := func(ctx context.Context, c Crossing) error {
		calls++
		if calls < 4 {
			return errors.New("disk busy")
		}
		return nil
	}
	if err := Deliver(context.Background(), sink, Crossing{Seq: 7}, time.Millisecond, 2*time.Millisecond, log); err != nil {
		t.Fatal(err)
	}
	if calls != 4 {
		t.Fatalf("sink called %d times, want 4", calls)
	}
}

func TestDeliverStopsOnlyWithContext(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	var calls int
	err := Deliver(ctx, func(context.Context, Crossing) error { calls++; return errors.New("no") }, Crossing{}, time.Millisecond, 4*time.Millisecond, log)
	if !errors.Is(err, context.DeadlineExceeded) || calls < 3 {
		t.Fatalf("err %v after %d calls, want the context's error after several tries", err, calls)
	}
}

func TestDeliverDoesNotRetryARejectedCrossing(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var calls int
	sink := func(context.Context, Crossing) error {
		calls++
		return fmt.Errorf("crossing 1: %w: source is empty", ErrRejected)
	}
	if err := Deliver(context.Background(), sink, Crossing{}, time.Millisecond, time.Millisecond, log); err != nil {
		t.Fatalf("rejected crossing: %v, want nil so the input reads on", err)
	}
	if calls != 1 {
		t.Fatalf("sink called %d times for a rejected crossing, want 1", calls)
	}
}
