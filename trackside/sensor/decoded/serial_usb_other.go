//go:build !linux

package decoded

import (
	"fmt"
	"runtime"
)

// usbSerialPorts is Linux-only: the enumerator needs cgo elsewhere and the
// appliance runs Linux. Give the port's Path instead.
func usbSerialPorts() ([]usbPort, error) {
	return nil, fmt.Errorf("%w: finding a serial port by USB identity is supported on Linux only, not %s; set the port path",
		ErrConfig, runtime.GOOS)
}
