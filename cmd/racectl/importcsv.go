package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"pitwall/mqtt"
)

// importArgs is racer.import's arguments plus, for racectl only, where
// each line of the CSV it sends came from in the user's file (a refusal
// names the user's line).
type importArgs struct {
	mqtt.ImportArgs
	lines map[int]int
}

// fillRacerIDs gives every row of a racer CSV an id: rows that have one
// keep it; others get one derived from the row's email, or from its full
// and display names when it has no email — so importing the same file
// twice updates those racers instead of adding them again. An "id" column
// is added when missing. It returns the CSV to send and, for each line of
// it, the line of data it came from.
func fillRacerIDs(data []byte) ([]byte, map[int]int, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	idCol, hasID := col["id"]
	if !hasID {
		header = append(header, "id")
		idCol = len(header) - 1
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.ToLower(strings.TrimSpace(rec[i]))
		}
		return ""
	}
	var out bytes.Buffer
	cw := csv.NewWriter(&out)
	lines := map[int]int{}
	written := 1 // lines of out so far: the header's
	if err := cw.Write(header); err != nil {
		return nil, nil, err
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		line, _ := cr.FieldPos(0)
		for len(rec) <= idCol && !hasID {
			rec = append(rec, "")
		}
		if idCol < len(rec) && strings.TrimSpace(rec[idCol]) == "" {
			seed := "email\x00" + field(rec, "email")
			if field(rec, "email") == "" {
				seed = "name\x00" + field(rec, "name") + "\x00" + field(rec, "display_name")
			}
			rec[idCol] = derivedRacerID(seed)
		}
		if err := cw.Write(rec); err != nil {
			return nil, nil, err
		}
		cw.Flush()
		lines[written+1] = line
		written = bytes.Count(out.Bytes(), []byte("\n"))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, nil, err
	}
	return out.Bytes(), lines, nil
}

// derivedRacerID is "r-" and 8 base32 characters of a hash of seed.
func derivedRacerID(seed string) string {
	sum := sha256.Sum256([]byte("pitwall racer id\x00" + seed))
	return "r-" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:5]))
}
