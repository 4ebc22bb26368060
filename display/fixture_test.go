package display

import "time"

func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

// sampleBoard is the fixed board of the golden images: 20 rows with
// accented, long and unsupported-script names, a tie, a highlighted row
// that moved up, a footer, two live strips and a notice.
func sampleBoard() Board {
	names := []string{
		"Zoë Ashworth", "Chloé Marchand", "Łukasiewicz Racing", "Mads Søndergaard", "Olúwasẹ̀un Adébáyọ̀",
		"Priya Raghunathan", "Kai Nakamura", "Björn Þórsson", "Siobhán Ní Bhriain", "Maximilian von Hohenzollern-Sigmaringen",
		"Ana-María Ibáñez", "Dvořák Motorsport", "李小龙", "🏎️ Turbo Team", "Nguyễn Thị Minh",
		"Ellie O'Connor", "Jürgen Müller", "Ça Va Vite", "Grace Hopper", "Ada Lovelace",
	}
	results := []int64{8412, 8655, 8701, 8933, 9012, 9250, 9250, 9504, 9777, 9901,
		10120, 10386, 10422, 10999, 11234, 11800, 12045, 12502, 13377, 14010}
	b := Board{
		Title:        "AWS DeepRacer League · Summit Stage",
		Clock:        "14:05",
		Ranking:      "BEST LAP",
		ExtraCaption: "AVG 3",
		Notices:      []string{"Track 2 offline since 14:02"},
		Empty:        "Waiting for the first results",
	}
	for i, n := range names {
		row := Row{
			Rank:   i + 1,
			Name:   n,
			Result: ms(results[i]),
			Gap:    ms(results[i] - results[0]),
			Laps:   3 + i%9,
			Extra:  string(AppendLapTime(nil, ms(results[i]+377+int64(i)*13))),
			Track:  []string{"T1", "T2"}[i%2],
		}
		if i > 0 && results[i] == results[i-1] {
			row.Tie = true
			row.Rank = b.Rows[i-1].Rank
		}
		b.Rows = append(b.Rows, row)
	}
	b.Rows[3].Highlight = 1
	b.Rows[3].RankChange = 4
	b.Rows[8].RankChange = -2
	b.Footer = &Row{Rank: 37, Name: "Frédéric Château", Result: ms(17321), Gap: ms(17321 - 8412), Laps: 2, Extra: "17.902", Track: "T1", Highlight: 0.5, RankChange: 5}
	b.Live = []LiveStrip{
		{Track: "TRACK 1", Racer: "Søren Kierkegaard", State: "RACING", Left: ms(161_400), Lap: ms(6_734), Best: ms(9_012), Laps: 4, Resets: 1},
		{Track: "TRACK 2", Racer: "Amélie Poulain", State: "PAUSED", Left: ms(72_000), Lap: ms(64_321), Best: 0, Laps: 0, Resets: 0},
	}
	return b
}
