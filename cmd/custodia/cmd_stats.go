package main

import (
	"context"
	"encoding/json"
	"fmt"
)

func cmdStats(ctx context.Context, env *cliEnv, args []string) error {
	var g globalFlags
	fs := newFlagSet(env, "stats", "[--json]")
	g.register(fs)
	fs.BoolVar(&g.json, "json", false, "print the statistics as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("stats takes no arguments")
	}
	r, err := openRepo(ctx, env, &g, true)
	if err != nil {
		return err
	}
	st, err := r.RepoStats(ctx)
	if err != nil {
		return err
	}
	if g.json {
		return json.NewEncoder(env.stdout).Encode(st)
	}
	fmt.Fprintf(env.stdout, "snapshots:          %d\n", st.Snapshots)
	fmt.Fprintf(env.stdout, "latest snapshot:    %s in %d files\n", fmtBytes(st.LatestBytes), st.LatestFiles)
	fmt.Fprintf(env.stdout, "all snapshots:      %s (sum of their sizes)\n", fmtBytes(st.TotalBytes))
	fmt.Fprintf(env.stdout, "unique data:        %s in %d blobs\n", fmtBytes(st.RawBytes), st.Blobs)
	fmt.Fprintf(env.stdout, "stored:             %s in %d packs (compressed, encrypted)\n", fmtBytes(st.PackBytes), st.Packs)
	fmt.Fprintf(env.stdout, "with parity:        %s (%d+%d shards over %d sites)\n", fmtBytes(st.StoredBytes), st.DataShards, st.ParityShards, st.Sites)
	if st.PackBytes > 0 {
		fmt.Fprintf(env.stdout, "dedup+compression:  %.2fx\n", float64(st.TotalBytes)/float64(st.PackBytes))
	}
	return nil
}
