package display

import "image"

// Sink receives frames: the framebuffer, PNG and HTTP preview outputs all
// implement it. damaged lists the rectangles of frame that changed since
// the previous call; a Sink may copy only those.
type Sink interface {
	Show(frame *image.RGBA, damaged []image.Rectangle) error
}
