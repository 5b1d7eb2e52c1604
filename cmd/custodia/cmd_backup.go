package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

func init() { register(newBackupCmd) }

// backupOptions are the flags of "custodia backup".
type backupOptions struct {
	tags      []string
	host      string
	stdin     bool
	stdinName string
	force     bool
	noXattrs  bool
	siteDown  string
	priority  int // from --priority or --priority-file
}

func newBackupCmd(env *cliEnv) *cobra.Command {
	var o backupOptions
	cmd := &cobra.Command{
		Use:   "backup [--tag T] PATH... | --stdin --stdin-name NAME",
		Short: "back up files and folders, or one stream",
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := backupPriority(cmd.Flags(), "", args)
			if err != nil {
				return err
			}
			o.priority = p
			return runBackup(cmd.Context(), env, &o, args)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.tags, "tag", nil, "label the snapshot with `TAG` (repeatable)")
	f.StringVar(&o.host, "host", "", "record `HOST` as the snapshot's host (default: this machine's name)")
	f.BoolVar(&o.stdin, "stdin", false, "back up standard input as one file")
	f.StringVar(&o.stdinName, "stdin-name", "stdin", "file `NAME` of the --stdin stream in the snapshot (no slash)")
	f.BoolVar(&o.force, "force", false, "read every file, even those unchanged since the parent snapshot")
	f.BoolVar(&o.noXattrs, "no-xattrs", false, "leave out extended attributes (and the POSIX ACLs kept in them)")
	f.StringVar(&o.siteDown, "site-down", "continue", "when a site cannot be written: `continue` while every object stays readable, continue only while it would also survive losing one more site (safe), or fail")
	addPriorityFlags(f)
	return cmd
}

// backupJSON is the --json form of a backup's summary.
type backupJSON struct {
	Snapshot string             `json:"snapshot"`
	Parent   *repo.ID           `json:"parent"`
	Stats    repo.SnapshotStats `json:"stats"`
	Errors   []string           `json:"errors"`
	// Changed lists the files that changed while they were read: stored
	// as read, perhaps torn.
	Changed []string `json:"changed_while_read"`
	// Notes lists what was left out by design (sockets) or kept in part.
	Notes []string `json:"notes"`
}

func runBackup(ctx context.Context, env *cliEnv, o *backupOptions, pos []string) error {
	if o.stdin && len(pos) > 0 {
		return usagef("backup: --stdin takes no paths")
	}
	if !o.stdin && len(pos) == 0 {
		return usagef("backup: give the files or folders to back up, or --stdin")
	}
	var storeOpts []storage.Option
	switch o.siteDown {
	case "continue":
		storeOpts = []storage.Option{storage.WithAllowUnreachable(), storage.WithDegradedWrites(false)}
	case "safe":
		storeOpts = []storage.Option{storage.WithAllowUnreachable(), storage.WithDegradedWrites(true)}
	case "fail":
	default:
		return usagef("backup: --site-down is continue, safe or fail, not %q", o.siteDown)
	}
	// A re-run of many unchanged files has a live heap of a few MB and
	// collected every megabyte allocated (130 times for 100,000 files):
	// verify's floor (gc_unlock.go), within the peak Argon2id makes anyway.
	env.gc.floorAtUnlock()
	r, err := env.openRepoSites(ctx, false, storeOpts)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	opts := []backup.Option{backup.WithTags(o.tags...), backup.WithPriority(o.priority)}
	if o.host != "" {
		opts = append(opts, backup.WithHost(o.host))
	}
	if o.force {
		opts = append(opts, backup.WithoutParent())
	}
	if o.noXattrs {
		opts = append(opts, backup.WithoutXattrs())
	}
	if !env.quiet && !env.json && isTerminal(env.stderr) {
		opts = append(opts, backup.WithProgress(func(p backup.Progress) {
			fmt.Fprintf(env.stderr, "\r%s  %d files  %s read  %s new%s", fmtDuration(p.Elapsed), p.Files, fmtBytes(p.Bytes), fmtBytes(p.Added), eol(p.Done))
		}, time.Second/2))
	}
	var res *backup.Result
	if o.stdin {
		res, err = env.lib(r).BackupStream(ctx, o.stdinName, env.stdin, opts...)
	} else {
		res, err = env.lib(r).Backup(ctx, pos, opts...)
	}
	if err != nil {
		return err
	}
	s := res.Snapshot
	if env.json {
		errs, notes := make([]string, len(res.Errors)), make([]string, len(res.Notes))
		for i, e := range res.Errors {
			errs[i] = e.Error()
		}
		for i, e := range res.Notes {
			notes[i] = e.Error()
		}
		changed := append([]string{}, res.Changed...)
		if err := env.printJSON(backupJSON{Snapshot: s.ID.String(), Parent: s.Parent, Stats: s.Stats, Errors: errs, Changed: changed, Notes: notes}); err != nil {
			return err
		}
	} else if !env.quiet {
		st := s.Stats
		fmt.Fprintf(env.stdout, "Files: %d new, %d changed, %d unchanged; %d folders\n", st.FilesNew, st.FilesChanged, st.FilesSkipped, st.Dirs)
		fmt.Fprintf(env.stdout, "Added: %s of new data, %s stored (compressed, encrypted, before parity)\n", fmtBytes(st.BytesAdded), fmtBytes(st.StoredAdded))
		fmt.Fprintf(env.stdout, "snapshot %s saved: %s in %s\n", s.ID.String()[:8], fmtBytes(st.Bytes), fmtDuration(st.Duration))
	}
	for _, e := range res.Notes {
		fmt.Fprintln(env.stderr, "custodia: note: "+oneLine(e.Error()))
	}
	for _, p := range res.Changed {
		fmt.Fprintln(env.stderr, "custodia: changed while read, stored as read (may be torn): "+oneLine(p))
	}
	for _, e := range res.Errors {
		fmt.Fprintln(env.stderr, "custodia: skipped "+oneLine(e.Error()))
	}
	gaps := r.Store().WriteGaps()
	switch {
	case len(gaps) > 0:
		for _, g := range gaps[1:] {
			env.warnf("%s", g.Error())
		}
		return &exitError{code: exitDamage, msg: fmt.Sprintf("snapshot %s saved, but site %s could not be written (%d shards missing; every object is still readable): run 'custodia verify --repair' when it is back", s.ID.String()[:8], gaps[0].Site, gaps[0].Shards)}
	case len(res.Errors) > 0:
		return &exitError{code: exitDamage, msg: fmt.Sprintf("%d files or folders could not be read and are not in snapshot %s", len(res.Errors), s.ID.String()[:8])}
	case len(res.Changed) > 0:
		return &exitError{code: exitDamage, msg: fmt.Sprintf("%d files changed while they were read; snapshot %s holds them as read", len(res.Changed), s.ID.String()[:8])}
	}
	return nil
}
