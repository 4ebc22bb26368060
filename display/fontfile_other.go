//go:build !unix

package display

import "os"

// mapFile reads a font file once; only unix systems map it.
func mapFile(path string) ([]byte, error) { return os.ReadFile(path) }
