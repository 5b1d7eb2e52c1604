package drill

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"time"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTmpl = template.Must(template.New("drill").Funcs(template.FuncMap{
	"dur":      fmtDur,
	"bytes":    fmtBytes,
	"short":    short,
	"rto":      rtoText,
	"verdict":  historyVerdict,
	"when":     func(t time.Time) string { return t.Local().Format("2006-01-02 15:04") },
	"restored": func(it Item) string { return it.restored() },
	"inc":      func(i int) int { return i + 1 },
	"sub":      func(a, b float64) float64 { return a - b },
	"half":     func(x, w float64) float64 { return x + w/2 },
}).Parse(htmlSource))

// bar is one bar of the history chart.
type bar struct {
	X, Y, W, H float64
	Label      string
	Title      string
	Class      string
}

// chart is the SVG chart of drill durations over time.
type chart struct {
	Width, Height, Left, Bottom float64
	Bars                        []bar
	RTOY                        float64 // 0: no RTO line
	RTOLabel, MaxLabel          string
}

// maxBars bounds the chart to the most recent drills.
const maxBars = 30

func (r *Report) chart() chart {
	type point struct {
		t              time.Time
		d, rto         time.Duration
		passed, within bool
	}
	var pts []point
	for _, h := range r.History {
		pts = append(pts, point{h.Time, h.Duration, h.RTO, h.Passed, h.WithinRTO})
	}
	pts = append(pts, point{r.Started, r.Duration, r.RTO, r.Passed, r.WithinRTO})
	if len(pts) > maxBars {
		pts = pts[len(pts)-maxBars:]
	}
	c := chart{Width: 720, Height: 240, Left: 56, Bottom: 40}
	top := time.Duration(0)
	for _, p := range pts {
		top = max(top, p.d)
	}
	// The RTO joins the scale only when it is near the durations: a far
	// objective would flatten every bar; the label then says it is off
	// the chart.
	rtoOnChart := r.RTO > 0 && r.RTO <= 2*top
	if rtoOnChart {
		top = max(top, r.RTO)
	}
	top = top + top/10 + time.Millisecond
	label := "01-02"
	if len(pts) > 1 && pts[len(pts)-1].t.Sub(pts[0].t) < 48*time.Hour {
		label = "15:04"
	}
	plotW, plotH := c.Width-c.Left-12, c.Height-c.Bottom-12
	slot := plotW / float64(len(pts))
	for i, p := range pts {
		h := plotH * float64(p.d) / float64(top)
		b := bar{X: c.Left + float64(i)*slot + slot*0.15, W: slot * 0.7, H: h, Y: 12 + plotH - h,
			Label: p.t.Local().Format(label),
			Title: fmt.Sprintf("%s: %s, %s", p.t.Local().Format("2006-01-02 15:04"), fmtDur(p.d), historyVerdict(p.passed, p.within))}
		b.Class = map[string]string{"passed": "ok", "slow": "slow", "failed": "fail"}[historyVerdict(p.passed, p.within)]
		c.Bars = append(c.Bars, b)
	}
	switch {
	case rtoOnChart:
		c.RTOY = 12 + plotH - plotH*float64(r.RTO)/float64(top)
		c.RTOLabel = "RTO " + fmtDur(r.RTO)
	case r.RTO > 0:
		c.RTOY = 12
		c.RTOLabel = "RTO " + fmtDur(r.RTO) + " (far above)"
	}
	c.MaxLabel = fmtDur(top)
	return c
}

// WriteHTML writes the report as a self-contained HTML page: the verdict,
// each item with its checks and times, and the history of drill durations
// as a chart and a table.
func (r *Report) WriteHTML(w io.Writer) error {
	return htmlTmpl.Execute(w, struct {
		*Report
		Chart chart
	}{r, r.chart()})
}
