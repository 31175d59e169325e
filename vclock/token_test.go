package vclock

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"testing/quick"
)

func TestContextRoundTrip(t *testing.T) {
	err := quick.Check(func(g genVV) bool {
		v := VV(g)
		got, err := DecodeContext(EncodeContext(v))
		return err == nil && slices.Equal(got, v.Clone())
	}, &quick.Config{MaxCount: 5000})
	if err != nil {
		t.Fatal(err)
	}
	// Extremes of every field.
	v := VV{
		{"", 1, math.MinInt64},
		{"a", math.MaxUint64, math.MaxInt64},
		{strings.Repeat("z", MaxNodeLen), 1 << 35, -1},
	}
	got, err := DecodeContext(EncodeContext(v))
	if err != nil || !slices.Equal(got, v) {
		t.Fatalf("extremes: %v, %v", got, err)
	}
	big := make(VV, MaxContextEntries)
	for i := range big {
		big[i] = Entry{Node: string(rune(0x100 + i)), Counter: uint64(i + 1), Time: int64(i)}
	}
	if got, err := DecodeContext(EncodeContext(big)); err != nil || !slices.Equal(got, big) {
		t.Fatalf("%d entries: %v", len(big), err)
	}
}

func TestContextEmpty(t *testing.T) {
	for _, v := range []VV{nil, {}} {
		if got := EncodeContext(v); !bytes.Equal(got, []byte{1, 0}) {
			t.Errorf("EncodeContext(%#v) = %x", v, got)
		}
	}
	for _, b := range [][]byte{nil, {}, {1, 0}} {
		if v, err := DecodeContext(b); err != nil || v != nil {
			t.Errorf("DecodeContext(%x) = %v, %v", b, v, err)
		}
	}
}

// The exact bytes are a contract with clients holding tokens; pin them.
func TestContextGoldenBytes(t *testing.T) {
	v := VV{{"a", 1, 1}, {"bc", 300, -2}}
	want := []byte{
		0x01,      // version
		0x02,      // two entries
		0x01, 'a', // name
		0x01,           // counter 1
		0x02,           // time 1, zigzag
		0x02, 'b', 'c', // name
		0xac, 0x02, // counter 300
		0x03, // time -2, zigzag
	}
	if got := EncodeContext(v); !bytes.Equal(got, want) {
		t.Fatalf("EncodeContext = % x, want % x", got, want)
	}
}

func TestDecodeContextRejects(t *testing.T) {
	good := EncodeContext(VV{{"a", 1, 5}, {"b", 2, 6}})
	entry := func(name string, counter byte) []byte {
		return append([]byte{byte(len(name))}, append([]byte(name), counter, 0)...)
	}
	tok := func(n byte, entries ...[]byte) []byte {
		return append([]byte{1, n}, bytes.Join(entries, nil)...)
	}
	long := append([]byte{1, 1, 0x80, 0x02}, strings.Repeat("x", 256)...) // name length 256
	long = append(long, 1, 0)
	tooMany := []byte{1, 0x81, 0x08} // 1025 entries
	for i := range 1025 {
		tooMany = append(tooMany, entry(string(rune(0x100+i)), 1)...)
	}
	cases := map[string][]byte{
		"trailing byte":         append(slices.Clone(good), 0),
		"trailing after empty":  {1, 0, 0},
		"version 0":             append([]byte{0}, good[1:]...),
		"version 2":             append([]byte{2}, good[1:]...),
		"version 0xff":          {0xff},
		"unsorted":              tok(2, entry("b", 1), entry("a", 1)),
		"duplicate":             tok(2, entry("a", 1), entry("a", 2)),
		"zero counter":          tok(1, entry("a", 0)),
		"name over 255":         long,
		"1025 entries":          tooMany,
		"count overflows":       {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"count beyond input":    {1, 3, 1, 'a', 1, 0},
		"padded count":          {1, 0x80, 0x00},
		"padded counter":        {1, 1, 1, 'a', 0x81, 0x00, 0},
		"padded time":           {1, 1, 1, 'a', 1, 0x80, 0x00},
		"counter overflows":     append([]byte{1, 1, 1, 'a'}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0),
		"name longer than rest": {1, 1, 9, 'a', 1, 0},
	}
	for i := 1; i < len(good); i++ {
		cases["truncated to "+string(rune('0'+i))] = good[:i]
	}
	for name, b := range cases {
		v, err := DecodeContext(b)
		if err == nil || !errors.Is(err, ErrBadContext) || v != nil {
			t.Errorf("%s: DecodeContext(% x) = %v, %v; want an ErrBadContext", name, b, v, err)
		}
	}
}

func FuzzDecodeContext(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 0})
	f.Add(EncodeContext(VV{{"a", 1, 5}, {"b", 2, -6}}))
	f.Add(EncodeContext(VV{{"node-1", 1 << 40, 1 << 60}}))
	f.Add([]byte{1, 1, 1, 'a', 0x81, 0x00, 0})
	f.Add([]byte{1, 0x81, 0x08, 1, 'a', 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeContext(b)
		if err != nil {
			if !errors.Is(err, ErrBadContext) || v != nil {
				t.Fatalf("error %v does not wrap ErrBadContext, or vector %v returned with it", err, v)
			}
			return
		}
		if err := v.Validate(); err != nil {
			t.Fatalf("accepted a non-canonical vector: %v", err)
		}
		if len(b) == 0 {
			if v != nil {
				t.Fatalf("empty input decoded to %v", v)
			}
			return // the one input that does not re-encode to itself
		}
		if enc := EncodeContext(v); !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding % x gave % x", b, enc)
		}
	})
}
