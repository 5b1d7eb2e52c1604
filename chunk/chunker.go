package chunk

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// Default chunking parameters. They suit backups of documents, databases
// dumps and attachments: chunks are large enough that per-chunk overhead
// (index entries, encryption headers) stays small, and small enough that an
// edit re-uploads about a megabyte.
const (
	// DefaultMin is the default minimum chunk size: 512 KiB.
	DefaultMin = 512 << 10
	// DefaultAvg is the default normal (target) chunk size: 1 MiB.
	DefaultAvg = 1 << 20
	// DefaultMax is the default maximum chunk size: 8 MiB.
	DefaultMax = 8 << 20

	// MinLimit is the smallest allowed Params.Min: the gear hash window.
	MinLimit = gearWindow
	// MaxLimit is the largest allowed Params.Max: 64 MiB.
	MaxLimit = 64 << 20
)

// gearWindow is the number of bytes a 64-bit gear hash depends on: after
// h = h<<1 + g[b] has absorbed 64 bytes, older bytes have been shifted out.
const gearWindow = 64

// normalization is the FastCDC normalization level: the strict mask has
// log2(Avg)+normalization bits, the loose mask log2(Avg)-normalization bits.
const normalization = 2

// maxEmptyReads is how many consecutive (0, nil) reads are tolerated before
// Next gives up with io.ErrNoProgress.
const maxEmptyReads = 100

// ErrInvalidParams is returned (wrapped) by Params.Validate and NewChunker
// when chunking parameters break the rules documented on Params.
var ErrInvalidParams = errors.New("chunk: invalid chunking parameters")

// errNilReader is returned by Next when the chunker has no reader.
var errNilReader = errors.New("chunk: no reader (call Reset with a reader)")

// Params are the chunk size bounds, in bytes.
//
// Rules (checked by Validate): MinLimit (64) <= Min < Avg < Max <=
// MaxLimit (64 MiB), and Avg is a power of two. Every chunk except the last
// of a stream has a size in [Min, Max]; the last one may be shorter than Min.
//
// Min is the number of bytes skipped before a cut point is looked for; Avg
// is the "normal size" at which the boundary mask loosens; Max forces a cut.
// On random data the mean chunk size is about 1.2*Avg with the defaults (see
// the package documentation).
type Params struct {
	Min, Avg, Max int
}

// DefaultParams returns Min 512 KiB, Avg 1 MiB, Max 8 MiB.
func DefaultParams() Params {
	return Params{Min: DefaultMin, Avg: DefaultAvg, Max: DefaultMax}
}

// Validate reports whether p follows the rules documented on Params. The
// error wraps ErrInvalidParams.
func (p Params) Validate() error {
	switch {
	case p.Min < MinLimit:
		return fmt.Errorf("%w: Min %d is below %d", ErrInvalidParams, p.Min, MinLimit)
	case p.Avg <= p.Min:
		return fmt.Errorf("%w: Avg %d must be greater than Min %d", ErrInvalidParams, p.Avg, p.Min)
	case p.Max <= p.Avg:
		return fmt.Errorf("%w: Max %d must be greater than Avg %d", ErrInvalidParams, p.Max, p.Avg)
	case p.Max > MaxLimit:
		return fmt.Errorf("%w: Max %d is above %d", ErrInvalidParams, p.Max, MaxLimit)
	case p.Avg&(p.Avg-1) != 0:
		return fmt.Errorf("%w: Avg %d is not a power of two", ErrInvalidParams, p.Avg)
	}
	return nil
}

// Chunker splits a stream into content-defined chunks. It is not safe for
// concurrent use; use one Chunker per goroutine and Reset it between
// streams to reuse its buffer.
type Chunker struct {
	r            io.Reader
	p            Params
	g            *Gear
	maskS, maskL uint64 // strict mask before Avg, loose mask from Avg on

	buf        []byte // buffered input; the current chunk starts at buf[start]
	start, end int    // buf[start:end] is buffered, not yet returned data
	scanned    int    // bytes of the current chunk already fed to the hash
	h          uint64 // gear hash state after scanned bytes
	eof        bool   // r returned io.EOF
	err        error  // sticky read error, already wrapped
}

// NewChunker returns a Chunker reading from r. It fails with an error
// wrapping ErrInvalidParams if p is invalid. A nil g selects the default
// table (NewGear(nil)); g is not copied and must not be modified while in
// use. r may be nil if Reset is called before Next.
//
// The Chunker holds a buffer that starts at 4*p.Avg bytes (4 MiB with the
// default parameters) and grows, when a chunk needs it, up to p.Max +
// max(p.Max/8, 64 KiB) bytes (9 MiB); it never shrinks, and Reset keeps
// it. Chunk boundaries do not depend on the buffer size.
func NewChunker(r io.Reader, p Params, g *Gear) (*Chunker, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if g == nil {
		g = defaultTable()
	}
	bitsAvg := bits.TrailingZeros(uint(p.Avg))
	return &Chunker{
		r:     r,
		p:     p,
		g:     g,
		maskS: topBits(bitsAvg + normalization),
		maskL: topBits(bitsAvg - normalization),
		buf:   make([]byte, min(4*p.Avg, fullBuffer(p))),
	}, nil
}

// fullBuffer is the largest buffer a Chunker with parameters p holds: room
// for a chunk of p.Max bytes and a read ahead of it.
func fullBuffer(p Params) int {
	return p.Max + max(p.Max/8, 64<<10)
}

// topBits returns a mask of the n most significant bits of a uint64.
func topBits(n int) uint64 {
	return ^uint64(0) << (64 - uint(n))
}

// Params returns the parameters the Chunker was created with.
func (c *Chunker) Params() Params { return c.p }

// Reset makes the Chunker read the new stream r from its start, forgetting
// any unread data of the previous stream but keeping its buffer.
func (c *Chunker) Reset(r io.Reader) {
	c.r = r
	c.start, c.end = 0, 0
	c.scanned, c.h = 0, 0
	c.eof, c.err = false, nil
}

// Next returns the next chunk of the stream.
//
// The returned slice aliases the Chunker's buffer and is valid only until
// the next call to Next or Reset; copy it to keep it. After the last chunk
// Next returns (nil, io.EOF); an empty stream yields io.EOF at once. Errors
// from the reader other than io.EOF are returned wrapped (test with
// errors.Is), after every chunk complete before the error was returned; they
// are sticky.
func (c *Chunker) Next() ([]byte, error) {
	for {
		if cut := c.findCut(); cut > 0 {
			return c.emit(cut), nil
		}
		n := c.end - c.start
		if n >= c.p.Max {
			return c.emit(c.p.Max), nil
		}
		if c.eof {
			if n == 0 {
				return nil, io.EOF
			}
			return c.emit(n), nil
		}
		if c.err != nil {
			return nil, c.err
		}
		c.fill()
	}
}

// emit returns the next n buffered bytes as a chunk and starts a new one.
func (c *Chunker) emit(n int) []byte {
	s := c.start
	c.start += n
	c.scanned, c.h = 0, 0
	return c.buf[s : s+n : s+n]
}

// fill reads once from r into the free tail of the buffer, first moving the
// current partial chunk to the front when the tail is short.
func (c *Chunker) fill() {
	if c.r == nil {
		c.err = errNilReader
		return
	}
	if c.start == c.end {
		c.start, c.end = 0, 0
	} else if len(c.buf)-c.end < len(c.buf)/4 {
		c.end = copy(c.buf, c.buf[c.start:c.end])
		c.start = 0
	}
	if full := fullBuffer(c.p); len(c.buf)-c.end < len(c.buf)/4 && len(c.buf) < full {
		// The partial chunk fills most of the buffer: grow it. At the full
		// size the partial chunk, shorter than Max, leaves at least
		// len(buf)-Max bytes free.
		nb := make([]byte, min(2*len(c.buf), full))
		c.end = copy(nb, c.buf[c.start:c.end])
		c.start = 0
		c.buf = nb
	}
	for range maxEmptyReads {
		free := c.buf[c.end:]
		n, err := c.r.Read(free)
		if n < 0 || n > len(free) {
			c.err = fmt.Errorf("chunk: read: reader returned invalid count %d for a %d-byte buffer", n, len(free))
			return
		}
		c.end += n
		switch {
		case err == io.EOF:
			c.eof = true
			return
		case err != nil:
			c.err = fmt.Errorf("chunk: read: %w", err)
			return
		case n > 0:
			return
		}
	}
	c.err = fmt.Errorf("chunk: read: %w", io.ErrNoProgress)
}

// findCut continues the boundary search over the buffered part of the
// current chunk. It returns the length of the chunk ending at the first cut
// point, or 0 if there is none yet (the state is saved to resume later).
//
// Positions i (0-based within the chunk) are hashed from Min-64 on, so the
// hash is fully warmed up at Min; a cut after byte i happens when the top
// bits selected by the mask of the hash are all zero, with the strict mask
// for Min <= i < Avg and the loose mask for Avg <= i < Max-1.
func (c *Chunker) findCut() int {
	d := c.buf[c.start:c.end]
	if len(d) > c.p.Max {
		d = d[:c.p.Max]
	}
	i := max(c.scanned, c.p.Min-gearWindow)
	h := c.h
	if i < c.p.Min && i < len(d) {
		e := min(c.p.Min, len(d))
		h = warm(d[i:e], h, c.g)
		i = e
	}
	if i < c.p.Avg && i < len(d) {
		e := min(c.p.Avg, len(d))
		k, hh := scan(d[i:e], h, c.g, c.maskS)
		if k >= 0 {
			return i + k + 1
		}
		h, i = hh, e
	}
	if i < len(d) {
		k, hh := scan(d[i:], h, c.g, c.maskL)
		if k >= 0 {
			return i + k + 1
		}
		h, i = hh, len(d)
	}
	c.scanned, c.h = i, h
	return 0
}

// warm feeds b to the gear hash h without looking for cut points.
func warm(b []byte, h uint64, g *Gear) uint64 {
	for _, x := range b {
		h = h<<1 + g[x]
	}
	return h
}

// scan feeds b to the gear hash h and returns the index of the first byte
// after which h&mask == 0, or -1, together with the hash state.
//
// It is the hot loop of chunking. Four bytes are absorbed per iteration:
// the hash after the fourth byte is computed from h in two dependent steps
// (h<<4 plus a sum of table values that does not depend on h), so the loop
// carried dependency is short, and the three intermediate states needed for
// the cut-point tests are computed off that critical path. The table is
// copied to the stack so lookups need neither a nil check nor a bounds
// check (a byte always indexes a [256] array), and one slice-to-array
// conversion per iteration replaces four bounds checks.
func scan(b []byte, h uint64, gp *Gear, mask uint64) (int, uint64) {
	g := *gp
	n := len(b) &^ 3
	i := 0
	for ; i < n; i += 4 {
		q := (*[4]byte)(b[i : i+4])
		a0, a1, a2, a3 := g[q[0]], g[q[1]], g[q[2]], g[q[3]]
		h1 := h<<1 + a0
		h2 := h<<2 + (a0<<1 + a1)
		h3 := h2<<1 + a2
		h = h<<4 + (a0<<3 + a1<<2 + a2<<1 + a3)
		if h1&mask == 0 {
			return i, h1
		}
		if h2&mask == 0 {
			return i + 1, h2
		}
		if h3&mask == 0 {
			return i + 2, h3
		}
		if h&mask == 0 {
			return i + 3, h
		}
	}
	for ; i < len(b); i++ {
		h = h<<1 + g[b[i]]
		if h&mask == 0 {
			return i, h
		}
	}
	return -1, h
}
