//go:build unix

package display

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps a font file read-only. The mapping lives as long as the
// process: pages are read from the page cache as glyphs need them, so a
// 5 MB CJK font costs the kiosk only the pages of the glyphs it drew.
func mapFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Size() == 0 || st.Size() > 1<<30 {
		return nil, fmt.Errorf("font %s: size %d bytes is not a font", path, st.Size())
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	return data, nil
}
