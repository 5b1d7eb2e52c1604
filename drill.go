package custodia

import (
	"context"
	"time"

	"github.com/custodia-backup/custodia/drill"
	"github.com/custodia-backup/custodia/monitor"
)

// DrillOption configures Drill: drill.WithTable, WithPaths, WithSample,
// WithRTO, WithSnapshot and the others of package drill.
type DrillOption = drill.Option

// DrillReport is the outcome of a drill: every item restored, its checks
// and times, the RTO verdict and the earlier drills.
type DrillReport = drill.Report

// Drill runs a restore drill (package drill): it restores the chosen items
// critical first into scratch space, checks them, times them against the
// RTO, removes the scratch data and keeps a sealed record of the drill.
// A failed check is reported in the report (and as an EventError), not as
// an error; the error is for a drill that could not run.
func (r *Repository) Drill(ctx context.Context, opts ...DrillOption) (*DrillReport, error) {
	run := r.events.Begin(monitor.OpDrill)
	if run == nil {
		return drill.Run(ctx, r.repo, opts...)
	}
	var c monitor.Counts
	onItem := drill.OnItem(func(it drill.Item) {
		item := it.Kind + " " + it.Name
		c.Files += it.Files
		c.Records += it.Records
		c.Bytes += it.Bytes
		for _, ch := range it.Checks {
			if !ch.Passed {
				c.Errors++
				run.Warn(item, item+": check failed: "+ch.Name+": "+ch.Detail, nil, c)
			}
		}
		run.Progress(item, c)
	})
	rep, err := drill.Run(ctx, r.repo, append([]DrillOption{onItem}, opts...)...)
	if err != nil {
		run.Finish(c, "", err)
		return nil, err
	}
	for _, it := range rep.Items {
		if it.Against != nil && len(it.Against.Changed) > 0 {
			// Not a failure: the source moved on since the snapshot.
			run.Warn("", rep.SourceVerdict, nil, c)
			break
		}
	}
	if !rep.WithinRTO {
		run.Warn("", "the drill took "+rep.Duration.Round(time.Millisecond).String()+", over the RTO of "+rep.RTO.String(), nil, c)
	}
	run.Finish(c, rep.Verdict(), rep.Err())
	return rep, nil
}
