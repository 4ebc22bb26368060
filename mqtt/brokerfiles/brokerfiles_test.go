package brokerfiles

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pitwall/mqtt"
)

// A hash mosquitto_passwd -U made for user u1, password pw1 (Mosquitto
// 2.0.11): HashPassword must produce the same string from the same salt.
func TestHashPasswordMatchesMosquittoPasswd(t *testing.T) {
	const want = "$7$101$Dzc9gJ/6YHwCrZyb$1/ah3CgegjSLLlHw4ingcPEtRr4rMdMWpbIIguHzqRElLvpBV8Ix0PJJRSNbhg3763tVKN4ie/9yPS7kOsCDOA=="
	salt, _ := base64.StdEncoding.DecodeString("Dzc9gJ/6YHwCrZyb")
	got, err := HashPassword("pw1", salt, 101)
	if err != nil || got != want {
		t.Fatalf("HashPassword = %q, %v\nwant           %q", got, err, want)
	}
}

func TestParseUsers(t *testing.T) {
	roles, err := ParseUsers([]byte("\uFEFF# event users\r\nadmin\r\n\r\ntrackside-1  # hall A\nkiosk-hall-a-1\n"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range roles {
		names = append(names, r.User())
	}
	if got := strings.Join(names, " "); got != "admin trackside-1 kiosk-hall-a-1" {
		t.Fatalf("users %q", got)
	}
	for in, want := range map[string]string{
		"admin\nviewer\n":           "line 2",
		"admin\nkiosk-1\nkiosk-1\n": `line 3: user "kiosk-1" already on line 2`,
		"# nobody\n":                "no broker users",
		"trackside-1 trackside-2\n": "line 1",
	} {
		if _, err := ParseUsers([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseUsers(%q) = %v, want an error with %q", in, err, want)
		}
	}
}

func TestShippedUsersList(t *testing.T) {
	roles, err := ReadUsers("../../packaging/mosquitto/mqtt-users.txt")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[mqtt.Kind]int{}
	for _, r := range roles {
		kinds[r.Kind]++
	}
	if kinds[mqtt.KindAdmin] == 0 || kinds[mqtt.KindTrackside] == 0 || kinds[mqtt.KindKiosk] == 0 {
		t.Fatalf("shipped users list lacks a role: %v", kinds)
	}
}

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "broker")
	secret := []byte("0123456789abcdef0123456789abcdef")
	users, _ := ParseUsers([]byte("trackside-1\nkiosk-k1\nadmin\n"))
	if err := Write(dir, secret, users); err != nil {
		t.Fatal(err)
	}
	pw, err := os.ReadFile(filepath.Join(dir, PasswordFileName))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(pw)), "\n")
	if len(lines) != 3 {
		t.Fatalf("password file %q", pw)
	}
	for i, r := range users {
		user, hash, _ := strings.Cut(lines[i], ":")
		parts := strings.Split(hash, "$")
		if user != r.User() || len(parts) != 5 || parts[1] != "7" || parts[2] != "101" {
			t.Fatalf("line %q", lines[i])
		}
		salt, _ := base64.StdEncoding.DecodeString(parts[3])
		want, _ := HashPassword(mqtt.DerivePassword(secret, user), salt, 101)
		if hash != want {
			t.Errorf("%s: hash is not of the derived password", user)
		}
	}
	acl, _ := os.ReadFile(filepath.Join(dir, ACLFileName))
	for _, want := range []string{
		"\nuser kiosk-k1\ntopic read pitwall/v1/track/+/status\n",
		"topic readwrite pitwall/v1/kiosk/k1/status\n",
		"\nuser trackside-1\ntopic readwrite pitwall/v1/track/1/#\ntopic read pitwall/v1/event/admin/req\n",
		"\nuser admin\ntopic read pitwall/v1/#\ntopic write pitwall/v1/track/+/admin/req\ntopic write pitwall/v1/event/admin/req\n",
	} {
		if !strings.Contains(string(acl), want) {
			t.Errorf("ACL lacks %q:\n%s", want, acl)
		}
	}
	if strings.Index(string(acl), "topic") < strings.Index(string(acl), "\nuser ") {
		t.Error("ACL grants something to anonymous clients")
	}
	for _, name := range []string{PasswordFileName, ACLFileName} {
		if st, _ := os.Stat(filepath.Join(dir, name)); st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, st.Mode().Perm())
		}
	}
}

func FuzzParseUsers(f *testing.F) {
	f.Add([]byte("admin\ntrackside-1\nkiosk-k1\n"))
	f.Add([]byte("# c\r\n\uFEFFadmin # x\n"))
	f.Add([]byte("kiosk-1\nkiosk-1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		roles, err := ParseUsers(data)
		if err != nil {
			return
		}
		acl := string(ACL(roles))
		for _, r := range roles {
			if !strings.Contains(acl, "\nuser "+r.User()+"\n") {
				t.Fatalf("ACL has no section for %q", r.User())
			}
		}
	})
}
