package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// printJSON writes v to stdout as one JSON document on one line. Every
// --json output of the CLI goes through it or through listPrinter, so all
// share one encoding (UTF-8 as is, no HTML escaping).
func (env *cliEnv) printJSON(v any) error {
	b, err := encodeJSON(v)
	if err == nil {
		_, err = env.stdout.Write(b)
	}
	return err
}

// encodeJSON is the CLI's one JSON encoding of v, ending in a newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf.Bytes(), err
}

// texter is an item of a listing, with its line in the text form.
type texter interface{ text() string }

// listPrinter prints a listing item by item, so that a listing of any
// length takes bounded memory: with --json one JSON array (one element a
// line, "[]" when empty), else one text line per item.
type listPrinter[T texter] struct {
	env *cliEnv
	n   int
}

func newListPrinter[T texter](env *cliEnv) *listPrinter[T] { return &listPrinter[T]{env: env} }

// add prints one item.
func (p *listPrinter[T]) add(item T) error {
	p.n++
	if !p.env.json {
		_, err := fmt.Fprintln(p.env.stdout, item.text())
		return err
	}
	b, err := encodeJSON(item)
	if err != nil {
		return err
	}
	sep := ",\n"
	if p.n == 1 {
		sep = "[\n"
	}
	_, err = io.WriteString(p.env.stdout, sep+string(bytes.TrimSuffix(b, []byte("\n"))))
	return err
}

// end closes the listing.
func (p *listPrinter[T]) end() error {
	if !p.env.json {
		return nil
	}
	end := "\n]\n"
	if p.n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(p.env.stdout, end)
	return err
}

func eol(done bool) string {
	if done {
		return "\n"
	}
	return ""
}

func fmtBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func fmtDuration(d time.Duration) string {
	return d.Round(10 * time.Millisecond).String()
}
