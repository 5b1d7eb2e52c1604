package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/custodia-backup/custodia/restore"
)

func cmdRestore(ctx context.Context, env *cliEnv, args []string) error {
	var g globalFlags
	fs := newFlagSet(env, "restore", "SNAPSHOT|latest --target DIR [--include GLOB]...")
	g.register(fs)
	fs.BoolVar(&g.json, "json", false, "print the summary as JSON")
	target := fs.String("target", "", "restore into `DIR` (created if missing; must be empty unless --overwrite)")
	var include stringList
	fs.Var(&include, "include", "restore only entries matching `GLOB` (repeatable; with a slash: path from the snapshot root, else a name)")
	overwrite := fs.Bool("overwrite", false, "restore into a non-empty folder, replacing what is in the way")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("restore: name one snapshot (an ID prefix or 'latest')")
	}
	if *target == "" {
		return usagef("restore: --target DIR is required")
	}
	if err := restore.ValidatePatterns(include); err != nil {
		return usagef("restore: %v", err)
	}
	r, err := openRepo(ctx, env, &g, true)
	if err != nil {
		return err
	}
	snap, err := r.FindSnapshot(ctx, pos[0])
	if err != nil {
		return err
	}
	opts := []restore.Option{restore.WithInclude(include...)}
	if *overwrite {
		opts = append(opts, restore.WithOverwrite())
	}
	if !g.quiet && !g.json && isTerminal(env.stderr) {
		opts = append(opts, restore.WithProgress(func(p restore.Progress) {
			fmt.Fprintf(env.stderr, "\r%s  %d files  %s written%s", fmtDuration(p.Elapsed), p.Files, fmtBytes(p.Bytes), eol(p.Done))
		}, time.Second/2))
	}
	start := time.Now()
	res, err := restore.Snapshot(ctx, r, snap, *target, opts...)
	if err != nil {
		return err
	}
	if g.json {
		if err := json.NewEncoder(env.stdout).Encode(map[string]any{
			"snapshot": snap.ID.String(), "files": res.Files, "dirs": res.Dirs, "symlinks": res.Symlinks, "bytes": res.Bytes,
			"metadata_errors": len(res.Errors),
		}); err != nil {
			return err
		}
	} else if !g.quiet {
		fmt.Fprintf(env.stdout, "restored snapshot %s to %s: %d files, %d folders, %s in %s\n",
			snap.ID.String()[:8], *target, res.Files, res.Dirs, fmtBytes(res.Bytes), fmtDuration(time.Since(start)))
	}
	for _, e := range res.Errors {
		fmt.Fprintln(env.stderr, "custodia: warning: "+oneLine(e.Error()))
	}
	return nil
}
