package display

import "time"

// The formatters append to a caller's buffer so that the render loop, which
// formats the running lap clock ten or more times a second, allocates
// nothing. Times are truncated, never rounded: a timing board must not show
// a lap as faster or slower than the recorded digits allow, and truncation
// is what timekeepers use.

// AppendLapTime appends d as a lap or result time with millisecond
// precision: "9.812", "59.870", "1:02.345", "1:02:03.456" (hours only for
// totals that long). A negative duration appends "—" (no result).
func AppendLapTime(dst []byte, d time.Duration) []byte {
	if d < 0 {
		return append(dst, "—"...)
	}
	ms := int64(d / time.Millisecond)
	return appendClock(dst, ms/1000, ms%1000, 3)
}

// AppendGap appends the gap to the leader: "+0.412", "+12.000",
// "+1:02.345". A zero or negative gap appends nothing: the leader shows no
// gap.
func AppendGap(dst []byte, d time.Duration) []byte {
	if d <= 0 {
		return dst
	}
	ms := int64(d / time.Millisecond)
	dst = append(dst, '+')
	return appendClock(dst, ms/1000, ms%1000, 3)
}

// AppendRunningClock appends a running lap clock with tenths ("9.8",
// "1:02.3"): at ten redraws a second hundredths would only flicker.
func AppendRunningClock(dst []byte, d time.Duration) []byte {
	if d < 0 {
		d = 0
	}
	tenths := int64(d / (100 * time.Millisecond))
	return appendClock(dst, tenths/10, tenths%10, 1)
}

// AppendCountdown appends time left in a race as "m:ss" (rounded up, so a
// race never shows 0:00 while time is still left).
func AppendCountdown(dst []byte, d time.Duration) []byte {
	if d < 0 {
		d = 0
	}
	s := int64((d + time.Second - 1) / time.Second)
	dst = appendInt(dst, s/60, 1)
	dst = append(dst, ':')
	return appendInt(dst, s%60, 2)
}

// appendClock appends secs as [h:]mm:ss or [m:]ss (no leading zero on the
// leading field) followed by "." and frac with fracDigits digits.
func appendClock(dst []byte, secs, frac int64, fracDigits int) []byte {
	h, m, s := secs/3600, secs/60%60, secs%60
	switch {
	case h > 0:
		dst = appendInt(dst, h, 1)
		dst = append(dst, ':')
		dst = appendInt(dst, m, 2)
		dst = append(dst, ':')
		dst = appendInt(dst, s, 2)
	case m > 0:
		dst = appendInt(dst, m, 1)
		dst = append(dst, ':')
		dst = appendInt(dst, s, 2)
	default:
		dst = appendInt(dst, s, 1)
	}
	dst = append(dst, '.')
	return appendInt(dst, frac, fracDigits)
}

// appendInt appends a non-negative v zero-padded to at least width digits.
func appendInt(dst []byte, v int64, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		width--
		if v == 0 && width <= 0 {
			return append(dst, buf[i:]...)
		}
	}
}
