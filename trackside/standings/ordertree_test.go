package standings

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// key is a tree key that differs only by Value.
func key(v int) *Result { return &Result{Value: time.Duration(v), RacerID: "x"} }

func values(keys []Result) []int {
	out := make([]int, len(keys))
	for i, k := range keys {
		out[i] = int(k.Value)
	}
	return out
}

func TestOrderTreeBasics(t *testing.T) {
	var tr orderTree
	for _, v := range []int{50, 20, 80, 10, 30, 70, 90} {
		if !tr.Insert(key(v)) {
			t.Fatalf("Insert(%d) = false on a new key", v)
		}
	}
	if tr.Insert(key(30)) {
		t.Error("Insert(30) twice = true, want false")
	}
	if tr.Delete(key(31)) {
		t.Error("Delete(31) of an absent key = true, want false")
	}
	if got := tr.Len(); got != 7 {
		t.Errorf("Len = %d, want 7", got)
	}
	tests := []struct {
		value     int
		countLess int
	}{
		{5, 0}, {10, 0}, {11, 1}, {30, 2}, {50, 3}, {85, 6}, {90, 6}, {100, 7},
	}
	for _, tt := range tests {
		if got := tr.CountLess(key(tt.value)); got != tt.countLess {
			t.Errorf("CountLess(%d) = %d, want %d", tt.value, got, tt.countLess)
		}
	}
	// The rest of the key orders too: same Value, later Seq, is after.
	later := key(30)
	later.Seq = 1
	if got := tr.CountLess(later); got != 3 {
		t.Errorf("CountLess(30 with a later Seq) = %d, want 3", got)
	}
	if k, ok := tr.At(3); !ok || k != *key(50) {
		t.Errorf("At(3) = %+v, %v; want value 50, true", k, ok)
	}
	if _, ok := tr.At(7); ok {
		t.Error("At(7) past the end = true")
	}
	if _, ok := tr.At(-1); ok {
		t.Error("At(-1) = true")
	}
	var got []int
	tr.Ascend(2, func(i int, k *Result) bool {
		got = append(got, int(k.Value))
		return len(got) < 3
	})
	if want := []int{30, 50, 70}; !slices.Equal(got, want) {
		t.Errorf("Ascend(2) took %v, want %v", got, want)
	}
	if !tr.Delete(key(50)) || tr.Contains(key(50)) || tr.Len() != 6 {
		t.Errorf("after Delete(50): Contains = %v, Len = %d", tr.Contains(key(50)), tr.Len())
	}
	checkTreap(t, &tr)
}

// TestOrderTreeMatchesSortedSlice runs random operations against a sorted
// slice that does the same thing the slow way. Keys come from a small
// domain with equal Values and Seqs, so every part of the order matters.
func TestOrderTreeMatchesSortedSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var tr orderTree
	var ref []Result // sorted, unique
	racers := []string{"amy", "bob", "cal"}
	for step := range 20000 {
		k := Result{
			Value:   time.Duration(rng.IntN(40)),
			Seq:     uint64(rng.IntN(4)),
			RacerID: racers[rng.IntN(len(racers))],
			RaceID:  "r", Laps: 3, // payload, not part of the order
		}
		pos, found := slices.BinarySearchFunc(ref, &k, func(a Result, b *Result) int { return compareRanked(&a, b) })
		switch op := rng.IntN(10); {
		case op < 5:
			if got := tr.Insert(&k); got == found {
				t.Fatalf("step %d: Insert(%+v) = %v with key present = %v", step, k, got, found)
			}
			if !found {
				ref = slices.Insert(ref, pos, k)
			}
		case op < 8:
			if got := tr.Delete(&k); got != found {
				t.Fatalf("step %d: Delete(%+v) = %v with key present = %v", step, k, got, found)
			}
			if found {
				ref = slices.Delete(ref, pos, pos+1)
			}
		case op < 9:
			if got := tr.CountLess(&k); got != pos {
				t.Fatalf("step %d: CountLess(%+v) = %d, want %d", step, k, got, pos)
			}
			if got := tr.Contains(&k); got != found {
				t.Fatalf("step %d: Contains(%+v) = %v, want %v", step, k, got, found)
			}
		default:
			i := rng.IntN(len(ref) + 2)
			got, ok := tr.At(i)
			if ok != (i < len(ref)) || (ok && got != ref[i]) {
				t.Fatalf("step %d: At(%d) = %+v, %v; reference has %d keys", step, i, got, ok, len(ref))
			}
			limit := rng.IntN(30)
			var seen []Result
			tr.Ascend(i, func(j int, k *Result) bool {
				if j != i+len(seen) {
					t.Fatalf("step %d: Ascend(%d) gave position %d for item %d", step, i, j, len(seen))
				}
				seen = append(seen, *k)
				return len(seen) < limit
			})
			want := ref[min(i, len(ref)):min(i+max(limit, 1), len(ref))]
			if !slices.Equal(seen, want) {
				t.Fatalf("step %d: Ascend(%d) limit %d = %v, want %v", step, i, limit, seen, want)
			}
		}
		if tr.Len() != len(ref) {
			t.Fatalf("step %d: Len = %d, want %d", step, tr.Len(), len(ref))
		}
		if step%500 == 0 {
			checkTreap(t, &tr)
		}
	}
	var all []Result
	tr.Ascend(0, func(_ int, k *Result) bool { all = append(all, *k); return true })
	if !slices.Equal(all, ref) {
		t.Fatalf("final contents differ from the reference:\n got %v\nwant %v", values(all), values(ref))
	}
	checkTreap(t, &tr)
}

// TestOrderTreeStaysShallow inserts keys in sorted order, the worst case
// for a plain binary search tree: the priorities must keep it logarithmic.
func TestOrderTreeStaysShallow(t *testing.T) {
	var tr orderTree
	const n = 1 << 14
	for v := range n {
		tr.Insert(key(v))
	}
	var depth func(n *treeNode) int
	depth = func(n *treeNode) int {
		if n == nil {
			return 0
		}
		return 1 + max(depth(n.left), depth(n.right))
	}
	// The expected depth of a random treap of 2^14 keys is about 2·ln n ≈ 20;
	// 4·log2 n = 56 leaves a wide margin and still fails a degenerate tree.
	if d := depth(tr.root); d > 56 {
		t.Errorf("depth after %d sorted inserts = %d, want <= 56", n, d)
	}
	checkTreap(t, &tr)
}

// TestOrderTreeReusesNodes checks that an update (Delete then Insert)
// allocates nothing once the tree has its nodes.
func TestOrderTreeReusesNodes(t *testing.T) {
	var tr orderTree
	for v := range 1000 {
		tr.Insert(key(2 * v))
	}
	v := 0
	allocs := testing.AllocsPerRun(1000, func() {
		tr.Delete(key(2 * v))
		tr.Insert(key(2*v + 1))
		tr.Delete(key(2*v + 1))
		tr.Insert(key(2 * v))
		v = (v + 1) % 1000
	})
	if allocs != 0 {
		t.Errorf("an update allocates %.1f times, want 0", allocs)
	}
	checkTreap(t, &tr)
}

// checkTreap verifies the invariants every operation relies on: search
// order, heap order of priorities, and subtree sizes.
func checkTreap(t *testing.T, tr *orderTree) {
	t.Helper()
	var walk func(n *treeNode, lo, hi *Result) int
	walk = func(n *treeNode, lo, hi *Result) int {
		if n == nil {
			return 0
		}
		if (lo != nil && compareRanked(&n.key, lo) <= 0) || (hi != nil && compareRanked(&n.key, hi) >= 0) {
			t.Fatalf("key %+v out of search order", n.key)
		}
		for _, c := range []*treeNode{n.left, n.right} {
			if c != nil && c.prio > n.prio {
				t.Fatalf("child %+v outranks parent %+v", c.key, n.key)
			}
		}
		s := 1 + walk(n.left, lo, &n.key) + walk(n.right, &n.key, hi)
		if n.size != s {
			t.Fatalf("node %+v size %d, counted %d", n.key, n.size, s)
		}
		return s
	}
	walk(tr.root, nil, nil)
}
