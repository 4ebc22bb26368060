package standings

// orderTree is an ordered set that also knows positions: a treap whose
// nodes carry their subtree size. Insert, Delete, CountLess (a key's
// position) and At (the key at a position) are O(log n) expected, and
// Ascend visits k keys from any position in O(log n + k). The standings
// need all of these at 10,000 racers on every submitted race, which a
// sorted slice (O(n) moves per update) or a re-sort would not give.
//
// Keys are Results in board order (compareRanked) and unique under it;
// Insert of a present key and Delete of an absent one report false and
// change nothing. Keys are passed by pointer (a Result is 64 bytes, copied
// at every level otherwise) and only read. The tree is not generic on
// purpose: a comparison through a func value or a type parameter's method
// makes the key escape to the heap, and the board must update without
// allocating. The zero value is an empty tree.
type orderTree struct {
	root *treeNode
	// free holds removed nodes (linked through right) so that the usual
	// update, a Delete followed by an Insert, allocates nothing.
	free *treeNode
	// rnd is the splitmix64 state for node priorities. Starting from zero
	// keeps runs reproducible; priorities never depend on keys, so no
	// input order can unbalance the tree.
	rnd uint64
}

type treeNode struct {
	key         Result
	prio        uint64
	size        int // nodes in this subtree, this one included
	left, right *treeNode
}

func size(n *treeNode) int {
	if n == nil {
		return 0
	}
	return n.size
}

func (n *treeNode) resize() { n.size = 1 + size(n.left) + size(n.right) }

// Len is the number of keys.
func (t *orderTree) Len() int { return size(t.root) }

// Contains reports whether k is in the tree.
func (t *orderTree) Contains(k *Result) bool {
	for n := t.root; n != nil; {
		switch c := compareRanked(k, &n.key); {
		case c == 0:
			return true
		case c < 0:
			n = n.left
		default:
			n = n.right
		}
	}
	return false
}

// Insert adds a copy of k; false if it was already there.
func (t *orderTree) Insert(k *Result) bool {
	if t.Contains(k) {
		return false
	}
	x := t.alloc(k)
	// Walk down while the existing nodes outrank x (heap order on prio);
	// every node passed gains one descendant. Where x outranks the node,
	// x takes its place and that subtree splits around k.
	link := &t.root
	for *link != nil && (*link).prio >= x.prio {
		n := *link
		n.size++
		if compareRanked(k, &n.key) < 0 {
			link = &n.left
		} else {
			link = &n.right
		}
	}
	x.left, x.right = split(*link, k)
	x.resize()
	*link = x
	return true
}

// Delete removes k; false if it was not there.
func (t *orderTree) Delete(k *Result) bool {
	if !t.Contains(k) {
		return false
	}
	link := &t.root
	for {
		n := *link
		c := compareRanked(k, &n.key)
		if c == 0 {
			*link = merge(n.left, n.right)
			t.release(n)
			return true
		}
		n.size--
		if c < 0 {
			link = &n.left
		} else {
			link = &n.right
		}
	}
}

// CountLess is the number of keys ordered before k (k itself need not be
// present): the 0-based position k has or would have.
func (t *orderTree) CountLess(k *Result) int {
	count := 0
	for n := t.root; n != nil; {
		if compareRanked(&n.key, k) < 0 {
			count += size(n.left) + 1
			n = n.right
		} else {
			n = n.left
		}
	}
	return count
}

// At is the key at 0-based position i; false if i is out of range.
func (t *orderTree) At(i int) (Result, bool) {
	for n := t.root; n != nil; {
		ls := size(n.left)
		switch {
		case i < ls:
			n = n.left
		case i == ls:
			return n.key, true
		default:
			i -= ls + 1
			n = n.right
		}
	}
	return Result{}, false
}

// Ascend calls fn with each key and its position, in order, starting at
// position from, until fn returns false or the keys run out. fn gets a
// pointer into the tree to save a copy per key: it must not change the
// key or the tree, nor keep the pointer.
func (t *orderTree) Ascend(from int, fn func(i int, k *Result) bool) {
	from = max(from, 0)
	// stack holds the nodes still to visit above the current one (those
	// reached by going left). 64 levels cover any treap of a realistic
	// size; append grows it in the unlikely deeper case.
	var buf [64]*treeNode
	stack := buf[:0]
	rest := from
	for n := t.root; n != nil; {
		ls := size(n.left)
		switch {
		case rest < ls:
			stack = append(stack, n)
			n = n.left
		case rest == ls:
			stack = append(stack, n)
			n = nil
		default:
			rest -= ls + 1
			n = n.right
		}
	}
	for i := from; len(stack) > 0; i++ {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !fn(i, &n.key) {
			return
		}
		for c := n.right; c != nil; c = c.left {
			stack = append(stack, c)
		}
	}
}

// split divides n into the keys before k and the keys after it; k is not
// in n (Insert checked).
func split(n *treeNode, k *Result) (before, after *treeNode) {
	if n == nil {
		return nil, nil
	}
	if compareRanked(&n.key, k) < 0 {
		n.right, after = split(n.right, k)
		n.resize()
		return n, after
	}
	before, n.left = split(n.left, k)
	n.resize()
	return before, n
}

// merge joins two treaps where every key of a orders before every key of b.
func merge(a, b *treeNode) *treeNode {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.prio > b.prio:
		a.right = merge(a.right, b)
		a.resize()
		return a
	default:
		b.left = merge(a, b.left)
		b.resize()
		return b
	}
}

func (t *orderTree) alloc(k *Result) *treeNode {
	n := t.free
	if n != nil {
		t.free = n.right
	} else {
		n = new(treeNode)
	}
	*n = treeNode{key: *k, prio: t.nextPrio(), size: 1}
	return n
}

func (t *orderTree) release(n *treeNode) {
	*n = treeNode{right: t.free} // drop the key so it keeps no strings alive
	t.free = n
}

// nextPrio is splitmix64: cheap, well spread, and deterministic.
func (t *orderTree) nextPrio() uint64 {
	t.rnd += 0x9e3779b97f4a7c15
	z := t.rnd
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
