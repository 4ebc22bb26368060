//go:build linux

package decoded

import (
	"fmt"

	"go.bug.st/serial/enumerator"
)

// usbSerialPorts lists the USB serial ports with their identities (from
// sysfs; no device is probed).
func usbSerialPorts() ([]usbPort, error) {
	details, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, fmt.Errorf("enumerate serial ports: %w", err)
	}
	var ports []usbPort
	for _, d := range details {
		if d.IsUSB {
			ports = append(ports, usbPort{Name: d.Name, VID: d.VID, PID: d.PID, SerialNumber: d.SerialNumber})
		}
	}
	return ports, nil
}
