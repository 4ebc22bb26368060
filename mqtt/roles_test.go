package mqtt

import (
	"strings"
	"testing"
)

func TestParseUser(t *testing.T) {
	for name, want := range map[string]BrokerUser{
		"admin":            {Kind: KindAdmin},
		"admin-alice":      {Kind: KindAdmin, ID: "alice"},
		"trackside-1":      {Kind: KindTrackside, ID: "1"},
		"trackside-hall_b": {Kind: KindTrackside, ID: "hall_b"},
		"kiosk-hall-a-1":   {Kind: KindKiosk, ID: "hall-a-1"},
	} {
		got, err := ParseUser(name)
		if err != nil || got != want {
			t.Errorf("ParseUser(%q) = %+v, %v; want %+v", name, got, err, want)
		}
		if got.User() != name {
			t.Errorf("%+v.User() = %q, want %q", got, got.User(), name)
		}
	}
	for _, bad := range []string{"", "anonymous", "Admin", "admin-", "trackside-", "trackside-+", "trackside-1/#",
		"kiosk-", "kiosk-A", "kiosk-a b", "trackside", "kiosk", "trackside-" + strings.Repeat("x", 33)} {
		if r, err := ParseUser(bad); err == nil {
			t.Errorf("ParseUser(%q) = %+v, want an error", bad, r)
		}
	}
}

func TestCovers(t *testing.T) {
	for _, c := range []struct {
		grant, filter string
		want          bool
	}{
		{"a/#", "a", true},
		{"a/#", "a/b/c", true},
		{"a/#", "a/+/c", true},
		{"a/#", "#", false},
		{"a/+/c", "a/b/c", true},
		{"a/+/c", "a/+/c", true},
		{"a/+/c", "a/#", false},
		{"a/+/c", "a/b/c/d", false},
		{"a/+/c", "a/b", false},
		{"a/b", "a/+", false},
		{"a/b", "a/b", true},
		{"a/b", "a/c", false},
	} {
		if got := Covers(c.grant, c.filter); got != c.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", c.grant, c.filter, got, c.want)
		}
	}
}

// The rules at the level of topics; the brokers are tested with the same
// cases in mqtt/broker.
func TestRoleRules(t *testing.T) {
	kiosk, _ := ParseUser("kiosk-k1")
	side, _ := ParseUser("trackside-1")
	admin, _ := ParseUser("admin")
	for _, c := range []struct {
		role  BrokerUser
		topic string
		read  bool
		write bool
	}{
		{kiosk, TrackStandings("1"), true, false},
		{kiosk, AllTrackStandings, true, false},
		{kiosk, KioskStatus("k1"), true, true},
		{kiosk, KioskStatus("k2"), false, false},
		{kiosk, AdminResp("1"), false, false},
		{kiosk, AdminReq("1"), false, false},
		{kiosk, Root + "/#", false, false},
		{side, TrackStandings("1"), true, true},
		{side, AdminResp("1"), true, true},
		{side, AdminReq("1"), true, true},
		{side, EventAdminReq, true, false},
		{side, TrackStandings("2"), true, false},
		{side, AdminReq("2"), false, false},
		{side, AdminResp("2"), false, false},
		{side, KioskStatus("k1"), false, false},
		{admin, Root + "/#", true, false},
		{admin, AdminReq("7"), true, true},
		{admin, EventAdminReq, true, true},
		{admin, TrackStandings("1"), true, false},
		{admin, "$SYS/broker/uptime", false, false},
	} {
		if got := c.role.MayRead(c.topic); got != c.read {
			t.Errorf("%s MayRead(%s) = %v, want %v", c.role.User(), c.topic, got, c.read)
		}
		if got := c.role.MayPublish(c.topic); got != c.write {
			t.Errorf("%s MayPublish(%s) = %v, want %v", c.role.User(), c.topic, got, c.write)
		}
	}
}

func FuzzParseUser(f *testing.F) {
	for _, s := range []string{"admin", "admin-x", "trackside-1", "kiosk-hall-a-1", "kiosk-", "trackside-+/#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		r, err := ParseUser(name)
		if err != nil {
			return
		}
		if r.User() != name {
			t.Fatalf("ParseUser(%q).User() = %q", name, r.User())
		}
		// No user may ever publish outside its role's topics or with a
		// wildcard, whatever its name.
		for _, g := range r.Grants() {
			if !strings.HasPrefix(g.Filter, Root+"/") {
				t.Fatalf("%q has grant %q outside %s", name, g.Filter, Root)
			}
		}
		if r.MayPublish(Root+"/#") || r.MayPublish(AllTrackStandings) {
			t.Fatalf("%q may publish to a wildcard", name)
		}
	})
}
