package unit

import (
	"strings"
	"testing"
)

func TestStorageMinFreeConfig(t *testing.T) {
	const head = `{"track": "1", "data_dir": "/tmp/x", "sources": [{"type": "sim", "name": "s", "cars": 3}]`
	c, err := ParseConfig([]byte(head + `}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage.minFree() != 64<<20 {
		t.Errorf("default min_free %d, want 64 MiB", c.Storage.minFree())
	}
	for body, want := range map[string]uint64{
		`"128MB"`: 128 << 20, `"1.5GiB"`: 3 << 29, `"512 MiB"`: 512 << 20, `67108864`: 64 << 20, `"2G"`: 2 << 30,
	} {
		c, err := ParseConfig([]byte(head + `, "storage": {"min_free": ` + body + `}}`))
		if err != nil || c.Storage.minFree() != want {
			t.Errorf("min_free %s = %d, %v; want %d", body, c.Storage.minFree(), err, want)
		}
	}
	for body, want := range map[string]string{
		`"10KB"`:  "storage.min_free: 10240B is outside 1MiB..1TiB",
		`"2TB"`:   "storage.min_free: 2048GiB is outside",
		`0`:       "storage.min_free: 0B is outside",
		`"lots"`:  `"lots" is not a size`,
		`"-5MB"`:  `"-5MB" is not a size`,
		`-1`:      "not a whole number of bytes",
		`"64 XB"`: `"64 XB" is not a size`,
		`true`:    "want a number of bytes",
	} {
		_, err := ParseConfig([]byte(head + `, "storage": {"min_free": ` + body + `}}`))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("min_free %s: error %v, want %q", body, err, want)
		}
	}
	if _, err := ParseConfig([]byte(head + `, "storage": {"min_fre": "1GB"}}`)); err == nil || !strings.Contains(err.Error(), "min_fre") {
		t.Errorf("unknown storage key: %v", err)
	}
}

// FuzzParseByteSize: any text is a size or an error, never a panic, and a
// size prints back to the same number of bytes when it is whole MiB/GiB.
func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"64MB", "1.5GiB", "4096", " 512 mib ", "-1", "1e400", "9999999999T", ".", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseByteSize(s)
		if err != nil {
			return
		}
		if b >= 1<<20 && b%(1<<20) == 0 {
			back, err := ParseByteSize(b.String())
			if err != nil || back != b {
				t.Fatalf("%q = %d prints as %q, which parses as %d, %v", s, b, b.String(), back, err)
			}
		}
	})
}
