package classify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"unicode/utf8"
)

// lineReader yields physical lines without their terminator, counting them.
type lineReader struct {
	br      *bufio.Reader
	line    int // number of the line last returned
	scratch []byte
	max     int
	first   bool
	eof     bool
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max, first: true}
}

// next returns the next line (valid until the following call) and io.EOF
// after the last one.
func (lr *lineReader) next() ([]byte, error) {
	if lr.eof {
		return nil, io.EOF
	}
	b, err := lr.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.scratch = append(lr.scratch[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(lr.scratch) > lr.max {
				return nil, &SyntaxError{Line: lr.line + 1, Err: ErrTooLong}
			}
			b, err = lr.br.ReadSlice('\n')
			lr.scratch = append(lr.scratch, b...)
		}
		b = lr.scratch
	}
	switch {
	case err == io.EOF:
		lr.eof = true
		if len(b) == 0 {
			return nil, io.EOF
		}
	case err != nil:
		return nil, err
	}
	if len(b) > lr.max {
		return nil, &SyntaxError{Line: lr.line + 1, Err: ErrTooLong}
	}
	lr.line++
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if lr.first {
		lr.first = false
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	}
	return b, nil
}

// csvParser is a strict RFC 4180 reader with line tracking. One record is
// returned as one string plus field end offsets, so a record costs a single
// allocation.
type csvParser struct {
	lr    *lineReader
	comma byte
	buf   []byte
	ends  []int
	start int // line where the last record started
}

// read returns the next record; fields are s[ends[i-1]:ends[i]].
func (p *csvParser) read() (s string, ends []int, err error) {
	var line []byte
	for {
		line, err = p.lr.next()
		if err != nil {
			return "", nil, err
		}
		if len(line) > 0 {
			break
		}
	}
	p.start = p.lr.line
	p.buf, p.ends = p.buf[:0], p.ends[:0]
	// Fast path: no quotes at all.
	if bytes.IndexByte(line, '"') < 0 {
		for {
			i := bytes.IndexByte(line, p.comma)
			if i < 0 {
				p.buf = append(p.buf, line...)
				p.ends = append(p.ends, len(p.buf))
				return p.finish()
			}
			p.buf = append(p.buf, line[:i]...)
			p.ends = append(p.ends, len(p.buf))
			line = line[i+1:]
		}
	}
	pos := 0
	for {
		if pos < len(line) && line[pos] == '"' {
			// Quoted field.
			fieldLine := p.lr.line
			pos++
			for {
				i := bytes.IndexByte(line[pos:], '"')
				if i < 0 {
					p.buf = append(p.buf, line[pos:]...)
					p.buf = append(p.buf, '\n')
					if len(p.buf) > p.lr.max {
						return "", nil, &SyntaxError{Line: p.start, Err: ErrTooLong}
					}
					line, err = p.lr.next()
					if err == io.EOF {
						return "", nil, &SyntaxError{Line: fieldLine, Err: ErrUnterminatedQuote}
					}
					if err != nil {
						return "", nil, err
					}
					pos = 0
					continue
				}
				p.buf = append(p.buf, line[pos:pos+i]...)
				pos += i + 1
				if pos < len(line) && line[pos] == '"' {
					p.buf = append(p.buf, '"')
					pos++
					continue
				}
				break
			}
			switch {
			case pos == len(line):
				p.ends = append(p.ends, len(p.buf))
				return p.finish()
			case line[pos] == p.comma:
				p.ends = append(p.ends, len(p.buf))
				pos++
				if pos == len(line) {
					p.ends = append(p.ends, len(p.buf))
					return p.finish()
				}
			default:
				return "", nil, &SyntaxError{Line: p.lr.line, Err: fmt.Errorf("%w in column %d", ErrQuote, len(p.ends)+1)}
			}
			continue
		}
		// Unquoted field; a bare quote inside it is taken literally.
		i := bytes.IndexByte(line[pos:], p.comma)
		if i < 0 {
			p.buf = append(p.buf, line[pos:]...)
			p.ends = append(p.ends, len(p.buf))
			return p.finish()
		}
		p.buf = append(p.buf, line[pos:pos+i]...)
		p.ends = append(p.ends, len(p.buf))
		pos += i + 1
		if pos == len(line) {
			p.ends = append(p.ends, len(p.buf))
			return p.finish()
		}
	}
}

func (p *csvParser) finish() (string, []int, error) {
	if !utf8.Valid(p.buf) {
		return "", nil, &SyntaxError{Line: p.start, Err: ErrInvalidUTF8}
	}
	return string(p.buf), p.ends, nil
}

// csvHeader reads and checks the header row. Empty names become "colN"
// (1-based column number); duplicate names are an error.
func (p *csvParser) header() ([]string, error) {
	s, ends, err := p.read()
	if err != nil {
		return nil, err
	}
	names := splitFields(s, ends, nil)
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		if strings.TrimSpace(n) == "" {
			n = "col" + strconv.Itoa(i+1)
			names[i] = n
		}
		if seen[n] {
			return nil, &SyntaxError{Line: p.start, Err: fmt.Errorf("%w %q", ErrDuplicateName, n)}
		}
		seen[n] = true
	}
	return names, nil
}

func splitFields(s string, ends []int, dst []string) []string {
	dst = dst[:0]
	prev := 0
	for _, e := range ends {
		dst = append(dst, s[prev:e])
		prev = e
	}
	return dst
}

func fieldCountError(line, got, want int) error {
	return &SyntaxError{Line: line, Err: fmt.Errorf("%w: got %d, want %d", ErrFieldCount, got, want)}
}

// readCSV reads CSV with a header row and yields one Record per data row,
// with the field names of the header. It accepts a UTF-8 byte order mark,
// CRLF or LF line ends, and quoted fields holding separators, doubled
// quotes and line breaks (a line break inside a quoted field is read as
// "\n"). Blank lines are skipped. Empty header names become "colN".
//
// It is strict about the rest, and reports the first problem as a
// *SyntaxError with the line number and stops: an unterminated quoted field
// (the line where the field opens), a character after a closing quote, a
// row with more or fewer fields than the header (ragged rows are an error,
// not padded, because a shifted column would be misclassified), duplicate
// header names, invalid UTF-8, a record larger than the maximum size.
// recordBlock is how many records' fields a reader allocates at once. A
// record stays valid after the next is read (it is never written again);
// a block stays in memory while any of its records does.
const recordBlock = 64

func readCSV(r io.Reader, comma byte, cfg config) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		p := &csvParser{lr: newLineReader(r, cfg.maxRecord), comma: comma}
		names, err := p.header()
		if err == io.EOF {
			return
		}
		var slab Record
		if err != nil {
			yield(nil, err)
			return
		}
		for {
			s, ends, err := p.read()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if len(ends) != len(names) {
				yield(nil, fieldCountError(p.start, len(ends), len(names)))
				return
			}
			// Records are cut from a block of fields made for many at
			// once: one allocation per recordBlock records, not one each.
			if len(slab) < len(names) {
				slab = make(Record, len(names)*recordBlock)
			}
			rec := slab[:len(names):len(names)]
			slab = slab[len(names):]
			prev := 0
			for i, e := range ends {
				rec[i] = Field{Name: names[i], Value: s[prev:e]}
				prev = e
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// readJSONL reads JSON Lines: one JSON object per line, blank lines skipped.
// Nested objects and arrays are flattened ("a.b", "list.0"); keys keep the
// order in which they are written and a repeated key keeps its last value.
// Numbers keep their literal text. A line that is not exactly one JSON
// object is a *SyntaxError with its line number, and reading stops.
func readJSONL(r io.Reader, cfg config) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		lr := newLineReader(r, cfg.maxRecord)
		for {
			line, err := lr.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			rec, err := parseJSONObject(line)
			if err != nil {
				yield(nil, &SyntaxError{Line: lr.line, Err: err})
				return
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// parseJSONObject flattens one JSON object, keeping key order.
func parseJSONObject(line []byte) (Record, error) {
	if !utf8.Valid(line) {
		return nil, ErrInvalidUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, ErrNotObject
	}
	f := &flattener{dec: dec, index: map[string]int{}}
	if err := f.object(""); err != nil {
		return nil, jsonErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("extra data after the JSON object")
	}
	return f.rec, nil
}

func jsonErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("unexpected end of JSON")
	}
	return err
}

type flattener struct {
	dec   *json.Decoder
	rec   Record
	index map[string]int
	depth int
}

func (f *flattener) add(fd Field) {
	if i, ok := f.index[fd.Name]; ok {
		f.rec[i] = fd
		return
	}
	f.index[fd.Name] = len(f.rec)
	f.rec = append(f.rec, fd)
}

// object reads the members of an object whose '{' was consumed.
func (f *flattener) object(prefix string) error {
	n := 0
	for f.dec.More() {
		tok, err := f.dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return errors.New("object key is not a string")
		}
		if err := f.value(join(prefix, key)); err != nil {
			return err
		}
		n++
	}
	if _, err := f.dec.Token(); err != nil { // '}'
		return err
	}
	if n == 0 && prefix != "" {
		f.add(Field{Name: prefix, Value: "{}", Kind: KindEmpty})
	}
	return nil
}

func (f *flattener) value(name string) error {
	tok, err := f.dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		f.depth++
		defer func() { f.depth-- }()
		if f.depth > 64 {
			return errors.New("JSON nested deeper than 64 levels")
		}
		if v == '{' {
			return f.object(name)
		}
		i := 0
		for f.dec.More() {
			if err := f.value(join(name, strconv.Itoa(i))); err != nil {
				return err
			}
			i++
		}
		if _, err := f.dec.Token(); err != nil { // ']'
			return err
		}
		if i == 0 {
			f.add(Field{Name: name, Value: "[]", Kind: KindEmpty})
		}
	case string:
		f.add(Field{Name: name, Value: v})
	case json.Number:
		f.add(Field{Name: name, Value: v.String(), Kind: KindNumber})
	case bool:
		f.add(Field{Name: name, Value: strconv.FormatBool(v), Kind: KindBool})
	case nil:
		f.add(Field{Name: name, Kind: KindNull})
	}
	return nil
}
