package web

import "testing"

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Zoë":                 "zoe",
		"ZOË":                 "zoe",
		"Łukasiewicz Racing":  "lukasiewicz racing",
		"Mads Søndergaard":    "mads sondergaard",
		"Björn Þórsson":       "bjorn thorsson",
		"Olúwasẹ̀un Adébáyọ̀": "oluwaseun adebayo",
		"Nguyễn Thị Minh":     "nguyen thi minh",
		"Jürgen Straße":       "jurgen strasse",
		"李小龙":                 "李小龙",
		"":                    "",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}
