package restore

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"math/rand/v2"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/table"
)

// ErrSampleMismatch means sampled source records differ from the backup.
var ErrSampleMismatch = errors.New("sampled records differ from the backup")

// SampleReport is the outcome of VerifyTableSample.
type SampleReport struct {
	// Source counts the source records read; Sampled those compared.
	Source, Sampled int
	// Mismatched lists the keys (as given by the source) of sampled records
	// that differ from the backup; Missing those the backup lacks.
	Mismatched, Missing [][]string
}

// OK reports whether every sampled record matched.
func (s *SampleReport) OK() bool { return len(s.Mismatched) == 0 && len(s.Missing) == 0 }

// VerifyTableSample picks n records of source uniformly at random (a
// reservoir: memory grows with n, not with the source), protects each with
// the decisions stored in snapshot s, and compares it with the backup's
// record of the same key, found through the key index. A record absent
// from the backup or different from it is listed by key; the report's OK
// is then false. rng picks the sample (nil: a random seed).
func VerifyTableSample(ctx context.Context, r *repo.Repository, s *repo.Snapshot, source iter.Seq2[classify.Record, error], n int, rng *rand.Rand) (*SampleReport, error) {
	prot, err := tableProtection(ctx, r, s)
	if err != nil {
		return nil, err
	}
	rd, err := table.NewReader(r, s)
	if err != nil {
		return nil, err
	}
	if rng == nil {
		rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	rep := &SampleReport{}
	sample := make([]classify.Record, 0, n)
	for rec, err := range source {
		if err != nil {
			return nil, err
		}
		rep.Source++
		if len(sample) < n {
			sample = append(sample, rec)
		} else if j := rng.IntN(rep.Source); j < n {
			sample[j] = rec
		}
	}
	key := rd.Info().Key
	for _, rec := range sample {
		k, enc, err := prot.Protect(nil, rec)
		if err != nil {
			return nil, err
		}
		shown := make([]string, len(key))
		for i, name := range key {
			f, _ := rec.Get(name)
			shown[i] = f.Value
		}
		stored, ok, err := rd.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		rep.Sampled++
		switch {
		case !ok:
			rep.Missing = append(rep.Missing, shown)
		case !bytes.Equal(stored, enc):
			rep.Mismatched = append(rep.Mismatched, shown)
		}
	}
	return rep, nil
}
