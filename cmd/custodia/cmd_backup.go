package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/custodia-backup/custodia/backup"
)

func cmdBackup(ctx context.Context, env *cliEnv, args []string) error {
	var g globalFlags
	fs := newFlagSet(env, "backup", "[--tag T] PATH... | --stdin --stdin-name NAME")
	g.register(fs)
	fs.BoolVar(&g.json, "json", false, "print the summary as JSON")
	var tags stringList
	fs.Var(&tags, "tag", "label the snapshot with `TAG` (repeatable)")
	host := fs.String("host", "", "record `HOST` as the snapshot's host (default: this machine's name)")
	stdin := fs.Bool("stdin", false, "back up standard input as one file")
	stdinName := fs.String("stdin-name", "stdin", "file `NAME` of the --stdin stream in the snapshot")
	force := fs.Bool("force", false, "read every file, even those unchanged since the parent snapshot")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *stdin && len(pos) > 0 {
		return usagef("backup: --stdin takes no paths")
	}
	if !*stdin && len(pos) == 0 {
		return usagef("backup: give the files or folders to back up, or --stdin")
	}
	r, err := openRepo(ctx, env, &g, false)
	if err != nil {
		return err
	}
	opts := []backup.Option{backup.WithTags(tags...)}
	if *host != "" {
		opts = append(opts, backup.WithHost(*host))
	}
	if *force {
		opts = append(opts, backup.WithoutParent())
	}
	if !g.quiet && !g.json && isTerminal(env.stderr) {
		opts = append(opts, backup.WithProgress(func(p backup.Progress) {
			fmt.Fprintf(env.stderr, "\r%s  %d files  %s read  %s new%s", fmtDuration(p.Elapsed), p.Files, fmtBytes(p.Bytes), fmtBytes(p.Added), eol(p.Done))
		}, time.Second/2))
	}
	var res *backup.Result
	if *stdin {
		res, err = backup.Stream(ctx, r, *stdinName, env.stdin, opts...)
	} else {
		res, err = backup.Files(ctx, r, pos, opts...)
	}
	if err != nil {
		return err
	}
	s := res.Snapshot
	if g.json {
		errs := make([]string, len(res.Errors))
		for i, e := range res.Errors {
			errs[i] = e.Error()
		}
		if err := json.NewEncoder(env.stdout).Encode(map[string]any{
			"snapshot": s.ID.String(), "parent": s.Parent, "stats": s.Stats, "errors": errs,
		}); err != nil {
			return err
		}
	} else if !g.quiet {
		st := s.Stats
		fmt.Fprintf(env.stdout, "Files: %d new, %d changed, %d unchanged; %d folders\n", st.FilesNew, st.FilesChanged, st.FilesSkipped, st.Dirs)
		fmt.Fprintf(env.stdout, "Added: %s of new data, %s stored (compressed, encrypted, before parity)\n", fmtBytes(st.BytesAdded), fmtBytes(st.StoredAdded))
		fmt.Fprintf(env.stdout, "snapshot %s saved: %s in %s\n", s.ID.String()[:8], fmtBytes(st.Bytes), fmtDuration(st.Duration))
	}
	if len(res.Errors) > 0 {
		for _, e := range res.Errors {
			fmt.Fprintln(env.stderr, "custodia: skipped "+oneLine(e.Error()))
		}
		return &exitError{code: exitDamage, msg: fmt.Sprintf("%d files or folders could not be read and are not in snapshot %s", len(res.Errors), s.ID.String()[:8])}
	}
	return nil
}

func eol(done bool) string {
	if done {
		return "\n"
	}
	return ""
}

func fmtBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func fmtDuration(d time.Duration) string {
	return d.Round(10 * time.Millisecond).String()
}
