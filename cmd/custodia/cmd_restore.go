package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/restore"
)

func init() { register(newRestoreCmd) }

// restoreOptions are the flags of "custodia restore".
type restoreOptions struct {
	target    string
	include   []string
	overwrite bool
	noXattrs  bool
	filterFlags
}

func newRestoreCmd(env *cliEnv) *cobra.Command {
	var o restoreOptions
	cmd := &cobra.Command{
		Use:   "restore SNAPSHOT|latest... --target DIR [--include GLOB]... [--host H] [--tag T] [--path P]",
		Short: "restore a snapshot into a folder (several: each into DIR/ID, the most critical first)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRestore(cmd.Context(), env, &o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.target, "target", "", "restore into `DIR` (created if missing; must be empty unless --overwrite)")
	f.StringArrayVar(&o.include, "include", nil, "restore only entries matching `GLOB` (repeatable; with a slash: path from the snapshot root, else a name)")
	f.BoolVar(&o.overwrite, "overwrite", false, "restore into a non-empty folder, replacing what is in the way")
	f.BoolVar(&o.noXattrs, "no-xattrs", false, "do not restore extended attributes (nor the POSIX ACLs kept in them)")
	o.filterFlags.register(f, "with 'latest': the newest snapshot")
	return cmd
}

// restoreJSON is the --json form of a restore's summary.
type restoreJSON struct {
	Snapshot       string `json:"snapshot"`
	Files          uint64 `json:"files"`
	Dirs           uint64 `json:"dirs"`
	Symlinks       uint64 `json:"symlinks"`
	Bytes          uint64 `json:"bytes"`
	MetadataErrors int    `json:"metadata_errors"`
}

func runRestore(ctx context.Context, env *cliEnv, o *restoreOptions, pos []string) error {
	if len(pos) == 0 {
		return usagef("restore: name a snapshot (an ID prefix or 'latest')")
	}
	if o.target == "" {
		return usagef("restore: --target DIR is required")
	}
	if err := restore.ValidatePatterns(o.include); err != nil {
		return usagef("restore: %v", err)
	}
	if len(pos) > 1 { // each into a folder of its own, the most critical first
		opts := []restore.Option{restore.WithInclude(o.include...)}
		if o.overwrite {
			opts = append(opts, restore.WithOverwrite())
		}
		if o.noXattrs {
			opts = append(opts, restore.WithoutXattrs())
		}
		return restoreFilesSeveral(ctx, env, o, pos, opts)
	}
	if err := o.check(pos[0]); err != nil {
		return err
	}
	r, snap, rollback, err := env.openSnapshot(ctx, pos[0], &o.filterFlags) // restored all the same after a rollback warning; exit status 3
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	opts := []restore.Option{restore.WithInclude(o.include...)}
	if o.overwrite {
		opts = append(opts, restore.WithOverwrite())
	}
	if o.noXattrs {
		opts = append(opts, restore.WithoutXattrs())
	}
	if !env.quiet && !env.json && isTerminal(env.stderr) {
		opts = append(opts, restore.WithProgress(func(p restore.Progress) {
			fmt.Fprintf(env.stderr, "\r%s  %d files  %s written%s", fmtDuration(p.Elapsed), p.Files, fmtBytes(p.Bytes), eol(p.Done))
		}, time.Second/2))
	}
	start := time.Now()
	res, err := env.lib(r).Restore(ctx, snap, o.target, opts...)
	if err != nil {
		return err
	}
	env.auditRead(ctx, r, "restore", map[string]string{"snapshot": snap.ID.String(), "target": o.target, "include": strings.Join(o.include, ", ")})
	if env.json {
		if err := env.printJSON(restoreJSON{
			Snapshot: snap.ID.String(), Files: res.Files, Dirs: res.Dirs, Symlinks: res.Symlinks, Bytes: res.Bytes,
			MetadataErrors: len(res.Errors),
		}); err != nil {
			return err
		}
	} else if !env.quiet {
		fmt.Fprintf(env.stdout, "restored snapshot %s to %s: %d files, %d folders, %s in %s\n",
			snap.ID.String()[:8], o.target, res.Files, res.Dirs, fmtBytes(res.Bytes), fmtDuration(time.Since(start)))
	}
	for _, e := range res.Errors {
		env.warnf("%s", e.Error())
	}
	if rollback != nil {
		return &exitError{code: exitDamage, msg: fmt.Sprintf("restored snapshot %s, but the repository may have been rolled back: %v", snap.ID.String()[:8], rollback)}
	}
	return nil
}
