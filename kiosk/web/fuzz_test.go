package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRequest: any path and query (search terms, page numbers, racer ids)
// gets a page or a clean error, never a panic, and search terms come back
// escaped.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{"/", "/?q=zoe", "/?q=%3Cscript%3E", "/?page=-1", "/?page=99999999999999999999", "/racer/%2F..%2F",
		"/api/racer/x.json", "/api/racer/.json", "/?q=%C3%B6%CC%88", "/overlay?x=1"} {
		f.Add(s)
	}
	s := New(staticSource{bigModel(300)}, Options{})
	f.Fuzz(func(t *testing.T, target string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") || !utf8.ValidString(target) {
			return
		}
		req, err := http.NewRequest("GET", "http://kiosk"+target, nil)
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusNotFound, http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusBadRequest:
		default:
			t.Fatalf("%s: status %d", target, rec.Code)
		}
		if strings.Contains(rec.Body.String(), "<script>alert") {
			t.Fatalf("%s: unescaped input in the page", target)
		}
	})
}
