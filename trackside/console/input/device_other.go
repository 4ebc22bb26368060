//go:build !linux

package input

import (
	"fmt"
	"runtime"
)

// Dir is the Source of event devices in /dev/input; evdev exists on Linux
// only, so elsewhere it lists nothing and opens nothing (the console then
// runs from the browser preview or a replayed stream).
type Dir struct {
	Path string
}

func (Dir) List() ([]string, error) { return nil, nil }

func (Dir) Open(path string) (Device, error) {
	return nil, fmt.Errorf("open input device %s: evdev needs Linux, not %s", path, runtime.GOOS)
}
