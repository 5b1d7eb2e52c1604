package drill

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteMarkdown writes the report as a Markdown document.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Restore drill %s: %s\n\n", r.Started.Local().Format("2006-01-02 15:04"), strings.ToUpper(r.Verdict()))
	fmt.Fprintf(&b, "- host: %s\n- total time: %s", r.Host, fmtDur(r.Duration))
	if r.RTO > 0 {
		fmt.Fprintf(&b, " (RTO %s: %s)", fmtDur(r.RTO), map[bool]string{true: "met", false: "MISSED"}[r.WithinRTO])
	}
	fmt.Fprintf(&b, "\n- restored: %s in %d items, %d records; throughput %s/s\n", fmtBytes(r.Bytes), len(r.Items), r.Records, fmtBytes(uint64(r.Throughput)))
	if r.ID != "" {
		fmt.Fprintf(&b, "- drill record: %s\n", r.ID)
	}
	b.WriteString("\n## Items, in restore order\n\n| # | item | snapshot | priority | time | available after | restored | result |\n|---|---|---|---|---|---|---|---|\n")
	for i, it := range r.Items {
		fmt.Fprintf(&b, "| %d | %s %s | %s | %d | %s | %s | %s | %s |\n", i+1, it.Kind, mdEscape(it.Name), short(it.Snapshot),
			it.Priority, fmtDur(it.Duration), fmtDur(it.Available), it.restored(), passFail(it.Passed))
	}
	b.WriteString("\n## Checks\n\n")
	for _, it := range r.Items {
		fmt.Fprintf(&b, "- %s %s\n", it.Kind, mdEscape(it.Name))
		for _, c := range it.Checks {
			fmt.Fprintf(&b, "  - %s: %s", passFail(c.Passed), mdEscape(c.Name))
			if c.Detail != "" {
				fmt.Fprintf(&b, " (%s)", mdEscape(c.Detail))
			}
			b.WriteString("\n")
		}
	}
	if r.SourceVerdict != "" {
		fmt.Fprintf(&b, "\n## Compared with the live source\n\n%s.\n\n", mdEscape(r.SourceVerdict))
		for _, it := range r.Items {
			if c := it.Against; c != nil {
				fmt.Fprintf(&b, "- %s %s against %s: %d of %d sampled equal\n", it.Kind, mdEscape(it.Name), mdEscape(c.Source), c.Same, c.Sampled)
				for _, ch := range c.Changed {
					fmt.Fprintf(&b, "  - %s: %s\n", mdEscape(ch.Name), ch.What)
				}
			}
		}
	}
	if len(r.History) > 0 {
		b.WriteString("\n## Earlier drills\n\n| when | time | RTO | items | result |\n|---|---|---|---|---|\n")
		for _, h := range r.History {
			fmt.Fprintf(&b, "| %s | %s | %s | %d | %s |\n", h.Time.Local().Format("2006-01-02 15:04"), fmtDur(h.Duration),
				rtoText(h.RTO), h.Items, historyVerdict(h.Passed, h.WithinRTO))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Throughput64 is Throughput rounded down, for display.
func (r *Report) Throughput64() uint64 { return uint64(r.Throughput) }

func (it *Item) restored() string {
	if it.Kind == KindTable {
		return fmt.Sprintf("%d records, %s", it.Records, fmtBytes(it.Bytes))
	}
	return fmt.Sprintf("%d files, %s", it.Files, fmtBytes(it.Bytes))
}

func mdEscape(s string) string { return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s) }

func passFail(ok bool) string {
	if ok {
		return "passed"
	}
	return "FAILED"
}

func historyVerdict(passed, within bool) string {
	switch {
	case !passed:
		return "failed"
	case !within:
		return "slow"
	}
	return "passed"
}

func rtoText(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmtDur(d)
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
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
