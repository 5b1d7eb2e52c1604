package custodia

import (
	"context"
	"fmt"

	"github.com/custodia-backup/custodia/monitor"
	"github.com/custodia-backup/custodia/repo"
)

// VerifyOptions says how deep Verify looks: ReadData downloads and
// re-hashes every pack (ReadDataFraction, a random part of them); Repair
// rewrites lost shards of what is still readable.
type VerifyOptions = repo.CheckOptions

// Report is what Verify found: counts, and findings that are Damaged
// (redundancy lost, still readable) or Lost.
type Report = repo.CheckReport

// Verify checks that every snapshot, folder and chunk is present with all
// its shards and, with ReadData, that every stored byte authenticates and
// matches its ID. Problems are findings in the report; the error is for a
// check that could not run.
func (r *Repository) Verify(ctx context.Context, opts VerifyOptions) (*Report, error) {
	run := r.events.Begin(monitor.OpVerify)
	rep, err := r.repo.Check(ctx, opts)
	if run == nil {
		return rep, err
	}
	var c monitor.Counts
	evErr := err
	if rep != nil {
		c = monitor.Counts{Snapshots: uint64(rep.Snapshots), Packs: uint64(rep.PacksRead), Bytes: uint64(max(rep.BytesRead, 0)),
			Errors: uint64(len(rep.Findings))}
		for _, f := range rep.Findings {
			run.Warn("", f.String(), nil, c)
		}
		if err == nil && rep.Lost() {
			lost := 0
			for _, f := range rep.Findings {
				if f.Severity == repo.Lost {
					lost++
				}
			}
			evErr = fmt.Errorf("%d findings of data that can no longer be read: %w", lost, ErrMalformed)
		}
	}
	run.Finish(c, "", evErr)
	return rep, err
}
