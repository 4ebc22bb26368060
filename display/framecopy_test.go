package display

import (
	"context"
	"errors"
	"image"
	"image/color"
	"sync"
	"testing"
	"time"
)

var _ Sink = (*FrameCopy)(nil)

func paint(f *image.RGBA, r image.Rectangle, v uint8) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			f.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
}

// readNow reads the copy, failing the test if that takes more than a second.
func readNow(t *testing.T, c *FrameCopy, f func(*image.RGBA, uint64)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.Read(ctx, func(frame *image.RGBA, gen uint64) error { f(frame, gen); return nil }); err != nil {
		t.Fatalf("Read: %v", err)
	}
}

// TestFrameCopyLazy: a copy nobody reads holds no memory; the first Read
// gets the frame shown before it, through Stale.
func TestFrameCopyLazy(t *testing.T) {
	c := NewFrameCopy()
	if err := c.Read(context.Background(), func(*image.RGBA, uint64) error { return nil }); !errors.Is(err, ErrNoFrame) {
		t.Fatalf("Read before any Show: %v, want ErrNoFrame", err)
	}
	c = NewFrameCopy()
	frame := image.NewRGBA(image.Rect(0, 0, 16, 8))
	paint(frame, frame.Rect, 7)
	c.Show(frame, []image.Rectangle{frame.Rect})
	if c.frame != nil {
		t.Fatal("a copy without readers allocated a frame")
	}
	go func() { // the render loop
		<-c.Stale()
		c.Show(frame, nil)
	}()
	readNow(t, c, func(got *image.RGBA, gen uint64) {
		if gen != 1 || got.RGBAAt(15, 7).R != 7 || got == frame {
			t.Errorf("first read: gen %d, pixel %v (same image as the frame: %v)", gen, got.RGBAAt(15, 7), got == frame)
		}
	})
}

// TestFrameCopyNeverHoldsUpShow: while a reader holds the copy, Shows
// return at once and do not touch it; the copy catches up afterwards with
// every rectangle changed meanwhile.
func TestFrameCopyNeverHoldsUpShow(t *testing.T) {
	c := NewFrameCopy()
	frame := image.NewRGBA(image.Rect(0, 0, 40, 10))
	c.Watch()
	c.Show(frame, []image.Rectangle{frame.Rect})

	holding, release := make(chan struct{}), make(chan struct{})
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		c.Read(context.Background(), func(got *image.RGBA, gen uint64) error {
			close(holding)
			<-release
			if v := got.RGBAAt(0, 0).R; v != 0 {
				t.Errorf("the copy changed under its reader: pixel %d", v)
			}
			return nil
		})
	}()
	<-holding
	gen0, changed := c.Watch()
	start := time.Now()
	for i := range 50 {
		r := image.Rect(i%40, 0, i%40+1, 10)
		paint(frame, r, uint8(i+1))
		c.Show(frame, []image.Rectangle{r})
	}
	paint(frame, image.Rect(0, 0, 1, 1), 200)
	c.Show(frame, []image.Rectangle{image.Rect(0, 0, 1, 1)})
	if el := time.Since(start); el > 100*time.Millisecond {
		t.Fatalf("51 Shows took %v while a reader held the copy", el)
	}
	select {
	case <-changed:
		t.Fatal("the copy changed while a reader held it")
	default:
	}
	close(release)
	<-readDone
	select {
	case <-c.Stale():
	case <-time.After(time.Second):
		t.Fatal("no Stale after the reader left a copy behind")
	}
	c.Show(frame, nil)
	readNow(t, c, func(got *image.RGBA, gen uint64) {
		if gen != gen0+1 {
			t.Errorf("generation %d after one catch-up, want %d", gen, gen0+1)
		}
		for x := range 40 {
			if want, have := frame.RGBAAt(x, 5), got.RGBAAt(x, 5); want != have {
				t.Fatalf("pixel %d,5 = %v after the catch-up, want %v", x, have, want)
			}
		}
		if got.RGBAAt(0, 0).R != 200 {
			t.Errorf("pixel 0,0 = %v, want 200", got.RGBAAt(0, 0))
		}
	})
}

// TestFrameCopyReadWaitsForCatchUp: a Read arriving while the copy lags
// waits for the render loop and then sees the latest frame.
func TestFrameCopyReadWaitsForCatchUp(t *testing.T) {
	c := NewFrameCopy()
	frame := image.NewRGBA(image.Rect(0, 0, 8, 8))
	c.Watch()
	c.Show(frame, []image.Rectangle{frame.Rect})
	holding, release := make(chan struct{}), make(chan struct{})
	go c.Read(context.Background(), func(*image.RGBA, uint64) error { close(holding); <-release; return nil })
	<-holding
	paint(frame, image.Rect(2, 2, 4, 4), 9)
	c.Show(frame, []image.Rectangle{image.Rect(2, 2, 4, 4)})

	got := make(chan uint8, 1)
	go func() {
		c.Read(context.Background(), func(f *image.RGBA, _ uint64) error { got <- f.RGBAAt(3, 3).R; return nil })
	}()
	select {
	case v := <-got:
		t.Fatalf("a Read went ahead of the catch-up (pixel %d)", v)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-c.Stale()
	c.Show(frame, nil)
	select {
	case v := <-got:
		if v != 9 {
			t.Fatalf("pixel %d after the catch-up, want 9", v)
		}
	case <-time.After(time.Second):
		t.Fatal("the waiting Read never ran")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.Show(frame, []image.Rectangle{image.Rect(0, 0, 1, 1)}) // copied at once: no reader
	if err := c.Read(ctx, func(*image.RGBA, uint64) error { return nil }); err != nil {
		t.Fatalf("Read of an up-to-date copy: %v", err)
	}
}

// TestFrameCopyManyRectangles: past maxBehind rectangles the copy merges
// them and still catches up exactly; a new frame size replaces the copy.
func TestFrameCopyManyRectangles(t *testing.T) {
	c := NewFrameCopy()
	frame := image.NewRGBA(image.Rect(0, 0, 100, 100))
	c.Watch()
	c.Show(frame, []image.Rectangle{frame.Rect})
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		c.Read(context.Background(), func(*image.RGBA, uint64) error { close(holding); <-release; return nil })
		close(done)
	}()
	<-holding
	for i := range 90 {
		r := image.Rect(i, i, i+3, i+2)
		paint(frame, r, uint8(i+1))
		c.Show(frame, []image.Rectangle{r})
	}
	if len(c.behind) > maxBehind {
		t.Fatalf("%d rectangles remembered, want at most %d", len(c.behind), maxBehind)
	}
	close(release)
	<-done
	<-c.Stale()
	c.Show(frame, nil)
	readNow(t, c, func(got *image.RGBA, _ uint64) {
		for i := range got.Pix {
			if got.Pix[i] != frame.Pix[i] {
				t.Fatalf("byte %d differs after the catch-up", i)
			}
		}
	})

	big := image.NewRGBA(image.Rect(0, 0, 120, 50))
	paint(big, big.Rect, 3)
	c.Show(big, nil)
	readNow(t, c, func(got *image.RGBA, _ uint64) {
		if got.Rect != big.Rect || got.RGBAAt(119, 49).R != 3 {
			t.Errorf("after a resize: %v, pixel %v", got.Rect, got.RGBAAt(119, 49))
		}
	})
}

// TestFrameCopyConsistent: a render loop repaints the whole frame in four
// bands per frame while readers read; every read sees one frame, never
// parts of two. Run with -race it also checks the copy's locking.
func TestFrameCopyConsistent(t *testing.T) {
	c := NewFrameCopy()
	frame := image.NewRGBA(image.Rect(0, 0, 64, 48))
	bands := []image.Rectangle{
		image.Rect(0, 0, 64, 12), image.Rect(0, 12, 64, 24), image.Rect(0, 24, 64, 36), image.Rect(0, 36, 64, 48),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the render loop
		defer wg.Done()
		for v := uint8(1); ctx.Err() == nil; v++ {
			for _, b := range bands {
				paint(frame, b, v)
			}
			c.Show(frame, bands)
			select {
			case <-c.Stale():
				c.Show(frame, nil)
			default:
			}
		}
	}()
	reads := make([]int, 3)
	for i := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				err := c.Read(ctx, func(f *image.RGBA, _ uint64) error {
					v := f.Pix[0]
					for j := 0; j < len(f.Pix); j += 4 {
						if f.Pix[j] != v {
							t.Errorf("torn read: byte %d is %d, byte 0 is %d", j, f.Pix[j], v)
							return nil
						}
					}
					time.Sleep(time.Millisecond)
					reads[i]++
					return nil
				})
				if err != nil && !errors.Is(err, ErrNoFrame) && ctx.Err() == nil {
					t.Errorf("Read: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	for i, n := range reads {
		if n == 0 {
			t.Errorf("reader %d never read", i)
		}
	}
}
