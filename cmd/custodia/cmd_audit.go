package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/repo"
)

func init() { register(newAuditCmd) }

const auditHelp = `Show, verify or checkpoint the repository's audit log.

Every operation on the repository (init, backup, restore, verify, key changes,
forget, prune, ...) appends a sealed entry, hash-linked to the previous ones,
before it reports success. Write-only keys append but cannot read the log.

  custodia audit [--since T] [--json]     list the entries (T: RFC 3339 time, a date, or a duration such as 24h)
  custodia audit --checkpoint > cp.json   export the log's head, signed with the repository's Ed25519 key
  custodia audit --verify                 prove the chain complete and unaltered
  custodia audit --verify --checkpoint cp.json
                                          also detect entries removed from the end since the checkpoint

--verify exits 3 and names the first broken link when an entry was modified,
removed or reordered (or, with a checkpoint, when the tail was truncated).`

type auditOptions struct {
	since      string
	verify     bool
	checkpoint string
}

func newAuditCmd(env *cliEnv) *cobra.Command {
	var o auditOptions
	cmd := &cobra.Command{
		Use:   "audit [--since T] [--json] | --verify [--checkpoint FILE] | --checkpoint",
		Short: "list, verify or checkpoint the audit log",
		Long:  auditHelp,
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAudit(cmd.Context(), env, &o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.since, "since", "", "list only entries at or after `T`")
	f.BoolVar(&o.verify, "verify", false, "verify the hash chain (exit 3 when broken)")
	f.StringVar(&o.checkpoint, "checkpoint", "", "alone: print a signed checkpoint; with --verify: check against checkpoint `FILE`")
	f.Lookup("checkpoint").NoOptDefVal = "-"
	return cmd
}

func runAudit(ctx context.Context, env *cliEnv, o *auditOptions, args []string) error {
	// "--checkpoint FILE" parses as the flag without a value and FILE.
	if o.checkpoint == "-" && len(args) == 1 {
		o.checkpoint, args = args[0], nil
	}
	if len(args) > 0 {
		return usagef("audit: unexpected argument %q", args[0])
	}
	if o.since != "" && (o.verify || o.checkpoint != "") {
		return usagef("audit: --since lists entries; it does not go with --verify or --checkpoint")
	}
	if !o.verify && o.checkpoint != "" && o.checkpoint != "-" {
		return usagef("audit: --checkpoint FILE goes with --verify; alone, --checkpoint prints a new checkpoint")
	}
	var since time.Time
	if o.since != "" {
		t, err := parseSince(o.since, time.Now())
		if err != nil {
			return usagef("audit: %v", err)
		}
		since = t
	}
	r, err := env.openRepo(ctx, true)
	if err != nil {
		return err
	}
	defer env.closeRepo(r)
	switch {
	case o.verify:
		return verifyAudit(ctx, env, r, o.checkpoint)
	case o.checkpoint == "-":
		cp, err := r.AuditCheckpoint(ctx)
		if err != nil {
			return err
		}
		return env.printJSON(cp)
	}
	entries, err := r.Audit(ctx, since)
	if err != nil {
		return err
	}
	if env.json {
		if entries == nil {
			entries = []repo.AuditEntry{}
		}
		return env.printJSON(entries)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tOPERATION\tHOST\tUSER\tSLOT\tOUTCOME\tARGUMENTS\t")
	for _, e := range entries {
		slot := e.Slot
		if e.Role != "" {
			slot = strings.TrimSpace(slot + " (" + string(e.Role) + ")")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", e.Seq, e.Time.Local().Format("2006-01-02 15:04:05"), e.Op, e.Host, e.User, slot, e.Outcome, fmtArgs(e.Args))
	}
	return tw.Flush()
}

// verifyAudit runs audit --verify.
func verifyAudit(ctx context.Context, env *cliEnv, r *repo.Repository, file string) error {
	var cp *repo.AuditCheckpoint
	if file != "" && file != "-" {
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		if cp, err = repo.ParseAuditCheckpoint(b); err != nil {
			return fmt.Errorf("checkpoint %s: %w", file, err)
		}
	}
	rep, err := r.VerifyAudit(ctx, cp)
	if rep == nil {
		return err
	}
	if env.json {
		if perr := env.printJSON(map[string]any{"entries": rep.Entries, "heads": rep.Heads, "problems": append([]string{}, rep.Problems...), "ok": err == nil}); perr != nil {
			return perr
		}
	} else {
		for _, p := range rep.Problems {
			fmt.Fprintln(env.stdout, "broken: "+p)
		}
	}
	if err != nil {
		return &exitError{code: exitDamage, msg: oneLine(err.Error())}
	}
	if !env.quiet && !env.json {
		with := ""
		if cp != nil {
			with = fmt.Sprintf(", and matches the checkpoint of %s", cp.Time.Local().Format("2006-01-02 15:04:05"))
		}
		fmt.Fprintf(env.stdout, "the audit log is complete and unaltered: %d entries%s\n", rep.Entries, with)
	}
	return nil
}

// fmtArgs prints arguments as k=v, sorted.
func fmtArgs(args map[string]string) string {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + args[k]
	}
	return strings.Join(parts, " ")
}

// parseSince accepts an RFC 3339 time, a date (local), or a duration
// before now ("24h", "7d").
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err == nil && n >= 0 && fmt.Sprint(n) == d {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--since %q is neither a time (RFC 3339), a date (2006-01-02) nor a duration (24h, 7d)", s)
}

// auditRead appends the audit entry of a read the library does not audit
// itself (restore, verify). A read made while a site is unreachable may
// not be able to write its entry: it says so and goes on.
func (env *cliEnv) auditRead(ctx context.Context, r *repo.Repository, op string, args map[string]string) {
	if err := r.AuditOperation(ctx, op, args, nil); err != nil {
		env.warnf("could not append to the audit log: %v", err)
	}
}
