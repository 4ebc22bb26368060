package display

import (
	"testing"
	"time"
)

func TestAppendLapTime(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.000"},
		{ms(9812), "9.812"},
		{ms(59870), "59.870"},
		{ms(59999) + 999*time.Microsecond, "59.999"}, // truncated, never rounded up
		{ms(60000), "1:00.000"},
		{ms(62345), "1:02.345"},
		{ms(10*60000 + 5), "10:00.005"},
		{ms(3723456), "1:02:03.456"},
		{-time.Second, "—"},
	} {
		if got := string(AppendLapTime(nil, tc.d)); got != tc.want {
			t.Errorf("AppendLapTime(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestAppendGap(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, ""},
		{-ms(5), ""},
		{ms(412), "+0.412"},
		{ms(12000), "+12.000"},
		{ms(62345), "+1:02.345"},
	} {
		if got := string(AppendGap(nil, tc.d)); got != tc.want {
			t.Errorf("AppendGap(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestAppendRunningClock(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.0"},
		{-ms(300), "0.0"},
		{ms(6734), "6.7"},
		{ms(59999), "59.9"},
		{ms(64321), "1:04.3"},
	} {
		if got := string(AppendRunningClock(nil, tc.d)); got != tc.want {
			t.Errorf("AppendRunningClock(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestAppendCountdown(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0:00"},
		{-time.Second, "0:00"},
		{ms(1), "0:01"}, // time left is rounded up: 0:00 means over
		{ms(161400), "2:42"},
		{3 * time.Minute, "3:00"},
		{ms(600500), "10:01"},
	} {
		if got := string(AppendCountdown(nil, tc.d)); got != tc.want {
			t.Errorf("AppendCountdown(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestTimeFormattersDoNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 32)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendLapTime(buf[:0], ms(62345))
		buf = AppendGap(buf[:0], ms(412))
		buf = AppendRunningClock(buf[:0], ms(64321))
		buf = AppendCountdown(buf[:0], ms(161400))
	})
	if allocs != 0 {
		t.Errorf("formatters allocate %.1f times per call set, want 0", allocs)
	}
}
