package chunk

import (
	"bytes"
	"errors"
	"io"
	"math/bits"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zeebo/blake3"
)

// refCut is a direct, byte-at-a-time transcription of the algorithm in the
// package documentation. It returns the chunk lengths of data.
func refCut(data []byte, p Params, g *Gear) []int {
	if g == nil {
		g = NewGear(nil)
	}
	nb := bits.TrailingZeros(uint(p.Avg))
	maskS := ^uint64(0) << (64 - (nb + 2))
	maskL := ^uint64(0) << (64 - (nb - 2))
	var out []int
	for s := 0; s < len(data); {
		l := len(data) - s
		if l <= p.Min {
			out = append(out, l)
			break
		}
		n := min(l, p.Max)
		var h uint64
		for i := p.Min - 64; i < min(l, p.Max); i++ {
			h = h<<1 + g[data[s+i]]
			if i < p.Min {
				continue
			}
			mask := maskL
			if i < p.Avg {
				mask = maskS
			}
			if h&mask == 0 {
				n = i + 1
				break
			}
		}
		out = append(out, n)
		s += n
	}
	return out
}

// collect runs a fresh Chunker over r and returns copies of all chunks.
func collect(t testing.TB, r io.Reader, p Params, g *Gear) [][]byte {
	t.Helper()
	c, err := NewChunker(r, p, g)
	require.NoError(t, err)
	return drain(t, c)
}

func drain(t testing.TB, c *Chunker) [][]byte {
	t.Helper()
	var out [][]byte
	for {
		b, err := c.Next()
		if err == io.EOF {
			require.Nil(t, b)
			return out
		}
		require.NoError(t, err)
		require.NotEmpty(t, b, "Next returned an empty chunk")
		require.Equal(t, len(b), cap(b), "chunk capacity must not expose the buffer")
		out = append(out, bytes.Clone(b))
	}
}

func lengths(chunks [][]byte) []int {
	var out []int
	for _, c := range chunks {
		out = append(out, len(c))
	}
	return out
}

// checkChunks asserts the invariants of a chunking of data.
func checkChunks(t testing.TB, data []byte, chunks [][]byte, p Params) {
	t.Helper()
	require.Equal(t, data, bytes.Join(chunks, nil), "concatenated chunks differ from the input")
	if len(data) == 0 {
		require.Empty(t, chunks)
		return
	}
	for i, c := range chunks {
		require.LessOrEqual(t, len(c), p.Max, "chunk %d too long", i)
		if i < len(chunks)-1 {
			require.GreaterOrEqual(t, len(c), p.Min, "chunk %d too short", i)
		}
	}
}

// oddReader returns reads of pseudo-random sizes between 1 and max bytes.
type oddReader struct {
	r   io.Reader
	rng *rand.Rand
	max int
}

func (o *oddReader) Read(p []byte) (int, error) {
	n := 1 + o.rng.IntN(o.max)
	if n < len(p) {
		p = p[:n]
	}
	return o.r.Read(p)
}

var (
	randOnce sync.Once
	randData []byte
)

// sharedRandom returns 96 MiB of fixed pseudo-random data (read-only).
func sharedRandom() []byte {
	randOnce.Do(func() { randData = randomBytes(96<<20, 42) })
	return randData
}

var smallParams = Params{Min: 2 << 10, Avg: 8 << 10, Max: 32 << 10}

func TestDefaultParams(t *testing.T) {
	p := DefaultParams()
	assert.Equal(t, Params{Min: 512 << 10, Avg: 1 << 20, Max: 8 << 20}, p)
	assert.NoError(t, p.Validate())
}

func TestParamsValidate(t *testing.T) {
	good := []Params{
		{64, 128, 129},
		{100, 128, 1000},
		{1 << 20, 2 << 20, MaxLimit},
		smallParams,
	}
	for _, p := range good {
		assert.NoError(t, p.Validate(), "%+v", p)
	}
	bad := []Params{
		{},
		{63, 128, 256},
		{-1, 128, 256},
		{128, 128, 256},
		{200, 128, 256},
		{64, 128, 128},
		{64, 128, 100},
		{64, 96, 256},
		{64, 1 << 20, MaxLimit + 1},
		{64, 1 << 26, 1 << 27},
	}
	for _, p := range bad {
		err := p.Validate()
		require.Error(t, err, "%+v", p)
		assert.ErrorIs(t, err, ErrInvalidParams)
		c, err := NewChunker(bytes.NewReader(nil), p, nil)
		assert.Nil(t, c)
		assert.ErrorIs(t, err, ErrInvalidParams)
	}
}

func TestRoundTripSizes(t *testing.T) {
	p := DefaultParams()
	data := sharedRandom()
	g := NewGear([]byte("round trip"))
	sizes := []int{0, 1, p.Min - 1, p.Min, p.Min + 1, p.Avg, p.Max, p.Max + 1, 10 * p.Max}
	for _, n := range sizes {
		in := data[:n]
		want := refCut(in, p, g)
		got := collect(t, bytes.NewReader(in), p, g)
		checkChunks(t, in, got, p)
		assert.Equal(t, want, lengths(got), "size %d", n)
	}
}

func TestRoundTripSmallParams(t *testing.T) {
	p := smallParams
	rng := rand.New(rand.NewPCG(1, 2))
	data := sharedRandom()
	sizes := []int{0, 1, 63, 64, p.Min - 1, p.Min, p.Min + 1, p.Avg - 1, p.Avg, p.Avg + 1,
		p.Max - 1, p.Max, p.Max + 1, 2 * p.Max, 10 * p.Max}
	for range 20 {
		sizes = append(sizes, rng.IntN(20*p.Max))
	}
	for _, n := range sizes {
		in := data[:n]
		want := refCut(in, p, nil)
		got := collect(t, bytes.NewReader(in), p, nil)
		checkChunks(t, in, got, p)
		require.Equal(t, want, lengths(got), "size %d", n)
	}
}

// TestFragmentedReads checks that boundaries do not depend on read sizes.
func TestFragmentedReads(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Params
		n    int
	}{
		{"small", smallParams, 40 * smallParams.Max},
		{"default", DefaultParams(), 2*DefaultMax + 123},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := sharedRandom()[:tc.n]
			g := NewGear([]byte("fragments"))
			want := refCut(data, tc.p, g)
			readers := map[string]func() io.Reader{
				"whole":   func() io.Reader { return bytes.NewReader(data) },
				"half":    func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
				"dataerr": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
				"odd": func() io.Reader {
					return &oddReader{r: bytes.NewReader(data), rng: rand.New(rand.NewPCG(3, 4)), max: 7919}
				},
			}
			for name, mk := range readers {
				got := collect(t, mk(), tc.p, g)
				checkChunks(t, data, got, tc.p)
				assert.Equal(t, want, lengths(got), name)
			}
			// One-byte reads cost a call per byte: use a prefix holding a few
			// chunks (3 MiB with the default parameters).
			prefix := data[:min(len(data), 3*tc.p.Avg)]
			got := collect(t, iotest.OneByteReader(bytes.NewReader(prefix)), tc.p, g)
			checkChunks(t, prefix, got, tc.p)
			assert.Equal(t, refCut(prefix, tc.p, g), lengths(got), "onebyte")
		})
	}
}

func TestAverageChunkSize(t *testing.T) {
	for _, p := range []Params{DefaultParams(), smallParams, {Min: 64, Avg: 256, Max: 4096}} {
		data := sharedRandom()
		if p.Avg < 1<<20 {
			data = data[:8<<20]
		}
		got := lengths(collect(t, bytes.NewReader(data), p, NewGear([]byte("avg"))))
		mean := float64(len(data)) / float64(len(got))
		t.Logf("%+v: %d chunks, mean %.0f bytes (%.3f*Avg)", p, len(got), mean, mean/float64(p.Avg))
		assert.InDelta(t, float64(p.Avg), mean, 0.25*float64(p.Avg), "%+v", p)
	}
}

func TestEditLocality(t *testing.T) {
	p := DefaultParams()
	orig := sharedRandom()[:20<<20]
	g := NewGear([]byte("locality"))
	h, err := NewIDHasher(bytes.Repeat([]byte{1}, KeySize))
	require.NoError(t, err)

	ids := func(data []byte) map[ID]bool {
		m := map[ID]bool{}
		for _, c := range collect(t, bytes.NewReader(data), p, g) {
			m[h.Sum(c)] = true
		}
		return m
	}
	mid := len(orig) / 2
	edited := bytes.Clone(orig[:mid])
	edited = append(edited, "INSERTED"...)
	edited = append(edited, orig[mid:]...)

	before, after := ids(orig), ids(edited)
	changed := 0
	for id := range after {
		if !before[id] {
			changed++
		}
	}
	t.Logf("%d chunks before, %d after, %d new", len(before), len(after), changed)
	require.Greater(t, len(before), 10)
	assert.LessOrEqual(t, changed, 2, "an 8-byte insertion should change at most 2 chunks")

	// Deleting bytes near the start only changes the first chunk(s) as well.
	deleted := orig[1000:]
	changed = 0
	for id := range ids(deleted) {
		if !before[id] {
			changed++
		}
	}
	assert.LessOrEqual(t, changed, 2)
}

func TestGearKeysChangeBoundaries(t *testing.T) {
	data := sharedRandom()[:16<<20]
	p := DefaultParams()
	a := lengths(collect(t, bytes.NewReader(data), p, NewGear([]byte("key A"))))
	b := lengths(collect(t, bytes.NewReader(data), p, NewGear([]byte("key B"))))
	d := lengths(collect(t, bytes.NewReader(data), p, nil))
	assert.NotEqual(t, a, b)
	assert.NotEqual(t, a, d)
	// Same key, same boundaries.
	a2 := lengths(collect(t, bytes.NewReader(data), p, NewGear([]byte("key A"))))
	assert.Equal(t, a, a2)
}

func TestNewGear(t *testing.T) {
	def := NewGear(nil)
	assert.Equal(t, def, NewGear([]byte{}))
	assert.Equal(t, def, defaultTable())
	assert.NotEqual(t, def, NewGear([]byte{0}))
	assert.NotEqual(t, NewGear([]byte("a")), NewGear([]byte("b")))
	assert.Equal(t, NewGear([]byte("a")), NewGear([]byte("a")))

	// The caller owns the returned table: changing it leaves the default alone.
	def[0] ^= 1
	assert.NotEqual(t, def, NewGear(nil))

	// Entries are distinct (a degenerate table would hash poorly).
	seen := map[uint64]bool{}
	for _, v := range NewGear([]byte("k")) {
		seen[v] = true
	}
	assert.Len(t, seen, 256)
}

// TestFormatStability pins the default gear table and the boundaries of a
// fixed input: boundaries are part of the repository format, and changing
// them silently would break deduplication against existing backups.
func TestFormatStability(t *testing.T) {
	g := NewGear(nil)
	assert.Equal(t, uint64(0x0), g[0]^goldenGear0, "G[0] = %#x", g[0])
	assert.Equal(t, uint64(0x0), g[255]^goldenGear255, "G[255] = %#x", g[255])

	data := make([]byte, 4<<20)
	h := blake3.New()
	_, _ = h.WriteString("custodia chunk golden input")
	_, _ = h.Digest().Read(data)
	got := lengths(collect(t, bytes.NewReader(data), Params{Min: 64 << 10, Avg: 256 << 10, Max: 1 << 20}, NewGear([]byte("golden"))))
	assert.Equal(t, goldenLengths, got)
}

func TestReset(t *testing.T) {
	p := smallParams
	data := sharedRandom()
	c, err := NewChunker(nil, p, nil)
	require.NoError(t, err)

	// A chunker without a reader fails instead of panicking.
	_, err = c.Next()
	require.Error(t, err)

	for i, n := range []int{0, 5 * p.Max, 1, 3*p.Max + 17, p.Min} {
		in := data[i*1000 : i*1000+n]
		c.Reset(bytes.NewReader(in))
		got := drain(t, c)
		checkChunks(t, in, got, p)
		assert.Equal(t, refCut(in, p, nil), lengths(got))
		// Further calls keep reporting EOF.
		_, err := c.Next()
		assert.Equal(t, io.EOF, err)
	}

	// Reset in the middle of a stream forgets the rest of it.
	c.Reset(bytes.NewReader(data[:10*p.Max]))
	_, err = c.Next()
	require.NoError(t, err)
	in := data[777 : 777+4*p.Max]
	c.Reset(iotest.HalfReader(bytes.NewReader(in)))
	got := drain(t, c)
	checkChunks(t, in, got, p)
	assert.Equal(t, refCut(in, p, nil), lengths(got))
}

var errBoom = errors.New("boom")

func TestReadError(t *testing.T) {
	p := smallParams
	data := sharedRandom()[:5*p.Max]
	want := refCut(data, p, nil)

	c, err := NewChunker(io.MultiReader(bytes.NewReader(data), iotest.ErrReader(errBoom)), p, nil)
	require.NoError(t, err)
	var got []int
	for {
		b, err := c.Next()
		if err != nil {
			require.ErrorIs(t, err, errBoom)
			break
		}
		got = append(got, len(b))
	}
	// Every chunk completely determined before the error is delivered; the
	// trailing partial chunk is not (more data could have extended it).
	require.Greater(t, len(want), 2)
	assert.Equal(t, want[:len(want)-1], got)
	// The error is sticky.
	_, err = c.Next()
	assert.ErrorIs(t, err, errBoom)
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

type badCountReader struct{}

func (badCountReader) Read(p []byte) (int, error) { return len(p) + 1, nil }

func TestMisbehavingReaders(t *testing.T) {
	c, err := NewChunker(zeroReader{}, smallParams, nil)
	require.NoError(t, err)
	_, err = c.Next()
	assert.ErrorIs(t, err, io.ErrNoProgress)

	c.Reset(badCountReader{})
	_, err = c.Next()
	assert.Error(t, err)

	c.Reset(iotest.TimeoutReader(bytes.NewReader(sharedRandom()[:3*smallParams.Max])))
	var got []int
	for {
		b, err := c.Next()
		if err != nil {
			assert.ErrorIs(t, err, iotest.ErrTimeout)
			break
		}
		got = append(got, len(b))
	}
	assert.NotEmpty(t, got, "chunks complete before the error are returned")
	for _, n := range got {
		assert.True(t, n >= smallParams.Min && n <= smallParams.Max, "chunk of %d bytes", n)
	}
}

func TestZeros(t *testing.T) {
	// Runs of one byte value have no cut points: they are cut at Max.
	p := smallParams
	data := make([]byte, 5*p.Max+3)
	got := collect(t, bytes.NewReader(data), p, nil)
	checkChunks(t, data, got, p)
	assert.Equal(t, refCut(data, p, nil), lengths(got))
}

func TestNextDoesNotAllocate(t *testing.T) {
	data := sharedRandom()[:8<<20]
	c, err := NewChunker(nil, DefaultParams(), nil)
	require.NoError(t, err)
	rd := bytes.NewReader(data)
	// Once grown (if the data needs it), the buffer is reused.
	allocs := testing.AllocsPerRun(3, func() {
		rd.Reset(data)
		c.Reset(rd)
		for {
			if _, err := c.Next(); err != nil {
				break
			}
		}
	})
	assert.Zero(t, allocs)
}

// The buffer starts small and grows only when a chunk needs it: random
// data (chunks near Avg) keeps the small buffer, zeros (every chunk Max
// bytes) grow it to hold Max bytes, and the chunks are the same either way.
func TestBufferGrowsOnDemand(t *testing.T) {
	p := DefaultParams()
	c, err := NewChunker(bytes.NewReader(sharedRandom()[:16<<20]), p, nil)
	require.NoError(t, err)
	for {
		if _, err := c.Next(); err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
	}
	assert.Less(t, len(c.buf), fullBuffer(p), "random data needs no full buffer")

	zeros := make([]byte, 3*p.Max+5)
	c.Reset(bytes.NewReader(zeros))
	var got []int
	for {
		b, err := c.Next()
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		got = append(got, len(b))
	}
	assert.Equal(t, []int{p.Max, p.Max, p.Max, 5}, got)
	assert.GreaterOrEqual(t, len(c.buf), p.Max)
	assert.LessOrEqual(t, len(c.buf), fullBuffer(p))
}

func TestScanMatchesByteLoop(t *testing.T) {
	g := NewGear([]byte("scan"))
	data := sharedRandom()[:1<<20]
	for _, nb := range []int{1, 2, 3, 4, 6, 8, 10} {
		mask := ^uint64(0) << (64 - nb)
		for off := 0; off < 200; off += 13 {
			for _, l := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1000, 65536} {
				b := data[off : off+l]
				wantI, wantH := -1, uint64(99)
				h := uint64(99)
				for i, x := range b {
					h = h<<1 + g[x]
					if h&mask == 0 {
						wantI = i
						break
					}
				}
				wantH = h
				gotI, gotH := scan(b, 99, g, mask)
				require.Equal(t, wantI, gotI, "bits %d off %d len %d", nb, off, l)
				require.Equal(t, wantH, gotH)
			}
		}
	}
}

// FuzzChunker checks the chunking invariants for small parameters and any
// data, and that read fragmentation does not change the boundaries.
func FuzzChunker(f *testing.F) {
	f.Add([]byte{}, uint16(0), uint8(0), uint16(0), uint8(1))
	f.Add(bytes.Repeat([]byte{0}, 5000), uint16(64), uint8(7), uint16(300), uint8(3))
	f.Add(randomBytes(20000, 5), uint16(100), uint8(8), uint16(1000), uint8(17))
	f.Add(randomBytes(3000, 6), uint16(0), uint8(6), uint16(0), uint8(255))
	f.Fuzz(func(t *testing.T, data []byte, minB uint16, avgBits uint8, maxExtra uint16, step uint8) {
		avg := 1 << (7 + avgBits%6) // 128 .. 4096
		p := Params{
			Min: 64 + int(minB)%(avg-64),
			Avg: avg,
		}
		p.Max = avg + 1 + int(maxExtra)%(4*avg)
		require.NoError(t, p.Validate())

		g := NewGear(data[:min(len(data), 4)])
		want := refCut(data, p, g)
		got := collect(t, bytes.NewReader(data), p, g)
		checkChunks(t, data, got, p)
		require.Equal(t, want, lengths(got))

		r := &oddReader{r: bytes.NewReader(data), rng: rand.New(rand.NewPCG(uint64(step), 0)), max: 1 + int(step)}
		require.Equal(t, want, lengths(collect(t, r, p, g)))
	})
}
