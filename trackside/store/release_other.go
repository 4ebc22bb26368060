//go:build !linux

package store

// ReleasePages is a no-op where the page-table trick is not available.
func (s *Store) ReleasePages() error { return nil }
