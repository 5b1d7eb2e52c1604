package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/custodia-backup/custodia/repo"
)

func cmdVerify(ctx context.Context, env *cliEnv, args []string) error {
	var g globalFlags
	fs := newFlagSet(env, "verify", "[--read-data | --read-data-subset PCT] [--repair]")
	g.register(fs)
	fs.BoolVar(&g.json, "json", false, "print the report as JSON")
	readData := fs.Bool("read-data", false, "download all packs and authenticate and re-hash every blob")
	subset := fs.String("read-data-subset", "", "like --read-data for a random `PCT` percent of the packs (e.g. 10 or 10%)")
	repair := fs.Bool("repair", false, "rewrite missing or corrupt shards from the intact ones")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("verify takes no arguments")
	}
	opts := repo.CheckOptions{ReadData: *readData, Repair: *repair}
	if *subset != "" {
		if *readData {
			return usagef("verify: use either --read-data or --read-data-subset")
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(*subset, "%"), 64)
		if err != nil || pct <= 0 || pct > 100 {
			return usagef("verify: --read-data-subset wants a percentage in (0, 100], got %q", *subset)
		}
		opts.ReadDataFraction = pct / 100
	}
	r, err := openRepo(ctx, env, &g, true)
	if err != nil {
		return err
	}
	rep, err := r.Check(ctx, opts)
	if err != nil {
		return err
	}
	if g.json {
		findings := make([]map[string]any, len(rep.Findings))
		for i, f := range rep.Findings {
			findings[i] = map[string]any{"severity": f.Severity.String(), "object": f.Object, "message": f.Message, "repaired": f.Repaired}
		}
		if err := json.NewEncoder(env.stdout).Encode(map[string]any{
			"snapshots": rep.Snapshots, "trees": rep.Trees, "data_blobs": rep.DataBlobs, "packs": rep.Packs,
			"packs_read": rep.PacksRead, "blobs_read": rep.BlobsRead, "bytes_read": rep.BytesRead,
			"unreferenced_packs": rep.Unreferenced, "findings": findings, "ok": !rep.Damaged(),
		}); err != nil {
			return err
		}
	} else {
		for _, f := range rep.Findings {
			fmt.Fprintln(env.stdout, f.String())
		}
		if !g.quiet {
			fmt.Fprintf(env.stdout, "checked %d snapshots, %d trees, %d data blobs, %d packs", rep.Snapshots, rep.Trees, rep.DataBlobs, rep.Packs)
			if rep.PacksRead > 0 {
				fmt.Fprintf(env.stdout, "; read %d packs (%s), %d blobs authenticated and re-hashed", rep.PacksRead, fmtBytes(uint64(rep.BytesRead)), rep.BlobsRead)
			}
			fmt.Fprintln(env.stdout)
			if rep.Unreferenced > 0 {
				fmt.Fprintf(env.stdout, "%d packs are not referenced by the index (left by an interrupted backup; harmless)\n", rep.Unreferenced)
			}
		}
	}
	switch {
	case rep.Lost():
		return &exitError{code: exitFailure, msg: fmt.Sprintf("%d problems found; some data can no longer be read", len(rep.Findings))}
	case rep.Damaged():
		return &exitError{code: exitDamage, msg: fmt.Sprintf("%d problems found; all data is still readable%s", len(rep.Findings), repairedNote(rep, *repair))}
	}
	if !g.quiet && !g.json {
		fmt.Fprintln(env.stdout, "no problems found")
	}
	return nil
}

func repairedNote(rep *repo.CheckReport, asked bool) string {
	if !asked {
		return " (run 'custodia verify --repair' to restore full redundancy)"
	}
	for _, f := range rep.Findings {
		if !f.Repaired {
			return "; some could not be repaired"
		}
	}
	return "; all repaired"
}
