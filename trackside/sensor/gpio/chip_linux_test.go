//go:build linux

package gpio

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/warthog618/go-gpiocdev"
)

// The event handler runs on gpiocdev's reader goroutine: it must convert
// the event faithfully and never block, even when Run is behind.
func TestCdevHandlerConvertsAndNeverBlocks(t *testing.T) {
	l := &cdevLines{ch: make(chan Edge, 1), log: slog.New(slog.DiscardHandler)}
	l.handle(gpiocdev.LineEvent{Offset: 17, Timestamp: 1500 * time.Millisecond,
		Type: gpiocdev.LineEventRisingEdge, Seqno: 7, LineSeqno: 3})
	done := make(chan struct{})
	go func() {
		l.handle(gpiocdev.LineEvent{Offset: 17, Type: gpiocdev.LineEventFallingEdge, LineSeqno: 4})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("handler blocked on a full channel")
	}
	if got := l.dropped.Load(); got != 1 {
		t.Errorf("dropped = %d, want 1", got)
	}
	want := Edge{Offset: 17, Rising: true, TimestampNS: int64(1500 * time.Millisecond), Seqno: 7, LineSeqno: 3}
	if got := <-l.ch; got != want {
		t.Errorf("edge = %+v, want %+v", got, want)
	}
}

// This machine has no GPIO chip: the real path must say so clearly, and
// report it as a request failure Run can retry.
func TestOpenChipWithoutHardware(t *testing.T) {
	if len(gpiocdev.Chips()) > 0 {
		t.Skip("host has GPIO chips")
	}
	if _, err := OpenChip(""); err == nil {
		t.Error("OpenChip(\"\") succeeded")
	}
	chip, err := OpenChip(LabelPi5)
	if err != nil {
		t.Fatalf("OpenChip: %v", err)
	}
	_, err = chip.Request([]int{17}, true, 5*time.Millisecond)
	if !errors.Is(err, ErrChipNotFound) {
		t.Errorf("Request = %v, want ErrChipNotFound", err)
	}
}
