package merkle

// Fanout is the number of children of the root and of each branch.
const Fanout = 16

// Leaves is the number of leaves of a tree.
const Leaves = Fanout * Fanout

// Tree levels, for Level and Hashes.
const (
	LevelRoot   = 0
	LevelBranch = 1
	LevelLeaf   = 2
)

// Tree is a fixed-shape XOR hash tree. The zero Tree is the tree of no
// items. A Tree is a value: copy it to snapshot it.
type Tree struct {
	root     uint64
	branches [Fanout]uint64
	leaves   [Leaves]uint64
	items    int
}

// LeafOf returns the leaf a key belongs to.
func LeafOf(key string) int {
	return int(keyHash(key) % Leaves)
}

// BranchOf returns the branch a leaf belongs to.
func BranchOf(leaf int) int { return leaf / Fanout }

// ItemHash is the contribution of one key at one version digest.
func ItemHash(key string, digest uint64) uint64 {
	return mix(keyHash(key) ^ mix(digest))
}

// Toggle adds the item (key, digest) if absent, or removes it if present:
// XOR is its own inverse. A write that replaces version a by version b
// toggles (key, a) out and (key, b) in.
func (t *Tree) Toggle(key string, digest uint64, present bool) {
	h := ItemHash(key, digest)
	leaf := LeafOf(key)
	t.leaves[leaf] ^= h
	t.branches[BranchOf(leaf)] ^= h
	t.root ^= h
	if present {
		t.items++
	} else {
		t.items--
	}
}

// Add adds one item.
func (t *Tree) Add(key string, digest uint64) { t.Toggle(key, digest, true) }

// Remove removes one item that was added before.
func (t *Tree) Remove(key string, digest uint64) { t.Toggle(key, digest, false) }

// Replace moves key from version digest old to new.
func (t *Tree) Replace(key string, old, new uint64) {
	if old == new {
		return
	}
	t.Remove(key, old)
	t.Add(key, new)
}

// Items is the number of items in the tree.
func (t *Tree) Items() int { return t.items }

// Root is the root hash.
func (t *Tree) Root() uint64 { return t.root }

// Width is the number of nodes at a level (0 for an unknown level).
func Width(level int) int {
	switch level {
	case LevelRoot:
		return 1
	case LevelBranch:
		return Fanout
	case LevelLeaf:
		return Leaves
	}
	return 0
}

// Hash returns the hash of node i at level; ok is false when there is no
// such node.
func (t *Tree) Hash(level, i int) (h uint64, ok bool) {
	if i < 0 || i >= Width(level) {
		return 0, false
	}
	switch level {
	case LevelRoot:
		return t.root, true
	case LevelBranch:
		return t.branches[i], true
	default:
		return t.leaves[i], true
	}
}

// Hashes returns the hashes of the nodes idx at level, in order; nil idx
// means every node of the level. ok is false if some index is out of range.
func (t *Tree) Hashes(level int, idx []int) (hashes []uint64, ok bool) {
	if idx == nil {
		idx = All(level)
	}
	out := make([]uint64, len(idx))
	for j, i := range idx {
		h, ok := t.Hash(level, i)
		if !ok {
			return nil, false
		}
		out[j] = h
	}
	return out, true
}

// All lists every node index of a level.
func All(level int) []int {
	out := make([]int, Width(level))
	for i := range out {
		out[i] = i
	}
	return out
}

// Children lists the indices, one level down, of the nodes idx at level.
func Children(level int, idx []int) []int {
	if level == LevelRoot {
		return All(LevelBranch)
	}
	out := make([]int, 0, len(idx)*Fanout)
	for _, i := range idx {
		for c := range Fanout {
			out = append(out, i*Fanout+c)
		}
	}
	return out
}

// Differ returns the indices idx[j] where a[j] != b[j]. a and b are hashes
// of the same nodes idx from two trees; a length mismatch counts every
// index as differing.
func Differ(idx []int, a, b []uint64) []int {
	if len(a) != len(idx) || len(b) != len(idx) {
		return idx
	}
	var out []int
	for j, i := range idx {
		if a[j] != b[j] {
			out = append(out, i)
		}
	}
	return out
}

// keyHash is FNV-1a 64 of the key, mixed. Inline rather than hash/fnv, so
// the write path allocates nothing for it.
func keyHash(key string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	return mix(h)
}

// mix is the splitmix64 finaliser: it spreads every input bit over the
// output, so XOR sums of item hashes do not cancel by structure.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
