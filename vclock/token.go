package vclock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// Limits a context token must respect; DecodeContext rejects anything past
// them so that a client cannot make a node allocate or iterate without bound.
const (
	MaxContextEntries = 1024 // entries in one token
	MaxNodeLen        = 255  // bytes in one node name
)

// tokenVersion is the first byte of every token. A new encoding gets a new
// byte, so old tokens held by clients are recognised rather than misread.
const tokenVersion = 1

// ErrBadContext is wrapped by every DecodeContext error.
var ErrBadContext = errors.New("vclock: malformed context")

// The errors are fixed values so that rejecting garbage costs no allocation.
var (
	errVersion   = fmt.Errorf("%w: unknown version byte", ErrBadContext)
	errTruncated = fmt.Errorf("%w: truncated", ErrBadContext)
	errTrailing  = fmt.Errorf("%w: trailing bytes", ErrBadContext)
	errOverflow  = fmt.Errorf("%w: varint overflows 64 bits", ErrBadContext)
	errVarint    = fmt.Errorf("%w: varint not minimally encoded", ErrBadContext)
	errTooMany   = fmt.Errorf("%w: more than %d entries", ErrBadContext, MaxContextEntries)
	errLongName  = fmt.Errorf("%w: node name longer than %d bytes", ErrBadContext, MaxNodeLen)
	errZero      = fmt.Errorf("%w: zero counter", ErrBadContext)
	errOrder     = fmt.Errorf("%w: nodes unsorted or duplicated", ErrBadContext)
)

// EncodeContext encodes v as an opaque client token (format in doc.go). The
// empty vector encodes to the two bytes {1, 0}. v must be canonical, with
// names of at most MaxNodeLen bytes and at most MaxContextEntries entries
// (prune first); otherwise the token is written but DecodeContext rejects it.
func EncodeContext(v VV) []byte {
	n := 1 + uvarintLen(uint64(len(v)))
	for _, e := range v {
		n += uvarintLen(uint64(len(e.Node))) + len(e.Node) + uvarintLen(e.Counter) + uvarintLen(zigzag(e.Time))
	}
	b := make([]byte, 0, n)
	b = append(b, tokenVersion)
	b = binary.AppendUvarint(b, uint64(len(v)))
	for _, e := range v {
		b = binary.AppendUvarint(b, uint64(len(e.Node)))
		b = append(b, e.Node...)
		b = binary.AppendUvarint(b, e.Counter)
		b = binary.AppendVarint(b, e.Time)
	}
	return b
}

// DecodeContext decodes a token made by EncodeContext. nil or empty input is
// the empty vector (a blind write). Anything else must be exactly a canonical
// encoding: known version, every varint minimal, nodes strictly increasing,
// counters non-zero, within the limits, nothing after the last entry. That
// strictness means each vector has one token and each token one vector.
// Errors wrap ErrBadContext; no input makes it panic.
func DecodeContext(b []byte) (VV, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if b[0] != tokenVersion {
		return nil, errVersion
	}
	r := reader{b: b, off: 1}
	n, err := r.uvarint()
	if err != nil {
		return nil, err
	}
	if n > MaxContextEntries {
		return nil, errTooMany
	}
	// Every entry takes at least 3 bytes (name length, counter, time), so a
	// count the input cannot hold is refused before allocating for it.
	if n > uint64(len(b)-r.off)/3 {
		return nil, errTruncated
	}
	if n == 0 {
		return nil, r.end()
	}
	names := string(b) // one allocation shared by every node name
	v := make(VV, 0, n)
	for range n {
		e, err := r.entry(names)
		if err != nil {
			return nil, err
		}
		if len(v) > 0 && v[len(v)-1].Node >= e.Node {
			return nil, errOrder
		}
		v = append(v, e)
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	return v, nil
}

// reader walks a token; b and the names string passed to entry hold the same
// bytes, so offsets into one are offsets into the other.
type reader struct {
	b   []byte
	off int
}

func (r *reader) entry(names string) (Entry, error) {
	l, err := r.uvarint()
	if err != nil {
		return Entry{}, err
	}
	if l > MaxNodeLen {
		return Entry{}, errLongName
	}
	if l > uint64(len(r.b)-r.off) {
		return Entry{}, errTruncated
	}
	node := names[r.off : r.off+int(l)]
	r.off += int(l)
	c, err := r.uvarint()
	if err != nil {
		return Entry{}, err
	}
	if c == 0 {
		return Entry{}, errZero
	}
	t, err := r.varint()
	if err != nil {
		return Entry{}, err
	}
	return Entry{Node: node, Counter: c, Time: t}, nil
}

// uvarint reads a minimal LEB128 varint. binary.Uvarint alone also accepts
// padded forms such as 0x80 0x00 for 0; refusing them keeps tokens canonical.
func (r *reader) uvarint() (uint64, error) {
	x, n := binary.Uvarint(r.b[r.off:])
	switch {
	case n == 0:
		return 0, errTruncated
	case n < 0:
		return 0, errOverflow
	case n > 1 && r.b[r.off+n-1] == 0:
		return 0, errVarint
	}
	r.off += n
	return x, nil
}

// varint reads a zigzag-encoded signed varint, as binary.AppendVarint writes.
func (r *reader) varint() (int64, error) {
	u, err := r.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x, err
}

func (r *reader) end() error {
	if r.off != len(r.b) {
		return errTrailing
	}
	return nil
}

// uvarintLen is the number of bytes binary.AppendUvarint writes for x.
func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

// zigzag maps signed to unsigned as binary.AppendVarint does.
func zigzag(x int64) uint64 { return uint64(x<<1) ^ uint64(x>>63) }
