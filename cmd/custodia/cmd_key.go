package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/custodia-backup/custodia/repo"
)

func init() { register(newKeyCmd) }

const keyHelp = `Manage the key slots of the repository: each slot opens it with its own
password. A full-access slot reads and writes; a write-only slot (--write-only)
lets a backup machine add backups without being able to read anything, its own
backups included. No command ever prints a key or a password.

Examples:
  custodia key list
  custodia key add --label "office safe" --new-password-file /secure/new.txt
  custodia key add --write-only --label nightly --new-password-file /secure/backup-01.txt
  custodia key passwd --new-password-file /secure/changed.txt
  custodia key remove 4f0c2a9e1b7d3c55
  custodia key rotate                      (a new master-key generation: see 'custodia help key rotate')

Two-person restore: see 'custodia help key split' for the worked example.`

func newKeyCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key list|add|remove|passwd|split|rotate",
		Short: "manage key slots, write-only keys, custody shares and rotation",
		Long:  keyHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("key: unknown subcommand %q (run 'custodia help key')", args[0])
			}
			return usagef("key: name a subcommand: list, add, remove, passwd, split, rotate (run 'custodia help key')")
		},
		Args: cobra.ArbitraryArgs,
	}
	cmd.AddCommand(newKeyListCmd(env), newKeyAddCmd(env), newKeyRemoveCmd(env), newKeyPasswdCmd(env))
	for _, build := range keySubcommands {
		cmd.AddCommand(build(env))
	}
	return cmd
}

// keySubcommands are further "key" subcommands registered from their own
// files (custody split, rotation).
var keySubcommands []func(env *cliEnv) *cobra.Command

func newKeyListCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "list [--json]",
		Short: "list the key slots (ID, role, created, host, label; never a secret)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := env.openRepo(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer env.closeRepo(r)
			keys, err := r.Keys(cmd.Context())
			if err != nil {
				return err
			}
			if env.json {
				if keys == nil {
					keys = []repo.KeyInfo{}
				}
				return env.printJSON(keys)
			}
			newest := r.Generation()
			for _, k := range keys {
				newest = max(newest, k.Generation)
			}
			tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tROLE\tGEN\tCREATED\tHOST\tLABEL\t")
			for _, k := range keys {
				created := ""
				if !k.Created.IsZero() {
					created = k.Created.Local().Format("2006-01-02 15:04:05")
				}
				label := k.Label
				if k.Custodian != "" {
					label = strings.TrimSpace(fmt.Sprintf("custodian %s of a %d-of-%d split %s", k.Custodian, k.Threshold, k.Shares, label))
				}
				if k.Current {
					label = strings.TrimSpace(label + " (this session)")
				}
				if k.Generation < newest {
					label = strings.TrimSpace(label + " (older generation)")
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t\n", k.ID, k.Role, k.Generation, created, k.Host, label)
			}
			return tw.Flush()
		},
	}
}

func newKeyAddCmd(env *cliEnv) *cobra.Command {
	var (
		label, newPasswordFile string
		writeOnly              bool
	)
	cmd := &cobra.Command{
		Use:   "add [--label L] [--write-only] [--new-password-file F]",
		Short: "add a key slot with a new password",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := env.openRepo(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer env.closeRepo(r)
			pw, err := env.newPassword(newPasswordFile)
			if err != nil {
				return err
			}
			defer clear(pw)
			role := repo.RoleFull
			if writeOnly {
				role = repo.RoleWriteOnly
			}
			info, err := r.AddKey(cmd.Context(), pw, role, repo.WithLabel(label))
			if err != nil {
				return err
			}
			return env.printKey("added", info)
		},
	}
	cmd.Flags().StringVar(&label, "label", "", "name the slot `L` (shown by key list)")
	cmd.Flags().BoolVar(&writeOnly, "write-only", false, "the new password can add backups but read nothing")
	cmd.Flags().StringVar(&newPasswordFile, "new-password-file", "", "read the new password from the first line of `FILE` (asked for on a terminal otherwise)")
	return cmd
}

func newKeyRemoveCmd(env *cliEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ID",
		Short: "remove a key slot (never the last one that can read)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := env.openRepo(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer env.closeRepo(r)
			if err := r.RemoveKey(cmd.Context(), args[0]); err != nil {
				return err
			}
			if !env.quiet && !env.json {
				fmt.Fprintf(env.stdout, "removed key slot %s\n", args[0])
			}
			return nil
		},
	}
}

func newKeyPasswdCmd(env *cliEnv) *cobra.Command {
	var newPasswordFile string
	cmd := &cobra.Command{
		Use:   "passwd [--new-password-file F]",
		Short: "change the password of the slot this password opens",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := env.openRepo(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer env.closeRepo(r)
			pw, err := env.newPassword(newPasswordFile)
			if err != nil {
				return err
			}
			defer clear(pw)
			info, err := r.ChangePassword(cmd.Context(), pw)
			if err != nil {
				return err
			}
			return env.printKey("changed the password: new slot", info)
		},
	}
	cmd.Flags().StringVar(&newPasswordFile, "new-password-file", "", "read the new password from the first line of `FILE` (asked for on a terminal otherwise)")
	return cmd
}

// printKey reports a new slot on stdout (as JSON with --json).
func (env *cliEnv) printKey(what string, k repo.KeyInfo) error {
	if env.json {
		return env.printJSON(k)
	}
	if !env.quiet {
		fmt.Fprintf(env.stdout, "%s %s (%s)\n", what, k.ID, k.Role)
	}
	return nil
}

// newPassword reads a new password from file, or asks for it twice on a
// terminal.
func (env *cliEnv) newPassword(file string) ([]byte, error) {
	if file != "" {
		return readPasswordFile(file)
	}
	f, ok := env.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, usagef("no new password given: use --new-password-file")
	}
	fmt.Fprint(env.stderr, "enter the new password: ")
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(env.stderr)
	if err != nil {
		return nil, fmt.Errorf("read password: %w", err)
	}
	if len(pw) == 0 {
		return nil, usagef("empty password")
	}
	fmt.Fprint(env.stderr, "enter it again: ")
	again, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(env.stderr)
	defer clear(again)
	if err != nil {
		clear(pw)
		return nil, fmt.Errorf("read password: %w", err)
	}
	if !bytes.Equal(again, pw) {
		clear(pw)
		return nil, usagef("the passwords do not match")
	}
	return pw, nil
}

// readPasswordFile returns the first line of file, wiping what it read.
func readPasswordFile(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("password file: %w", err)
	}
	defer clear(b)
	line, _, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) == 0 {
		return nil, fmt.Errorf("password file %s is empty", file)
	}
	return bytes.Clone(line), nil
}
