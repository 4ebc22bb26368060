package mqtt

import "encoding/json"

// CommandSpec says who may run a command and where.
type CommandSpec struct {
	Role Role // least role allowed
	// Event: the command may target "*" (EventAdminReq), and every
	// trackside obeys it. Racer commands are event-wide; they may also
	// target one track, to bring a trackside that missed one up to date.
	Event bool
}

// Command names. Arguments are the *Args types below, as a JSON object.
const (
	CmdStatus = "status" // no args → StatusResult

	CmdRacerAdd         = "racer.add"         // RacerArgs
	CmdRacerUpdate      = "racer.update"      // RacerUpdateArgs: name, full name, country
	CmdRacerContact     = "racer.contact"     // RacerContactArgs: email, phone (private)
	CmdRacerTransponder = "racer.transponder" // RacerTransponderArgs
	CmdRacerDisqualify  = "racer.disqualify"  // RacerIDArgs
	CmdRacerReinstate   = "racer.reinstate"   // RacerIDArgs
	CmdRacerRemove      = "racer.remove"      // RacerIDArgs (only a racer with no races)
	CmdRacerShow        = "racer.show"        // RacerIDArgs → RacerResult (with contact details)
	CmdRacerImport      = "racer.import"      // ImportArgs → ImportResult

	CmdQueue           = "race.queue"   // RacerIDArgs (racer)
	CmdUnqueue         = "race.unqueue" // RacerIDArgs
	CmdLoad            = "race.load"    // LoadArgs: next in queue, or a racer
	CmdBind            = "race.bind"    // BindArgs: the loaded race's transponder, before the start
	CmdStart           = "race.start"
	CmdPause           = "race.pause"
	CmdResume          = "race.resume"
	CmdReset           = "race.reset" // ResetArgs
	CmdCapture         = "race.capture"
	CmdUndoFalseFinish = "race.undo-false-finish"
	CmdDNF             = "race.dnf"
	CmdEnd             = "race.end"
	CmdSubmit          = "race.submit"
	CmdDiscard         = "race.discard"
	CmdReassign        = "race.reassign" // ReassignArgs

	CmdLapEdit    = "lap.edit"    // LapArgs with time
	CmdLapValid   = "lap.valid"   // LapArgs with valid
	CmdLapDelete  = "lap.delete"  // LapArgs
	CmdLapRestore = "lap.restore" // LapArgs
	CmdLapAdd     = "lap.add"     // LapArgs: after = no, time
	CmdLapSplit   = "lap.split"   // LapArgs: no, time = first part

	CmdRulesSet = "rules.set" // RulesArgs: for races created from now on
	CmdPINSet   = "pin.set"   // PINArgs: an official's console PIN (empty: remove)

	CmdExportCSV  = "export.csv"  // ExportArgs → chunked CSV
	CmdExportJSON = "export.json" // ExportArgs → chunked JSON
	CmdBackup     = "backup"      // → chunked bbolt file
	CmdAudit      = "audit"       // AuditArgs → AuditResult
)

// Commands is every command this build knows.
var Commands = map[string]CommandSpec{
	CmdStatus: {Role: RoleOfficial, Event: true},

	CmdRacerAdd:         {Role: RoleAdmin, Event: true},
	CmdRacerUpdate:      {Role: RoleAdmin, Event: true},
	CmdRacerContact:     {Role: RoleAdmin, Event: true},
	CmdRacerTransponder: {Role: RoleAdmin, Event: true},
	CmdRacerDisqualify:  {Role: RoleAdmin, Event: true},
	CmdRacerReinstate:   {Role: RoleAdmin, Event: true},
	CmdRacerRemove:      {Role: RoleAdmin, Event: true},
	CmdRacerShow:        {Role: RoleAdmin, Event: true},
	CmdRacerImport:      {Role: RoleAdmin, Event: true},

	CmdQueue: {Role: RoleOfficial}, CmdUnqueue: {Role: RoleOfficial}, CmdLoad: {Role: RoleOfficial},
	CmdBind:  {Role: RoleOfficial},
	CmdStart: {Role: RoleOfficial}, CmdPause: {Role: RoleOfficial}, CmdResume: {Role: RoleOfficial},
	CmdReset: {Role: RoleOfficial}, CmdCapture: {Role: RoleOfficial}, CmdUndoFalseFinish: {Role: RoleOfficial},
	CmdDNF: {Role: RoleOfficial}, CmdEnd: {Role: RoleOfficial}, CmdSubmit: {Role: RoleOfficial},
	CmdDiscard: {Role: RoleOfficial}, CmdReassign: {Role: RoleOfficial},

	CmdLapEdit: {Role: RoleOfficial}, CmdLapValid: {Role: RoleOfficial}, CmdLapDelete: {Role: RoleOfficial},
	CmdLapRestore: {Role: RoleOfficial}, CmdLapAdd: {Role: RoleOfficial}, CmdLapSplit: {Role: RoleOfficial},

	CmdRulesSet: {Role: RoleAdmin, Event: true},
	CmdPINSet:   {Role: RoleAdmin, Event: true},

	CmdExportCSV:  {Role: RoleAdmin},
	CmdExportJSON: {Role: RoleAdmin},
	CmdBackup:     {Role: RoleAdmin},
	CmdAudit:      {Role: RoleAdmin},
}

// RacerArgs creates a racer. Name is the public display name (boards);
// FullName, Email and Phone are private and never leave the trackside but
// in admin replies.
type RacerArgs struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	FullName string `json:"full_name,omitempty"`
	Country  string `json:"country,omitempty"` // ISO 3166-1 alpha-2, public
	Email    string `json:"email,omitempty"`
	Phone    string `json:"phone,omitempty"`
}

// RacerUpdateArgs changes the fields that are set.
type RacerUpdateArgs struct {
	ID       string  `json:"id"`
	Name     *string `json:"name,omitempty"`
	FullName *string `json:"full_name,omitempty"`
	Country  *string `json:"country,omitempty"`
}

// RacerContactArgs sets the fields that are set ("" clears one).
type RacerContactArgs struct {
	ID    string  `json:"id"`
	Email *string `json:"email,omitempty"`
	Phone *string `json:"phone,omitempty"`
}

// RacerTransponderArgs sets the transponder (car) of a racer, "" clears it.
// The racer's races are bound to it when they are loaded, so crossings of
// other cars do not time them; without one a race learns the first
// transponder that crosses after its load.
type RacerTransponderArgs struct {
	ID          string `json:"id"`
	Transponder string `json:"transponder"`
}

// RacerIDArgs names one racer.
type RacerIDArgs struct {
	ID string `json:"id"`
}

// RacerResult is a racer as admins see it, contact details included.
type RacerResult struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	FullName     string `json:"full_name,omitempty"`
	Country      string `json:"country,omitempty"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Transponder  string `json:"transponder,omitempty"`
	Disqualified bool   `json:"disqualified,omitempty"`
}

// ImportArgs is a CSV of racers (see package racercsv for its columns).
// DryRun checks every row and changes nothing.
type ImportArgs struct {
	CSV    string `json:"csv"`
	DryRun bool   `json:"dry_run,omitempty"`
}

// ImportResult lists what an import did (or would do) and every refused row.
type ImportResult struct {
	DryRun  bool         `json:"dry_run"`
	Added   int          `json:"added"`
	Updated int          `json:"updated"`
	Refused []RowRefusal `json:"refused,omitempty"`
}

// RowRefusal is one CSV row that an import refuses.
type RowRefusal struct {
	Line   int    `json:"line"` // 1-based line of the CSV (the header is line 1)
	Reason string `json:"reason"`
}

// LoadArgs loads the racer named, or the next in the queue when empty.
type LoadArgs struct {
	Racer string `json:"racer,omitempty"`
}

// BindArgs binds the loaded race, before its start, to a transponder in
// place of its racer's (or the one it learned); "" unbinds it, so it learns
// the next transponder that crosses.
type BindArgs struct {
	Transponder string `json:"transponder"`
}

// ResetArgs adds (+1) or removes (−1) an off-track reset.
type ResetArgs struct {
	Delta int `json:"delta"`
}

// ReassignArgs gives a race to another racer.
type ReassignArgs struct {
	Race  string `json:"race"`
	Racer string `json:"racer"`
}

// LapArgs names a lap of a race. Time is a Go duration ("12.345s"): the
// new lap time (lap.edit), the missed lap's time (lap.add, after lap No),
// or the first part's time (lap.split).
type LapArgs struct {
	Race  string `json:"race"`
	No    int    `json:"no"`
	Time  string `json:"time,omitempty"`
	Valid *bool  `json:"valid,omitempty"`
}

// RulesArgs are the event's rules in config form ("3m", "2.5s"); fields left
// out keep their current value. They apply to races created from now on.
type RulesArgs = json.RawMessage

// PINArgs sets an official's console PIN (4-12 digits); "" removes it.
type PINArgs struct {
	Official string `json:"official"`
	PIN      string `json:"pin"`
}

// ExportArgs: Contacts includes email and phone (admins only; the default
// export is the public one).
type ExportArgs struct {
	Contacts bool `json:"contacts,omitempty"`
}

// AuditArgs filters the audit log; empty fields match all. Entries come
// oldest first, after AfterID, at most Limit (default and max 1000).
type AuditArgs struct {
	Race    string `json:"race,omitempty"`
	Racer   string `json:"racer,omitempty"`
	Who     string `json:"who,omitempty"`
	AfterID uint64 `json:"after_id,omitempty"`
	Limit   int    `json:"limit,omitempty"`
}

// AuditEntry is one audit log entry in a reply.
type AuditEntry struct {
	ID     uint64          `json:"id"`
	At     int64           `json:"at"` // Unix ms of the unit's clock (may be unsynced)
	Who    string          `json:"who"`
	Action string          `json:"action"`
	Target string          `json:"target,omitempty"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
	// Refused: the command was refused or failed, and why; it changed nothing.
	Refused string `json:"refused,omitempty"`
}

// AuditResult is a page of the audit log; More says a next page exists.
type AuditResult struct {
	Entries []AuditEntry `json:"entries"`
	More    bool         `json:"more,omitempty"`
}

// StatusResult is a trackside's state for admins.
type StatusResult struct {
	Track       string    `json:"track"`
	Version     string    `json:"version,omitempty"`
	ClockSynced bool      `json:"clock_synced"`
	Racers      int       `json:"racers"`
	Races       int       `json:"races"`
	OutboxDepth int       `json:"outbox_depth"`
	Race        *LiveRace `json:"race,omitempty"`
	Queue       []string  `json:"queue,omitempty"`
}
