package custodia

import (
	"context"

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
	return r.repo.Check(ctx, opts)
}
