package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"pitwall/mqtt"
)

// printHuman writes res for a person: one block per track, tables for
// status, audit and export summaries. Errors go to stderr.
func printHuman(inv *invocation, res result) {
	w, ew := inv.stdout, inv.stderr
	if res.RacerID != "" && inv.g.quiet {
		fmt.Fprintln(w, res.RacerID)
	} else if res.RacerID != "" {
		fmt.Fprintf(w, "racer id: %s\n", res.RacerID)
	}
	for _, t := range res.Offline {
		fmt.Fprintf(ew, "track %s: offline (retained status), not asked\n", t)
	}
	if inv.c.name == mqtt.CmdStatus && !inv.raceID && len(res.Tracks) > 0 {
		printStatus(w, ew, res.Tracks)
		return
	}
	for _, t := range res.Tracks {
		if !t.OK {
			fmt.Fprintf(ew, "track %s: %s: %s\n", t.Track, t.Error.Code, t.Error.Message)
			if inv.c.name == mqtt.CmdRacerImport {
				printImport(w, t)
			}
			continue
		}
		switch {
		case inv.raceID:
			var st mqtt.StatusResult
			json.Unmarshal(t.Result, &st)
			if st.Race == nil {
				fmt.Fprintf(ew, "track %s: no race loaded\n", t.Track)
				continue
			}
			fmt.Fprintln(w, st.Race.ID)
		case inv.c.stream:
			printFileSummary(inv, w, ew, t)
		case inv.c.name == mqtt.CmdAudit:
			printAudit(w, t)
		case inv.c.name == mqtt.CmdRacerShow:
			var r mqtt.RacerResult
			json.Unmarshal(t.Result, &r)
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "track\t%s\nid\t%s\ndisplay\t%s\nname\t%s\ncountry\t%s\nemail\t%s\nphone\t%s\ntransponder\t%s\ndisqualified\t%v\n",
				t.Track, r.ID, r.Name, r.FullName, r.Country, r.Email, r.Phone, r.Transponder, r.Disqualified)
			tw.Flush()
		case inv.c.name == mqtt.CmdRacerImport:
			printImport(w, t)
		case inv.c.name == mqtt.CmdRacerAdd && inv.g.quiet:
		case len(t.Result) > 0:
			var b bytes.Buffer
			json.Indent(&b, t.Result, "", "  ")
			fmt.Fprintf(w, "track %s: ok\n%s\n", t.Track, b.String())
		default:
			fmt.Fprintf(w, "track %s: ok\n", t.Track)
		}
	}
}

func printStatus(w, ew io.Writer, tracks []trackResult) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRACK\tVERSION\tCLOCK\tRACERS\tRACES\tOUTBOX\tRACE\tSTATE\tRACER\tQUEUE")
	for _, t := range tracks {
		if !t.OK {
			fmt.Fprintf(tw, "%s\t(%s: %s)\n", t.Track, t.Error.Code, t.Error.Message)
			continue
		}
		var st mqtt.StatusResult
		json.Unmarshal(t.Result, &st)
		clock := "unsynced"
		if st.ClockSynced {
			clock = "synced"
		}
		raceID, state, racer := "-", "-", "-"
		if st.Race != nil {
			raceID, state, racer = st.Race.ID, st.Race.State, st.Race.Name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%d\n", t.Track, st.Version, clock, st.Racers, st.Races,
			st.OutboxDepth, raceID, state, racer, len(st.Queue))
	}
	tw.Flush()
}

func printAudit(w io.Writer, t trackResult) {
	var a mqtt.AuditResult
	json.Unmarshal(t.Result, &a)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ID\tAT\tWHO\tACTION\tTARGET\tREFUSED\n")
	for _, e := range a.Entries {
		at := "-"
		if e.At > 0 {
			at = time.UnixMilli(e.At).Local().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.ID, at, e.Who, e.Action, dash(e.Target), dash(e.Refused))
	}
	tw.Flush()
	fmt.Fprintf(w, "track %s: %d entries\n", t.Track, len(a.Entries))
}

func printImport(w io.Writer, t trackResult) {
	var r mqtt.ImportResult
	if len(t.Result) == 0 || json.Unmarshal(t.Result, &r) != nil {
		return
	}
	verb := "imported"
	if r.DryRun {
		verb = "dry run: would import"
	}
	fmt.Fprintf(w, "track %s: %s %d new, %d updated, %d refused\n", t.Track, verb, r.Added, r.Updated, len(r.Refused))
	for _, rf := range r.Refused {
		fmt.Fprintf(w, "  line %d: %s\n", rf.Line, rf.Reason)
	}
}

// printFileSummary says what was written and what it holds.
func printFileSummary(inv *invocation, w, ew io.Writer, t trackResult) {
	if t.File == "" { // written to stdout
		w.Write(t.data)
		return
	}
	fmt.Fprintf(w, "track %s: wrote %s (%s in %d chunks, SHA-256 verified)\n", t.Track, t.File, size(int64(t.Bytes)), t.Chunks)
	switch inv.c.name {
	case mqtt.CmdExportCSV:
		recs, err := csv.NewReader(bytes.NewReader(t.data)).ReadAll()
		if err != nil || len(recs) == 0 {
			return
		}
		races := map[string]bool{}
		col := -1
		for i, h := range recs[0] {
			if strings.EqualFold(h, "race_id") {
				col = i
			}
		}
		for _, r := range recs[1:] {
			if col >= 0 && col < len(r) {
				races[r[col]] = true
			}
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "ROWS\tRACES\tCOLUMNS\n%d\t%d\t%s\n", len(recs)-1, len(races), strings.Join(recs[0], ","))
		tw.Flush()
	case mqtt.CmdExportJSON:
		var doc struct {
			Racers []json.RawMessage `json:"racers"`
			Races  []json.RawMessage `json:"races"`
		}
		if json.Unmarshal(t.data, &doc) == nil {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "RACERS\tRACES\n%d\t%d\n", len(doc.Racers), len(doc.Races))
			tw.Flush()
		}
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
