package kiosk

// The cache file's format, for the black-box tests (package kiosk_test)
// that prepare or inspect a kiosk's cache.
type (
	CacheFile   = cacheFile
	CachedTrack = cachedTrack
)

var (
	ReadCache  = readCache
	WriteCache = writeCache
)
