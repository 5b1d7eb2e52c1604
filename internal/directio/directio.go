// Package directio writes files with direct I/O (O_DIRECT) where the
// operating system and file system allow it, and through the page cache
// where they do not.
//
// Writing through the page cache costs a copy and page allocation in the
// kernel for every byte; for data that is fsynced at once (shards) or that
// nobody reads back soon (restored files) that is wasted CPU, and on the
// machines measured it was most of the kernel time of a backup or restore.
// Direct I/O needs buffers, offsets and lengths aligned to the device's
// block size, so a Writer stages the bytes in an aligned buffer, pads the
// last block and truncates the file to its real length when it flushes.
package directio

import (
	"errors"
	"os"
	"sync"
	"unsafe"
)

const (
	// Align is the alignment direct I/O needs of buffers, file offsets and
	// lengths: the logical block size of the device (4096 covers all
	// common ones).
	Align = 4096
	// StageSize is the size of one direct write and of the staging buffer
	// each Writer holds while it writes.
	StageSize = 1 << 20
)

// stagePools holds a sync.Pool of aligned staging buffers per size.
var stagePools sync.Map // int → *sync.Pool

// stagePool returns the pool of staging buffers of size bytes.
func stagePool(size int) *sync.Pool {
	if p, ok := stagePools.Load(size); ok {
		return p.(*sync.Pool)
	}
	p, _ := stagePools.LoadOrStore(size, &sync.Pool{New: func() any {
		raw := make([]byte, size+Align)
		off := int(-uintptr(unsafe.Pointer(&raw[0])) & (Align - 1))
		b := raw[off : off+size : off+size]
		return &b
	}})
	return p.(*sync.Pool)
}

// OpenFile is os.OpenFile (of perm's permission bits only), and then, when direct is true, turns direct I/O
// on for the open file if the file system accepts it. It reports whether
// direct I/O is on. (Direct I/O is not asked for in the open itself: on a
// file system without it, Linux creates the file and then fails the open,
// which would leave the file behind and make an O_EXCL retry fail.)
func OpenFile(path string, flags int, perm os.FileMode, direct bool) (*os.File, bool, error) {
	f, err := open(path, flags, perm)
	if err != nil || !direct || flagDirect == 0 {
		return f, false, err
	}
	if setDirect(f) != nil {
		// EINVAL is how a file system says no; anything else also leaves
		// a good buffered file, and the file is there either way.
		return f, false, nil
	}
	return f, true, nil
}

// Writer writes to a file opened by OpenFile. With direct I/O it stages the
// bytes in an aligned buffer; Flush writes the rest. Without, it writes
// straight through.
type Writer struct {
	f       *os.File
	direct  bool
	pool    *sync.Pool // of the staging buffers
	stage   *[]byte
	n       int   // staged bytes
	total   int64 // bytes written or staged
	flushed bool  // a direct write has succeeded
	refused bool  // the file system refused direct I/O on the first write
}

// NewWriter returns a Writer for f; direct tells whether f was opened for
// direct I/O (as reported by OpenFile).
func NewWriter(f *os.File, direct bool) *Writer {
	return NewWriterSize(f, direct, StageSize)
}

// NewWriterSize is NewWriter with a staging buffer of size bytes (a
// multiple of Align; others are rounded up): each direct write is of size
// bytes. Writers that run many at once (the shards of a pack) hold less
// with smaller buffers.
func NewWriterSize(f *os.File, direct bool, size int) *Writer {
	size = max(Align, (size+Align-1)&^(Align-1))
	return &Writer{f: f, direct: direct, pool: stagePool(size)}
}

// Write writes p.
func (w *Writer) Write(p []byte) (int, error) {
	if !w.direct {
		n, err := w.f.Write(p)
		w.total += int64(n)
		return n, err
	}
	if w.stage == nil {
		w.stage = w.pool.Get().(*[]byte)
	}
	stage := *w.stage
	written := len(p)
	for len(p) > 0 {
		c := copy(stage[w.n:], p)
		w.n += c
		w.total += int64(c)
		p = p[c:]
		if w.n == len(stage) {
			if err := w.writeStage(w.n); err != nil {
				return written - len(p) - c, err
			}
			w.n = 0
		}
	}
	return written, nil
}

// writeStage writes the first length bytes of the staging buffer. When the
// file system refuses the first direct write, the file is switched to
// buffered writes and the write retried.
func (w *Writer) writeStage(length int) error {
	b := (*w.stage)[:length]
	_, err := w.f.Write(b)
	if err != nil && !w.flushed && refused(err) {
		if err = clearDirect(w.f); err == nil {
			w.refused = true
			_, err = w.f.Write(b)
		}
	}
	if err == nil {
		w.flushed = true
	}
	return err
}

// Flush writes the staged bytes: the last block padded to Align, then the
// file truncated to the bytes written. It does not close or sync the file.
// The Writer must not be used after Flush.
func (w *Writer) Flush() error {
	if w.stage == nil {
		return nil
	}
	defer func() {
		w.pool.Put(w.stage)
		w.stage = nil
	}()
	if w.n == 0 {
		return nil
	}
	padded := (w.n + Align - 1) &^ (Align - 1)
	clear((*w.stage)[w.n:padded])
	if err := w.writeStage(padded); err != nil {
		return err
	}
	if padded != w.n {
		w.n = 0
		return w.f.Truncate(w.total)
	}
	w.n = 0
	return nil
}

// Discard releases the staging buffer without writing what it holds, for
// a write being abandoned. The Writer must not be used after Discard.
func (w *Writer) Discard() {
	if w.stage != nil {
		w.pool.Put(w.stage)
		w.stage = nil
	}
}

// Refused reports whether the file system refused direct I/O on the first
// write (the Writer then continued through the page cache): callers may
// stop asking for it.
func (w *Writer) Refused() bool { return w.refused }

// refused reports whether err is how a file system says no to direct I/O.
func refused(err error) bool {
	return errors.Is(err, errInvalid)
}
