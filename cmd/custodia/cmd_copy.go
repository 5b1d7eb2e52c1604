package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/table"
)

func init() { register(newCopyCmd) }

type copyOptions struct {
	to         []string
	toPassword string
	verify     bool
	memoryMiB  int
}

func newCopyCmd(env *cliEnv) *cobra.Command {
	var o copyOptions
	cmd := &cobra.Command{
		Use:   "copy --to URL... [--to-password-file F] [--verify] [SNAPSHOT...]",
		Short: "copy snapshots into another repository (its own keys, sites and coding)",
		Long: `copy copies the given snapshots (default: all) into another repository,
which 'custodia init' made with its own password, sites and coding: an
offline disk, another city's bucket. Data is re-encrypted under the
destination's keys and deduplicated against what it holds; snapshots keep
their IDs and metadata. An interrupted copy resumes: snapshots already
copied are skipped and uploaded data is not sent again. --verify reads each
copy back and compares it with the source. The destination's password comes
from --to-password-file, else $CUSTODIA_TO_PASSWORD, else is the source's.
Table snapshots are copied record for record as stored, with the keys
their protected fields were encrypted and tokenized under, so that
'table restore --key' and 'table verify' work on the copy
(docs/FORMAT.md section 19.9); copying one needs full access to both.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCopy(cmd.Context(), env, &o, args)
		},
	}
	cmd.Flags().StringArrayVar(&o.to, "to", nil, "destination site `URL` or path (repeatable, one per site)")
	cmd.Flags().StringVar(&o.toPassword, "to-password-file", "", "read the destination's password from the first line of `FILE`")
	cmd.Flags().BoolVar(&o.verify, "verify", false, "read every copy back and compare it with the source")
	cmd.Flags().IntVar(&o.memoryMiB, "max-memory", repo.DefaultCopyMemory>>20, "memory in `MiB` for remembering the trees and table pages already copied; beyond it, shared ones are read again")
	return cmd
}

func runCopy(ctx context.Context, env *cliEnv, o *copyOptions, refs []string) error {
	if len(o.to) == 0 {
		return usagef("copy: name the destination with --to URL (one per site)")
	}
	if o.memoryMiB < 1 {
		return usagef("copy: --max-memory wants at least 1 MiB")
	}
	src, err := env.openRepo(ctx, true)
	if err != nil {
		return err
	}
	defer env.closeRepo(src)
	// The destination: its own sites and password, through the same code.
	denv := *env
	denv.repos = o.to
	switch to := env.getenv("CUSTODIA_TO_PASSWORD"); {
	case o.toPassword != "":
		denv.passwordFile = o.toPassword
	case to != "":
		denv.passwordFile = ""
		denv.getenv = func(k string) string {
			switch k {
			case "CUSTODIA_PASSWORD_FILE":
				return ""
			case "CUSTODIA_PASSWORD":
				return to
			}
			return env.getenv(k)
		}
	}
	dst, err := denv.openRepo(ctx, false)
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	defer env.closeRepo(dst)
	if dst.Config().ID == src.Config().ID {
		return fmt.Errorf("the destination is the source repository")
	}
	var snaps []*repo.Snapshot
	if len(refs) == 0 {
		for s, err := range src.Snapshots(ctx) {
			if err != nil {
				env.warnf("%s (not copied)", err)
				continue
			}
			snaps = append(snaps, s)
		}
	}
	for _, ref := range refs {
		s, err := src.FindSnapshot(ctx, ref)
		if err != nil && s == nil {
			return err
		}
		snaps = append(snaps, s)
	}
	rep, err := repo.CopySnapshots(ctx, src, dst, snaps, o.verify, repo.WithTablePages(table.Pages{}), repo.WithCopyMemory(o.memoryMiB<<20))
	if err != nil {
		return err
	}
	if env.json {
		return env.printJSON(map[string]any{
			"copied": rep.Copied, "skipped": rep.Skipped, "blobs": rep.Blobs, "blobs_new": rep.BlobsNew, "verified": rep.Verified,
		})
	}
	if !env.quiet {
		fmt.Fprintf(env.stdout, "copied %d snapshots (%d already there): %d blobs read, %d new in the destination", rep.Copied, rep.Skipped, rep.Blobs, rep.BlobsNew)
		if o.verify {
			fmt.Fprintf(env.stdout, "; %d copies read back and equal to the source", rep.Verified)
		}
		fmt.Fprintln(env.stdout)
	}
	return nil
}
