package fb

import (
	"testing"
	"unsafe"
)

// The ioctl structs must match the kernel's byte for byte, or the kernel
// writes past them.
func TestScreeninfoStructSizes(t *testing.T) {
	if got := unsafe.Sizeof(fbVarScreeninfo{}); got != 160 {
		t.Errorf("fb_var_screeninfo is %d bytes, kernel's is 160", got)
	}
	want := uintptr(68) // 32-bit kernels: unsigned long is 4 bytes
	if unsafe.Sizeof(uintptr(0)) == 8 {
		want = 80
	}
	if got := unsafe.Sizeof(fbFixScreeninfo{}); got != want {
		t.Errorf("fb_fix_screeninfo is %d bytes, kernel's is %d", got, want)
	}
}
