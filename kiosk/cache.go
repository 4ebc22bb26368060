package kiosk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"pitwall/kiosk/model"
	"pitwall/mqtt"
)

// cacheVersion is the version of the cache file's own layout.
const cacheVersion = 1

// maxCacheBytes bounds the cache file read at boot: three payloads of at
// most mqtt.MaxPayload for each of a few tracks. A larger file is not one
// this kiosk wrote.
const maxCacheBytes = 64 << 20

// cacheFile is what a kiosk keeps across reboots: the inputs of its board
// (each track's latest payloads exactly as received, so they are checked
// again on load like any message) rather than the board itself, so a
// restored board is built by the same code as a live one.
type cacheFile struct {
	V int `json:"v"`
	// Boots counts the kiosk's starts; the kiosk's status seq is
	// Boots<<32 | n, increasing across restarts as the contract asks.
	Boots uint64 `json:"boots"`
	// LastContactMS is the wall time (Unix ms) the kiosk last heard from
	// the broker; 0 when its clock was not synced then.
	LastContactMS int64         `json:"last_contact_ms,omitempty"`
	SavedMS       int64         `json:"saved_ms,omitempty"` // wall time of the save, when synced
	Tracks        []cachedTrack `json:"tracks"`
}

// cachedTrack is one track's latest retained payloads.
type cachedTrack struct {
	ID        string          `json:"id"`
	Status    json.RawMessage `json:"status,omitempty"`
	Standings json.RawMessage `json:"standings,omitempty"`
	Race      json.RawMessage `json:"race,omitempty"`
}

// cachedTracks copies the inputs' payloads into cache form.
func cachedTracks(in *model.Inputs) []cachedTrack {
	order := in.Order()
	out := make([]cachedTrack, 0, len(order))
	for _, id := range order {
		ts := in.Track(id)
		out = append(out, cachedTrack{
			ID:        id,
			Status:    ts.Raw[model.KindStatus],
			Standings: ts.Raw[model.KindStandings],
			Race:      ts.Raw[model.KindRace],
		})
	}
	return out
}

// Messages turns the cache back into messages, to be applied like ones
// from the broker. They carry no receipt time: a race state from the cache
// is not shown until the broker confirms it.
func (f cacheFile) Messages() []model.Message {
	var out []model.Message
	for _, t := range f.Tracks {
		for _, p := range []struct {
			topic string
			raw   json.RawMessage
		}{
			{mqtt.TrackStatus(t.ID), t.Status},
			{mqtt.TrackStandings(t.ID), t.Standings},
			{mqtt.TrackRace(t.ID), t.Race},
		} {
			if len(p.raw) > 0 {
				out = append(out, model.Message{Topic: p.topic, Payload: []byte(p.raw), Retained: true})
			}
		}
	}
	return out
}

// LastContact is LastContactMS as a time (zero when unknown).
func (f cacheFile) LastContact() time.Time {
	if f.LastContactMS <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(f.LastContactMS)
}

// errNoCache is wrapped by readCache when there is no cache file yet.
var errNoCache = errors.New("no cache file")

// readCache reads and checks a cache file. Payloads inside are checked
// when they are applied.
func readCache(path string) (cacheFile, error) {
	var f cacheFile
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return f, fmt.Errorf("read cache %s: %w", path, errNoCache)
	}
	if err != nil {
		return f, fmt.Errorf("read cache: %w", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxCacheBytes+1))
	if err != nil {
		return f, fmt.Errorf("read cache %s: %w", path, err)
	}
	if len(b) > maxCacheBytes {
		return f, fmt.Errorf("read cache %s: larger than %d bytes", path, maxCacheBytes)
	}
	return decodeCache(b)
}

// decodeCache parses a cache file's content.
func decodeCache(b []byte) (cacheFile, error) {
	var f cacheFile
	if err := json.Unmarshal(b, &f); err != nil {
		return cacheFile{}, fmt.Errorf("decode cache: %w", err)
	}
	if f.V != cacheVersion {
		return cacheFile{}, fmt.Errorf("decode cache: version %d, this build reads %d", f.V, cacheVersion)
	}
	seen := map[string]bool{}
	for i, t := range f.Tracks {
		if err := mqtt.ValidID(t.ID); err != nil {
			return cacheFile{}, fmt.Errorf("decode cache: tracks[%d]: %w", i, err)
		}
		if seen[t.ID] {
			return cacheFile{}, fmt.Errorf("decode cache: tracks[%d]: track %q listed twice", i, t.ID)
		}
		seen[t.ID] = true
	}
	return f, nil
}

// encodeCache serialises a cache file.
func encodeCache(f cacheFile) ([]byte, error) {
	f.V = cacheVersion
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode cache: %w", err)
	}
	return b, nil
}

// writeCache encodes f and replaces the file at path atomically.
func writeCache(path string, f cacheFile) error {
	b, err := encodeCache(f)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b, 0o644)
}
