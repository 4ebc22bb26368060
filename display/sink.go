package display

import "image"

// Sink receives frames: the framebuffer, PNG and HTTP preview outputs all
// implement it. damaged lists the rectangles of frame that changed since
// the previous call; a Sink may copy only those. damaged may be empty: the
// kiosk shows its outputs on every pass of its render loop, so that a
// FrameCopy held by a reader through a change catches up.
type Sink interface {
	Show(frame *image.RGBA, damaged []image.Rectangle) error
}
