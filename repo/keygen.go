package repo

import (
	"context"

	"github.com/custodia-backup/custodia/crypto"
)

// custodyPrefix holds the public records of custody splits (§17.4).
const custodyPrefix = "custody/"

// generation returns the master-key generation of this session (§17.5).
func (r *Repository) generation() int { return len(r.older) }

// firstMaster returns the generation-0 master key, from which the
// chunk-ID, chunker and index keys are derived.
func (r *Repository) firstMaster() crypto.MasterKey {
	if len(r.older) > 0 {
		return r.older[0]
	}
	return r.master
}

// hasCustodySplit reports whether a custody split of the read capability
// exists.
func (r *Repository) hasCustodySplit(ctx context.Context) (bool, error) {
	return anyObject(ctx, r.store, custodyPrefix)
}

// Generation returns the master-key generation this session holds: 0
// until the first rotation (docs/FORMAT.md §17.5). Write-only sessions
// hold no master key and return 0.
func (r *Repository) Generation() int { return r.generation() }
