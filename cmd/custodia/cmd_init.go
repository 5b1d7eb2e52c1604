package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

func cmdInit(ctx context.Context, env *cliEnv, args []string) error {
	var g globalFlags
	fs := newFlagSet(env, "init", "[--data-shards K --parity-shards M] [--compression LEVEL]")
	g.register(fs)
	fs.BoolVar(&g.json, "json", false, "print the result as JSON")
	k := fs.Int("data-shards", 4, "data shards `K` per object")
	m := fs.Int("parity-shards", 2, "parity shards `M` per object: any M shards (or sites) may be lost")
	packMiB := fs.Int("pack-size", repo.DefaultPackSize>>20, "target pack size in `MiB` (1-256): larger packs mean fewer objects, smaller ones less memory")
	compression := fs.String("compression", string(repo.CompressionFastest), "zstd `LEVEL` of the backed-up data: fastest (shortest backup), default (2-6% smaller, ~35% slower backups) or better")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("init takes no arguments (got %q)", pos[0])
	}
	if *packMiB < 1 || *packMiB > 256 {
		return usagef("init: --pack-size must be between 1 and 256 (MiB)")
	}
	switch c := repo.Compression(*compression); c {
	case repo.CompressionFastest, repo.CompressionDefault, repo.CompressionBetter:
	default:
		return usagef("init: --compression must be fastest, default or better (got %q)", *compression)
	}
	if *k < 1 || *m < 0 || *k+*m > 255 {
		return usagef("init: --data-shards must be at least 1, --parity-shards at least 0, and together at most 255")
	}
	pw, err := g.password(env, true)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, env, &g, storage.WithShards(*k, *m), storage.WithCreate())
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := repo.Init(ctx, st, pw, repo.WithPackSize(*packMiB<<20), repo.WithCompression(repo.Compression(*compression)))
	if err != nil {
		return err
	}
	cfg := r.Config()
	if g.json {
		return json.NewEncoder(env.stdout).Encode(map[string]any{
			"id": cfg.ID.String(), "sites": st.Sites(), "data_shards": cfg.DataShards, "parity_shards": cfg.ParityShards,
			"compression": *compression,
		})
	}
	if !g.quiet {
		fmt.Fprintf(env.stdout, "created repository %s at %v (%d+%d shards per object)\n", cfg.ID.String()[:8], st.Sites(), cfg.DataShards, cfg.ParityShards)
		fmt.Fprintln(env.stdout, "Keep the password safe: without it the data cannot be read by anyone.")
	}
	return nil
}
