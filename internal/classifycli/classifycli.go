// Package classifycli implements the "custodia classify" command as a
// library, so the CLI wires it in and tests call it directly.
package classifycli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/custodia-backup/custodia/classify"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

const usageLine = "custodia classify [--json] [--policy FILE] [--sample N] DATA.csv|DATA.tsv|DATA.jsonl|DATA.json..."

const usageText = `Usage: ` + usageLine + `

Profiles each file, classifies every field into the sensitivity vocabulary
and shows the action the policy takes for it, with an example value as the
action leaves it. TABLE is the file name without its extension; files naming
the same table are profiled together. Nothing is printed unless every file
was read and classified. A field marked REVIEW was decided on its header
alone or on fewer than 50 values: confirm it in the policy.

Formats, by file extension:
  .csv            comma-separated values with a header row
  .tsv            tab-separated values with a header row
  .jsonl .ndjson  JSON Lines: one object per line
  .json           one JSON document: an array of objects (one record each)
                  or one object, such as an invoice document (one record)

Options:

Options:
`

// Run executes "custodia classify" with args (the arguments after the
// command name) and returns the exit status: 0 on success, 1 when an input
// or the policy is bad or unreadable, 2 on bad usage. Errors are one line
// on stderr starting with "custodia: ".
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("classify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	jsonOut := fs.Bool("json", false, "print one JSON object keyed TABLE.FIELD instead of a table")
	policyFile := fs.String("policy", "", "YAML policy `FILE` (default: level 1 encrypt, 2 mask, 3 keep, 0 keep)")
	sample := fs.Int("sample", classify.DefaultSampleSize, "values per field examined one by one before sampling thins out (0: all)")

	files, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, usageText)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		return ExitOK
	}
	if err != nil {
		return fail(stderr, ExitUsage, "%v (usage: %s)", err, usageLine)
	}
	if len(files) == 0 {
		return fail(stderr, ExitUsage, "classify needs at least one DATA.csv or DATA.jsonl file (usage: %s)", usageLine)
	}
	for _, f := range files {
		if _, err := classify.FormatOf(f); err != nil {
			return fail(stderr, ExitUsage, "%s: %v (see custodia classify -h)", f, classify.ErrFormat)
		}
	}
	if *sample < 0 {
		return fail(stderr, ExitUsage, "--sample must be 0 or more")
	}

	policy := classify.DefaultPolicy()
	if *policyFile != "" {
		if policy, err = loadPolicy(*policyFile); err != nil {
			return fail(stderr, ExitFailure, "%v", err)
		}
	}

	var tables []string
	profilers := map[string]*classify.Profiler{}
	for _, f := range files {
		table := tableName(f)
		p, ok := profilers[table]
		if !ok {
			p = classify.NewProfiler(classify.WithSampleSize(*sample))
			profilers[table] = p
			tables = append(tables, table)
		}
		if err := profileFile(ctx, p, f); err != nil {
			return fail(stderr, ExitFailure, "%v", err)
		}
	}

	var rows []row
	for _, t := range tables {
		for _, d := range policy.Plan(t, profilers[t].Result()).Fields {
			rows = append(rows, row{key: t + "." + d.Field, d: d})
		}
	}
	var out bytes.Buffer
	if *jsonOut {
		writeJSON(&out, rows)
	} else {
		writeTable(&out, rows)
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return fail(stderr, ExitFailure, "writing output: %v", err)
	}
	return ExitOK
}

func fail(stderr io.Writer, code int, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	msg = strings.ReplaceAll(msg, "\n", " ")
	fmt.Fprintf(stderr, "custodia: %s\n", msg)
	return code
}

// parseArgs accepts flags before, between and after file names; everything
// after "--" is a file name.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var files, rest []string
	for i, a := range args {
		if a == "--" {
			rest = args[i+1:]
			args = args[:i]
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		files = append(files, args[0])
		args = args[1:]
	}
	return append(files, rest...), nil
}

// errText is an error's text without the library's prefix.
func errText(err error) string { return strings.TrimPrefix(err.Error(), "classify: ") }

// tableName is the file name without directory and extension.
func tableName(name string) string {
	base := filepath.Base(name)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

func loadPolicy(name string) (*classify.Policy, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := classify.ParsePolicy(f)
	var pe *classify.PolicyError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("%s:%d: %v", name, pe.Line, pe.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %s", name, errText(err))
	}
	return p, nil
}

func profileFile(ctx context.Context, p *classify.Profiler, name string) error {
	format, err := classify.FormatOf(name)
	if err != nil {
		return errors.New(errText(err))
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	err = p.Read(ctx, f, format)
	var se *classify.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s:%d: %v", name, se.Line, se.Err)
	}
	if err != nil {
		return fmt.Errorf("%s: %s", name, errText(err))
	}
	return nil
}

type row struct {
	key string
	d   classify.Decision
}

// jsonField is the value of each key of the --json output.
type jsonField struct {
	Type       classify.Type  `json:"type"`
	Level      classify.Level `json:"level"`
	Action     string         `json:"action"`
	Confidence float64        `json:"confidence"`
	Review     bool           `json:"review"`
	Reason     string         `json:"reason,omitempty"`
}

// writeJSON writes one object, keys in file and column order.
func writeJSON(w *bytes.Buffer, rows []row) {
	w.WriteString("{")
	for i, r := range rows {
		if i > 0 {
			w.WriteByte(',')
		}
		k, _ := json.Marshal(r.key)
		v, _ := json.Marshal(jsonField{Type: r.d.Type, Level: r.d.Level, Action: r.d.Action.String(),
			Confidence: r.d.Confidence, Review: r.d.Review, Reason: r.d.Reason})
		w.WriteString("\n  ")
		w.Write(k)
		w.WriteString(": ")
		w.Write(v)
	}
	if len(rows) > 0 {
		w.WriteByte('\n')
	}
	w.WriteString("}\n")
}

// writeTable writes the human table, aligned for terminals where CJK
// characters take two columns. Examples are shown as the policy's action
// leaves them (its mask, a token, a ciphertext); a kept value is masked
// unless the field is public.
func writeTable(w *bytes.Buffer, rows []row) {
	cells := [][]string{{"FIELD", "TYPE", "LEVEL", "ACTION", "CONFIDENCE", "REVIEW", "EXAMPLE"}}
	for _, r := range rows {
		review := "-"
		if r.d.Review {
			review = r.d.Reason
		}
		example := r.d.Example
		if r.d.Action.Kind == classify.ActionDrop {
			example = "(dropped)"
		}
		cells = append(cells, []string{oneLine(r.key), string(r.d.Type), strconv.Itoa(int(r.d.Level)), r.d.Action.String(),
			strconv.FormatFloat(r.d.Confidence, 'f', 2, 64), review, oneLine(example)})
	}
	widths := make([]int, len(cells[0]))
	for _, row := range cells {
		for i, c := range row {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, row := range cells {
		for i, c := range row {
			w.WriteString(c)
			if i == len(row)-1 {
				break
			}
			w.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
		}
		w.WriteByte('\n')
	}
}

// displayWidth counts terminal columns: East Asian wide and full-width
// characters take two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
			r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60,
			r >= 0xFFE0 && r <= 0xFFE6, r >= 0x20000 && r <= 0x3FFFD:
			n += 2
		default:
			n++
		}
	}
	return n
}

// oneLine replaces control characters so a value cannot break the table.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
