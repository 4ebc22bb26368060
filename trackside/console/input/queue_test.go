package input

import "testing"

func TestQueueBoundedAndCountsDrops(t *testing.T) {
	q := newQueue(4)
	for i := 0; i < 10; i++ {
		q.push(Tap{X: i})
	}
	dropped, _ := q.counts()
	if dropped != 6 {
		t.Errorf("dropped %d, want 6", dropped)
	}
	for i := 0; i < 4; i++ {
		e, ok := q.pop()
		if !ok || e != (Tap{X: i}) {
			t.Fatalf("pop %d: %v %v; the oldest events are kept", i, e, ok)
		}
	}
	if _, ok := q.pop(); ok {
		t.Fatal("queue not empty")
	}
}

func TestQueueMergesWaitingMovesOnly(t *testing.T) {
	q := newQueue(8)
	q.push(Drag{X: 10, Y: 10, DX: 5, Phase: DragBegin})
	q.push(Drag{X: 12, Y: 11, DX: 2, DY: 1, Phase: DragMove})
	q.push(Drag{X: 15, Y: 9, DX: 3, DY: -2, Phase: DragMove})
	q.push(Drag{X: 15, Y: 9, Phase: DragEnd})
	q.push(Drag{X: 16, Y: 9, DX: 1, Phase: DragMove}) // after an end: not merged into it
	want := []Event{
		Drag{X: 10, Y: 10, DX: 5, Phase: DragBegin},
		Drag{X: 15, Y: 9, DX: 5, DY: -1, Phase: DragMove},
		Drag{X: 15, Y: 9, Phase: DragEnd},
		Drag{X: 16, Y: 9, DX: 1, Phase: DragMove},
	}
	for i, w := range want {
		if e, _ := q.pop(); e != w {
			t.Errorf("event %d: %v, want %v", i, e, w)
		}
	}
	if _, c := q.counts(); c != 1 {
		t.Errorf("coalesced %d", c)
	}
}
