package main

import (
	"fmt"
	"sort"
	"strings"
)

// tables writes the rows as Markdown: for the dataset and the small files
// one line per size and step with a cell per tool and custodia's ratios
// to the peers, for the index one line per step with a cell per size.
func tables(rows []row) string {
	var b strings.Builder
	for _, kind := range []string{"dataset", "files"} {
		type key struct {
			size float64
			step string
		}
		cells := map[key]map[string]row{}
		var keys []key
		for _, r := range rows {
			if r.kind != kind {
				continue
			}
			k := key{r.size, r.step}
			if cells[k] == nil {
				cells[k] = map[string]row{}
				keys = append(keys, k)
			}
			cells[k][r.tool] = r
		}
		if len(keys) == 0 {
			continue
		}
		sort.SliceStable(keys, func(i, j int) bool {
			if keys[i].size != keys[j].size {
				return keys[i].size < keys[j].size
			}
			return stepOrder(keys[i].step) < stepOrder(keys[j].step)
		})
		b.WriteString("| data | step | custodia | restic 0.19.1 | kopia 0.23.1 | faster peer / custodia (time) | least peer CPU / custodia CPU |\n|---|---|---|---|---|---|---|\n")
		for _, k := range keys {
			c := cells[k]
			var any row
			for _, r := range c {
				any = r
				break
			}
			data := fmt.Sprintf("%s MiB dataset (%s files)", thousands(k.size), thousands(any.files))
			if kind == "files" {
				data = fmt.Sprintf("%s small files", thousands(any.files))
			}
			fmt.Fprintf(&b, "| %s | %s |", data, k.step)
			for _, t := range tools {
				if r, ok := c[t]; ok {
					fmt.Fprintf(&b, " %s |", cell(r))
				} else {
					b.WriteString(" – |")
				}
			}
			cu, ok := c["custodia"]
			var fastest, leastCPU float64
			for _, t := range tools[1:] {
				if r, ok := c[t]; ok {
					if fastest == 0 || r.secs < fastest {
						fastest = r.secs
					}
					if leastCPU == 0 || r.cpu < leastCPU {
						leastCPU = r.cpu
					}
				}
			}
			if ok && fastest > 0 && cu.secs > 0 && cu.cpu > 0 {
				fmt.Fprintf(&b, " %.2f× | %.2f× |\n", fastest/cu.secs, leastCPU/cu.cpu)
			} else {
				b.WriteString(" – | – |\n")
			}
		}
		b.WriteString("\n")
	}
	var sizes []float64
	seen := map[float64]bool{}
	cells := map[string]map[float64]row{}
	var stepsSeen []string
	for _, r := range rows {
		if r.kind != "index" || r.tool != "custodia" {
			continue
		}
		if !seen[r.size] {
			seen[r.size] = true
			sizes = append(sizes, r.size)
		}
		if cells[r.step] == nil {
			cells[r.step] = map[float64]row{}
			stepsSeen = append(stepsSeen, r.step)
		}
		cells[r.step][r.size] = r
	}
	if len(sizes) > 0 {
		sort.Float64s(sizes)
		sort.SliceStable(stepsSeen, func(i, j int) bool { return stepOrder(stepsSeen[i]) < stepOrder(stepsSeen[j]) })
		b.WriteString("| step |")
		for _, s := range sizes {
			fmt.Fprintf(&b, " %s blobs |", thousands(s))
		}
		b.WriteString("\n|---|" + strings.Repeat("---|", len(sizes)) + "\n")
		for _, st := range stepsSeen {
			fmt.Fprintf(&b, "| %s |", st)
			for _, s := range sizes {
				if r, ok := cells[st][s]; ok {
					fmt.Fprintf(&b, " %s |", cell(r))
				} else {
					b.WriteString(" – |")
				}
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// cell is one measurement: wall time, CPU seconds, peak RSS.
func cell(r row) string {
	return fmt.Sprintf("%.1f s, %.1f CPU s, %.0f MB", r.secs, r.cpu, r.rss)
}

// stepOrder sorts steps as the charts show them; unknown steps last.
func stepOrder(s string) int {
	for i, t := range steps {
		if t == s {
			return i
		}
	}
	return len(steps)
}

// thousands writes an integer with commas: 1,000,000.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
