package unit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"pitwall/trackside/pin"
	"pitwall/trackside/store"
)

// The officials' PINs can come from a text file on the boot partition
// (console.officials_file, /etc/pitwall/officials.txt on a unit), so an
// organiser sets up the console with a text editor on any laptop: no
// terminal, no admin key. One official per line, "Name: PIN"; "Name:" with
// no PIN removes that official's PIN. The file is read at every start and
// only the hash goes into the store (pin.Hash); PINs set with the admin
// command pin.set for officials not in the file are kept.

// Official is one line of an officials file.
type Official struct {
	Name string
	PIN  string // "" removes the official's PIN
}

// ParseOfficials reads an officials file. Comments (#), blank lines, Windows
// line ends and a UTF-8 byte order mark are ignored; a line that is not
// "Name: PIN" with a valid PIN is an error naming the line.
func ParseOfficials(data []byte) ([]Official, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	var out []Official
	seen := map[string]int{}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, p, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: want \"Name: PIN\" (e.g. \"Ana Ruiz: 2468\")", n)
		}
		name, p = strings.TrimSpace(name), strings.TrimSpace(p)
		if name == "" || len(name) > 64 {
			return nil, fmt.Errorf("line %d: the official's name must be 1 to 64 bytes", n)
		}
		if p != "" {
			if err := pin.Valid(p); err != nil {
				return nil, fmt.Errorf("line %d (%s): %w", n, name, err)
			}
		}
		if first, dup := seen[name]; dup {
			return nil, fmt.Errorf("line %d: %s is already on line %d", n, name, first)
		}
		seen[name] = n
		out = append(out, Official{Name: name, PIN: p})
	}
	return out, nil
}

// LoadOfficials reads and checks an officials file; a missing file is no
// officials (nil) and no error.
func LoadOfficials(path string) ([]Official, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("console.officials_file: %w", err)
	}
	list, err := ParseOfficials(data)
	if err != nil {
		return nil, fmt.Errorf("console.officials_file %s: %w", path, err)
	}
	return list, nil
}

// ApplyOfficials brings the store's PINs in line with list in one
// transaction: a PIN that already matches is left as it is (its hash is
// salted, so rewriting it would change the store at every start).
func ApplyOfficials(st *store.Store, list []Official) (set, kept, removed int, err error) {
	err = st.Update(func(tx *store.Tx) error {
		set, kept, removed = 0, 0, 0
		for _, o := range list {
			cur := tx.Config(pin.Setting(o.Name))
			switch {
			case o.PIN == "" && len(cur) == 0:
			case o.PIN == "":
				if err := tx.SetConfig(pin.Setting(o.Name), nil); err != nil {
					return err
				}
				removed++
			case len(cur) > 0 && pin.Check(cur, o.PIN):
				kept++
			default:
				h, err := pin.Hash(o.PIN)
				if err != nil {
					return fmt.Errorf("%s: %w", o.Name, err)
				}
				if err := tx.SetConfig(pin.Setting(o.Name), h); err != nil {
					return err
				}
				set++
			}
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("officials' PINs: %w", err)
	}
	return set, kept, removed, err
}

// applyOfficialsFile is New's step for console.officials_file.
func applyOfficialsFile(st *store.Store, path string, log *slog.Logger) error {
	if path == "" {
		return nil
	}
	list, err := LoadOfficials(path)
	if err != nil {
		return err
	}
	if list == nil {
		log.Info("no officials file: PINs come from the admin command pin.set", "file", path)
		return nil
	}
	set, kept, removed, err := ApplyOfficials(st, list)
	if err != nil {
		return err
	}
	log.Info("officials' PINs", "file", path, "set", set, "unchanged", kept, "removed", removed)
	return nil
}
