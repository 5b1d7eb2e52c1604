package repo

import (
	"context"

	"github.com/custodia-backup/custodia/storage"
)

// RepoStats describes a repository's size and contents.
type RepoStats struct {
	Snapshots int `json:"snapshots"`
	// LatestBytes and LatestFiles describe the newest snapshot.
	LatestBytes uint64 `json:"latest_bytes"`
	LatestFiles uint64 `json:"latest_files"`
	// TotalBytes sums the sizes of all snapshots, as if each were stored
	// in full.
	TotalBytes uint64 `json:"total_bytes"`
	// Blobs and RawBytes count the unique blobs and their plaintext size.
	Blobs    int    `json:"blobs"`
	RawBytes uint64 `json:"raw_bytes"`
	// Packs and PackBytes count the packs and their size (compressed,
	// encrypted, before erasure coding).
	Packs     int    `json:"packs"`
	PackBytes uint64 `json:"pack_bytes"`
	// StoredBytes estimates the bytes on all sites, parity included.
	StoredBytes  uint64 `json:"stored_bytes"`
	DataShards   int    `json:"data_shards"`
	ParityShards int    `json:"parity_shards"`
	Sites        int    `json:"sites"`
	// SiteTolerance is how many whole sites may be lost, whichever they
	// are, with every object still readable (storage.SiteTolerance).
	SiteTolerance int `json:"site_tolerance"`
}

// RepoStats computes the repository's statistics from its snapshots and
// index.
func (r *Repository) RepoStats(ctx context.Context) (*RepoStats, error) {
	st := &RepoStats{DataShards: r.cfg.DataShards, ParityShards: r.cfg.ParityShards, Sites: len(r.store.Sites())}
	st.SiteTolerance = storage.SiteTolerance(st.DataShards, st.ParityShards, st.Sites)
	for s, err := range r.Snapshots(ctx) {
		if err != nil {
			return nil, err
		}
		st.Snapshots++
		st.TotalBytes += s.Stats.Bytes
		st.LatestBytes, st.LatestFiles = s.Stats.Bytes, s.Stats.Files
	}
	st.Blobs, st.RawBytes = r.idx.totals()
	packs := r.idx.packList()
	st.Packs = len(packs)
	for _, p := range packs {
		st.PackBytes += p.size
	}
	k := uint64(max(1, r.cfg.DataShards))
	st.StoredBytes = (st.PackBytes + k - 1) / k * uint64(r.cfg.DataShards+r.cfg.ParityShards)
	return st, nil
}
