// Package systest is pitwall's whole-system test: the .debs on Debian,
// booted as QEMU guests (a trackside fed by a decoder emulator and two
// kiosks with framebuffers) on a private network over loopback. Its tests
// build only with the tag "systest" and need the images that
// scripts/system_test.sh (make system-test) prepares; docs/system-test.md
// describes them.
package systest
