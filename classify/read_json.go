package classify

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"sort"
	"unicode/utf8"
)

// readJSON reads one JSON document: an array of objects, each a record, or
// one object, which is one record (an invoice document). Objects are
// flattened as in JSON Lines. Each record may take at most the maximum
// record size; errors carry the line where they are found.
func readJSON(r io.Reader, cfg config) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		li := &lineIndex{r: r, max: int64(cfg.maxRecord)}
		dec := json.NewDecoder(li)
		dec.UseNumber()
		fail := func(err error) {
			var se *json.SyntaxError
			off := dec.InputOffset()
			switch {
			case errors.As(err, &se):
				off = se.Offset
			case errors.Is(err, ErrTooLong), errors.Is(err, ErrInvalidUTF8):
				off = li.read
			}
			if !errors.Is(err, ErrTooLong) && !errors.Is(err, ErrInvalidUTF8) {
				err = jsonErr(err)
			}
			yield(nil, &SyntaxError{Line: li.lineAt(off), Err: err})
		}
		tok, err := dec.Token()
		if err == io.EOF {
			return // an empty document holds no records
		}
		if err != nil {
			fail(err)
			return
		}
		d, ok := tok.(json.Delim)
		switch {
		case ok && d == '{':
			f := &flattener{dec: dec, index: map[string]int{}}
			if err := f.object(""); err != nil {
				fail(err)
				return
			}
			if _, err := dec.Token(); err != io.EOF {
				fail(errors.New("extra data after the JSON document"))
				return
			}
			yield(f.rec, nil)
			return
		case !ok || d != '[':
			fail(errors.New("want a JSON array of objects or one object"))
			return
		}
		for dec.More() {
			li.prune(dec.InputOffset())
			tok, err := dec.Token()
			if err != nil {
				fail(err)
				return
			}
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				fail(ErrNotObject)
				return
			}
			f := &flattener{dec: dec, index: map[string]int{}}
			if err := f.object(""); err != nil {
				fail(err)
				return
			}
			if !yield(f.rec, nil) {
				return
			}
		}
		if _, err := dec.Token(); err != nil { // ']'
			fail(err)
			return
		}
		if _, err := dec.Token(); err != io.EOF {
			fail(errors.New("extra data after the JSON document"))
		}
	}
}

// lineIndex reads for the JSON decoder, remembering where the lines start
// in the part not yet decoded, so an error can name its line; it refuses to
// read more than max bytes past the start of the current record, and
// invalid UTF-8.
type lineIndex struct {
	r     io.Reader
	read  int64   // bytes read
	start int64   // offset of the current record
	nl    []int64 // offsets of the newlines at or after start
	base  int     // newlines before nl[0]
	max   int64
	tail  []byte // an incomplete UTF-8 sequence at the end of the last read
}

func (l *lineIndex) Read(p []byte) (int, error) {
	if l.read-l.start > l.max {
		return 0, ErrTooLong
	}
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.nl = append(l.nl, l.read+int64(i))
		}
	}
	if !l.validUTF8(p[:n]) {
		return 0, ErrInvalidUTF8
	}
	l.read += int64(n)
	return n, err
}

// validUTF8 checks b, carrying an incomplete sequence at its end over to
// the next read.
func (l *lineIndex) validUTF8(b []byte) bool {
	if len(l.tail) > 0 {
		b = append(l.tail, b...)
		l.tail = nil
	}
	cut := len(b)
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				cut = i
			}
			break
		}
	}
	l.tail = bytes.Clone(b[cut:])
	return utf8.Valid(b[:cut])
}

// prune forgets the newlines before off, where the next record starts.
func (l *lineIndex) prune(off int64) {
	i := sort.Search(len(l.nl), func(i int) bool { return l.nl[i] >= off })
	l.base += i
	l.nl = append(l.nl[:0], l.nl[i:]...)
	l.start = off
}

// lineAt returns the 1-based line of offset off (at or after the current
// record's start).
func (l *lineIndex) lineAt(off int64) int {
	return 1 + l.base + sort.Search(len(l.nl), func(i int) bool { return l.nl[i] >= off })
}
