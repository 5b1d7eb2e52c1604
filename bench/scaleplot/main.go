// Command scaleplot draws the results of bench/scale and bench/indexscale:
// for each kind of data (the shared dataset, the small-files tree, the
// synthetic repository of millions of index entries) one chart of time and
// one of peak RSS against size, with a panel per step (backup v1, backup
// v2, restore, verify, ...) and a line per tool. The time chart draws wall
// seconds as solid lines and CPU seconds (user + sys) as dashed lines of
// the same colour: on a shared machine the CPU seconds are what show how
// the work grows. It writes SVG and, when headless chromium is installed,
// renders each to PNG.
//
// Usage: go run ./bench/scaleplot --in WORK/scale.tsv --out docs
//
// With --markdown it prints the same results as Markdown tables (wall
// seconds, CPU seconds and peak RSS in each cell) for docs/PERFORMANCE.md.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	in := flag.String("in", "", "results of bench/scale (scale.tsv)")
	out := flag.String("out", "docs", "folder for the charts")
	svgOnly := flag.Bool("svg", false, "write SVG only, no PNG")
	markdown := flag.Bool("markdown", false, "print the results as Markdown tables instead of drawing them")
	flag.Parse()
	f, err := os.Open(*in)
	if err != nil {
		fatal(err)
	}
	rows, err := parse(f)
	f.Close()
	if err != nil {
		fatal(err)
	}
	if *markdown {
		fmt.Print(tables(rows))
		return
	}
	for _, kind := range []string{"dataset", "files", "index"} {
		for _, m := range metrics {
			c := build(rows, kind, m)
			if c == nil {
				continue
			}
			base := filepath.Join(*out, fmt.Sprintf("scale-%s-%s", kind, m.name))
			if err := os.WriteFile(base+".svg", []byte(c.svg()), 0o644); err != nil {
				fatal(err)
			}
			if *svgOnly {
				fmt.Println(base + ".svg")
				continue
			}
			if err := render(base+".svg", base+".png", c.width, c.height); err != nil {
				fmt.Fprintf(os.Stderr, "scaleplot: %v (the SVG is left)\n", err)
				continue
			}
			os.Remove(base + ".svg")
			fmt.Println(base + ".png")
		}
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "scaleplot:", err)
	os.Exit(1)
}

// row is one line of scale.tsv.
type row struct {
	kind, tool, step string
	size             float64 // the size column: MiB, files or index entries
	files, bytes     float64
	secs, cpu, rss   float64 // cpu: user + sys seconds
	load             float64
	date             string
	bound            string // bench/indexscale: the index memory bound, MiB
}

func parse(r io.Reader) ([]row, error) {
	var rows []row
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 12 || strings.HasPrefix(f[0], "#") {
			continue
		}
		num := func(i int) float64 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return -1
			}
			return v
		}
		rw := row{kind: f[0], tool: f[4], step: f[5], size: num(1), files: num(2), bytes: num(3),
			secs: num(6), rss: num(9), load: num(11)}
		if usr, sys := num(7), num(8); usr >= 0 && sys >= 0 {
			rw.cpu = usr + sys
		} else {
			rw.cpu = -1
		}
		if len(f) > 12 {
			rw.date = f[12]
		}
		if len(f) > 13 {
			rw.bound = f[13]
		}
		if rw.size < 0 || rw.files < 0 || rw.bytes < 0 || rw.secs < 0 || rw.cpu < 0 || rw.rss < 0 {
			return nil, fmt.Errorf("line %d: not a result line", n)
		}
		rows = append(rows, rw)
	}
	return rows, sc.Err()
}

// metric is what a chart shows: value as solid lines and, when dashed is
// set, a second value of each tool as dashed lines.
type metric struct {
	name, label string
	value       func(row) float64
	dashed      func(row) float64
}

var metrics = []metric{
	{"time", "seconds", func(r row) float64 { return r.secs }, func(r row) float64 { return r.cpu }},
	{"rss", "peak RSS, MB", func(r row) float64 { return r.rss }, nil},
}

var (
	steps  = []string{"backup-v1", "backup-v2", "restore", "verify", "verify-meta", "synth"}
	titles = map[string]string{"backup-v1": "backup (v1)", "backup-v2": "incremental backup (v2)", "restore": "restore (v2)",
		"verify": "verify / check --read-data", "verify-meta": "verify without --read-data",
		"synth": "writing the synthetic repository (prunesynth)"}
	tools  = []string{"custodia", "restic", "kopia"}
	colors = map[string]string{"custodia": "#1f77b4", "restic": "#d62728", "kopia": "#2ca02c"}
)

// point is one measurement on a panel.
type point struct{ x, y float64 }

// chart is one figure: a panel per step.
type chart struct {
	title, xlabel, ylabel string
	note                  string // under the chart: when, and the load
	width, height         int
	xmax                  float64 // the same size axis on every panel
	panels                []panel
	tools                 []string // the tools with a line, in legend order
	dashed                bool     // the panels have dashed lines (CPU seconds)
}

type panel struct {
	title  string
	lines  map[string][]point // by tool
	dashed map[string][]point // by tool, the metric's second value
}

// build makes the chart of metric m for kind, or nil without data.
func build(rows []row, kind string, m metric) *chart {
	c := &chart{width: 1200, ylabel: m.label}
	// The dataset's nominal size (the size column, MiB): the bytes column
	// of results from before bench/scale summed with %.0f saturates at
	// 2^31-1 (mawk's %d).
	xOf := func(r row) float64 { return r.size / 1024 }
	what := m.label
	switch kind {
	case "dataset":
		c.title, c.xlabel = "Shared dataset: "+what+" against size", "dataset size (GiB, as generated: --size-mb)"
	case "index":
		c.title, c.xlabel = "Repository of millions of blobs: "+what+" against index size", "data blobs in the repository's index (millions)"
		xOf = func(r row) float64 { return r.size / 1e6 }
	default:
		c.title, c.xlabel = "Many small files (0.2–4 KB): "+what+" against count", "files (thousands)"
		xOf = func(r row) float64 { return r.files / 1000 }
	}
	any := false
	minLoad, maxLoad, first, last := -1.0, 0.0, "", ""
	for _, r := range rows {
		if r.kind != kind {
			continue
		}
		c.xmax = max(c.xmax, xOf(r))
		if minLoad < 0 || r.load < minLoad {
			minLoad = r.load
		}
		maxLoad = max(maxLoad, r.load)
		if first == "" || r.date < first {
			first = r.date
		}
		last = max(last, r.date)
	}
	script := "bench/scale"
	if kind == "index" {
		script = "bench/indexscale"
		bounds := map[string]bool{}
		var list []string
		for _, r := range rows {
			if r.kind == kind && r.bound != "" && !bounds[r.bound] {
				bounds[r.bound] = true
				list = append(list, r.bound)
			}
		}
		if len(list) > 0 {
			script += ", index memory bound " + strings.Join(list, ", ") + " MiB"
		}
	}
	c.note = fmt.Sprintf("%s, %s to %s; 1-minute load average %.1f–%.1f on 2 cores (the machine is shared)", script, first, last, minLoad, maxLoad)
	for _, s := range steps {
		p := panel{title: titles[s], lines: map[string][]point{}, dashed: map[string][]point{}}
		for _, r := range rows {
			if r.kind == kind && r.step == s {
				p.lines[r.tool] = append(p.lines[r.tool], point{xOf(r), m.value(r)})
				if m.dashed != nil {
					p.dashed[r.tool] = append(p.dashed[r.tool], point{xOf(r), m.dashed(r)})
				}
			}
		}
		if len(p.lines) == 0 {
			continue // a step this kind has no measurement of
		}
		any = true
		for _, pts := range p.lines {
			sortPoints(pts)
		}
		for _, pts := range p.dashed {
			sortPoints(pts)
		}
		c.panels = append(c.panels, p)
	}
	if !any {
		return nil
	}
	c.dashed = m.dashed != nil
	for _, t := range tools {
		for _, p := range c.panels {
			if len(p.lines[t]) > 0 {
				c.tools = append(c.tools, t)
				break
			}
		}
	}
	c.height = 110 + (len(c.panels)+1)/2*385
	return c
}

func sortPoints(p []point) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].x < p[j-1].x; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

// niceMax rounds v up to 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of
// ten (each a multiple of five nice ticks).
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for p > v {
		p /= 10
	}
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func num(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// svg draws the chart: a grid of panels two wide, a shared legend.
func (c *chart) svg() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="DejaVu Sans, Arial, sans-serif">`+"\n", c.width, c.height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="32" font-size="22" text-anchor="middle" font-weight="bold">%s</text>`+"\n", c.width/2, esc(c.title))
	// legend
	n := len(c.tools)
	if c.dashed {
		n += 2
	}
	lx := c.width/2 - n*130/2
	for i, t := range c.tools {
		x := lx + i*130
		fmt.Fprintf(&b, `<line x1="%d" y1="58" x2="%d" y2="58" stroke="%s" stroke-width="3"/><circle cx="%d" cy="58" r="4" fill="%s"/>`, x, x+30, colors[t], x+15, colors[t])
		fmt.Fprintf(&b, `<text x="%d" y="63" font-size="15">%s</text>`+"\n", x+38, t)
	}
	if c.dashed {
		x := lx + len(c.tools)*130 + 20
		fmt.Fprintf(&b, `<line x1="%d" y1="58" x2="%d" y2="58" stroke="#444" stroke-width="3"/><text x="%d" y="63" font-size="15">wall</text>`, x, x+30, x+38)
		x += 100
		fmt.Fprintf(&b, `<line x1="%d" y1="58" x2="%d" y2="58" stroke="#444" stroke-width="3" stroke-dasharray="7 5"/><text x="%d" y="63" font-size="15">CPU (user+sys)</text>`+"\n", x, x+30, x+38)
	}
	pw, ph := (c.width-40)/2, (c.height-110)/((len(c.panels)+1)/2)
	for i, p := range c.panels {
		x0, y0 := 20+(i%2)*pw, 80+(i/2)*ph
		c.drawPanel(&b, p, x0, y0, pw, ph)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="middle" fill="#555">%s</text>`+"\n", c.width/2, c.height-8, esc(c.note))
	b.WriteString("</svg>\n")
	return b.String()
}

func (c *chart) drawPanel(b *strings.Builder, p panel, x0, y0, w, h int) {
	const left, right, top, bottom = 70, 20, 34, 52
	px, py, pw, ph := x0+left, y0+top, w-left-right, h-top-bottom
	var ymax float64
	for _, set := range []map[string][]point{p.lines, p.dashed} {
		for _, pts := range set {
			for _, q := range pts {
				ymax = max(ymax, q.y)
			}
		}
	}
	xmax, ymax := niceMax(c.xmax), niceMax(ymax*1.05)
	X := func(v float64) float64 { return float64(px) + v/xmax*float64(pw) }
	Y := func(v float64) float64 { return float64(py+ph) - v/ymax*float64(ph) }
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="16" text-anchor="middle" font-weight="bold">%s</text>`+"\n", px+pw/2, y0+22, esc(p.title))
	for i := 0; i <= 5; i++ {
		xv, yv := xmax*float64(i)/5, ymax*float64(i)/5
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`, X(xv), py, X(xv), py+ph)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`, px, Y(yv), px+pw, Y(yv))
		fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="12" text-anchor="middle">%s</text>`, X(xv), py+ph+16, num(roundTo(xv)))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" font-size="12" text-anchor="end">%s</text>`+"\n", px-6, Y(yv)+4, num(roundTo(yv)))
	}
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#444"/>`+"\n", px, py, pw, ph)
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="13" text-anchor="middle">%s</text>`+"\n", px+pw/2, py+ph+38, esc(c.xlabel))
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="13" text-anchor="middle" transform="rotate(-90 %d %d)">%s</text>`+"\n", x0+16, py+ph/2, x0+16, py+ph/2, esc(c.ylabel))
	line := func(pts []point, color, extra string, r float64) {
		if len(pts) == 0 {
			return
		}
		var d strings.Builder
		for i, q := range pts {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f,%.1f ", cmd, X(q.x), Y(q.y))
		}
		fmt.Fprintf(b, `<path d="%s" fill="none" stroke="%s" stroke-width="2.5"%s/>`, d.String(), color, extra)
		for _, q := range pts {
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="%g" fill="%s"/>`, X(q.x), Y(q.y), r, color)
		}
		b.WriteString("\n")
	}
	for _, t := range tools {
		line(p.dashed[t], colors[t], ` stroke-dasharray="7 5"`, 3)
		line(p.lines[t], colors[t], "", 4)
	}
}

func roundTo(v float64) float64 {
	s := strconv.FormatFloat(v, 'g', 4, 64)
	r, _ := strconv.ParseFloat(s, 64)
	return r
}

// render turns the SVG into a PNG of the same size with headless
// chromium.
func render(svg, png string, w, h int) error {
	var bin string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		return fmt.Errorf("no chromium to render %s", svg)
	}
	abs, err := filepath.Abs(svg)
	if err != nil {
		return err
	}
	outAbs, err := filepath.Abs(png)
	if err != nil {
		return err
	}
	// The SVG is wrapped in a page without margins, so the screenshot
	// holds exactly the chart.
	page := strings.TrimSuffix(abs, ".svg") + ".html"
	html := fmt.Sprintf(`<!doctype html><html><body style="margin:0"><img src="%s" width="%d" height="%d"></body></html>`, filepath.Base(abs), w, h)
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		return err
	}
	defer os.Remove(page)
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--screenshot="+outAbs, fmt.Sprintf("--window-size=%d,%d", w, h), "file://"+page)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("chromium: %v: %s", err, out)
	}
	if _, err := os.Stat(outAbs); err != nil {
		return fmt.Errorf("chromium wrote no %s", png)
	}
	return nil
}
