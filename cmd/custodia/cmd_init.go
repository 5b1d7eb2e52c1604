package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

func init() { register(newInitCmd) }

// initOptions are the flags of "custodia init".
type initOptions struct {
	k, m        int
	packMiB     int
	compression string
	insecure    bool
	siteLoss    bool
	lockMode    string
	lockPeriod  string
}

func newInitCmd(env *cliEnv) *cobra.Command {
	var o initOptions
	cmd := &cobra.Command{
		Use:   "init [--data-shards K --parity-shards M] [--compression LEVEL] [--object-lock MODE [--lock-period SPAN]]",
		Short: "create a repository",
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			return runInit(cmd.Context(), env, &o, f.Changed("data-shards"), f.Changed("parity-shards"), args)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.k, "data-shards", 4, "data shards `K` per object (default by the number of sites: 1 or 3 or 5+ sites 4+2, 2 sites 2+2, 4 sites 6+2)")
	f.IntVar(&o.m, "parity-shards", 2, "parity shards `M` per object: any M shards may be lost, and a site holding at most M shards of each object")
	f.BoolVar(&o.siteLoss, "allow-site-loss", false, "accept shard counts with which losing one of several sites loses the repository")
	f.IntVar(&o.packMiB, "pack-size", repo.DefaultPackSize>>20, "target pack size in `MiB` (1-256): larger packs mean fewer objects, smaller ones less memory")
	f.StringVar(&o.compression, "compression", string(repo.CompressionFastest), "zstd `LEVEL` of the backed-up data: fastest (shortest backup), default (2-6% smaller, ~35% slower backups) or better")
	f.StringVar(&o.lockMode, "object-lock", "", "write every object a restore needs locked on the S3 sites whose bucket has object lock enabled, in `MODE` governance or compliance (docs/FORMAT.md 19.8)")
	f.StringVar(&o.lockPeriod, "lock-period", "30d", "how long a new object stays locked, a `SPAN` such as 30d, 12w or 1y (at least 1d); prune extends the locks of what snapshots still use")
	f.BoolVar(&o.insecure, "insecure-password", false, fmt.Sprintf("accept a password shorter than %d characters (not recommended)", minPasswordLength))
	return cmd
}

// initJSON is the --json form of a created repository.
type initJSON struct {
	ID           string   `json:"id"`
	Sites        []string `json:"sites"`
	DataShards   int      `json:"data_shards"`
	ParityShards int      `json:"parity_shards"`
	Compression  string   `json:"compression"`
	ObjectLock   string   `json:"object_lock,omitempty"`
	LockPeriod   string   `json:"lock_period,omitempty"`
}

func runInit(ctx context.Context, env *cliEnv, o *initOptions, kSet, mSet bool, pos []string) error {
	if len(pos) > 0 {
		return usagef("init takes no arguments (got %q)", pos[0])
	}
	if o.packMiB < 1 || o.packMiB > 256 {
		return usagef("init: --pack-size must be between 1 and 256 (MiB)")
	}
	switch c := repo.Compression(o.compression); c {
	case repo.CompressionFastest, repo.CompressionDefault, repo.CompressionBetter:
	default:
		return usagef("init: --compression must be fastest, default or better (got %q)", o.compression)
	}
	lock, err := o.objectLock()
	if err != nil {
		return err
	}
	urls, err := env.siteURLs()
	if err != nil {
		return err
	}
	k, m := storage.DefaultShards(len(urls))
	if kSet {
		k = o.k
	}
	if mSet {
		m = o.m
	}
	o.k, o.m = k, m
	if o.k < 1 || o.m < 0 || o.k+o.m > 255 {
		return usagef("init: --data-shards must be at least 1, --parity-shards at least 0, and together at most 255")
	}
	pw, err := env.password(true)
	if err != nil {
		return err
	}
	if err := checkNewPassword(pw, o.insecure); err != nil {
		clear(pw)
		return err
	}
	st, err := env.openStore(ctx, storage.WithShards(o.k, o.m), storage.WithCreate())
	if err != nil {
		return err
	}
	defer st.Close()
	initOpts := []repo.InitOption{repo.WithPackSize(o.packMiB << 20), repo.WithCompression(repo.Compression(o.compression))}
	if o.siteLoss {
		initOpts = append(initOpts, repo.WithAllowSiteLoss())
	}
	if lock != nil {
		initOpts = append(initOpts, repo.WithObjectLock(lock.Mode, lock.Period))
	}
	r, err := repo.Init(ctx, st, pw, initOpts...)
	if se := (*storage.SiteLossError)(nil); errors.As(err, &se) {
		return fmt.Errorf("%w; choose other --data-shards/--parity-shards, or --allow-site-loss to accept it", err)
	}
	if err != nil {
		return err
	}
	cfg := r.Config()
	if env.json {
		out := initJSON{
			ID: cfg.ID.String(), Sites: st.Sites(), DataShards: cfg.DataShards, ParityShards: cfg.ParityShards,
			Compression: o.compression,
		}
		if lock != nil {
			out.ObjectLock, out.LockPeriod = strings.ToLower(string(lock.Mode)), o.lockPeriod
		}
		return env.printJSON(out)
	}
	if !env.quiet {
		fmt.Fprintf(env.stdout, "created repository %s at %v (%d+%d shards per object)\n", cfg.ID.String()[:8], st.Sites(), cfg.DataShards, cfg.ParityShards)
		if lock != nil {
			printLockedSites(ctx, env, r, o.lockPeriod)
		}
		fmt.Fprintln(env.stdout, "Keep the password safe: without it the data cannot be read by anyone.")
	}
	return nil
}
