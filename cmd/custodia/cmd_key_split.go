package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

func init() {
	keySubcommands = append(keySubcommands, newKeySplitCmd)
	addHint(repo.ErrCustodyOnly, "give each custodian's share with --share-file, or run on a terminal")
}

const keySplitHelp = `Split the read capability of the repository among custodians, so that no
single person can read or restore it (two-person control): any T of the N
custodians together can. Every single-person password that can read is removed;
write-only passwords stay, so the nightly backups go on.

With --out DIR each custodian's share is written as text to DIR/<custodian>.share
(hand each file to its custodian, then delete it); otherwise each custodian types
a password on the terminal that protects their share inside the repository.

Worked example — a two-person restore:

  # the backup machine gets a write-only password (before the split, while a
  # full-access password still administers the keys)
  custodia key add --write-only --label nightly --new-password-file /secure/nightly.txt
  # the administrator splits the vault between two of three managers; the
  # nightly backups go on with the write-only password
  custodia key split --shares 3 --threshold 2 \
      --custodian alice --custodian bob --custodian carol --out /secure/shares

  # later, alice and bob restore together (one share alone is refused)
  custodia restore latest --target /srv/restore \
      --share-file /media/alice/alice.share --share-file /media/bob/bob.share

On a terminal, custodians can instead type their password or paste their share
when asked by name. A new split (with new custodians) needs T of the old ones:
give their shares with --share-file to 'key split'.`

func newKeySplitCmd(env *cliEnv) *cobra.Command {
	var (
		shares, threshold int
		custodians        []string
		out               string
	)
	cmd := &cobra.Command{
		Use:   "split --shares N --threshold T [--custodian NAME]... [--out DIR]",
		Short: "split the read capability among custodians (T of N needed to read)",
		Long:  keySplitHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if shares < 2 || threshold < 2 || threshold > shares || shares > 255 {
				return usagef("key split: need 2 <= --threshold <= --shares <= 255")
			}
			if len(custodians) > shares {
				return usagef("key split: %d custodians named for %d shares", len(custodians), shares)
			}
			for i := len(custodians); i < shares; i++ {
				custodians = append(custodians, fmt.Sprintf("custodian-%d", i+1))
			}
			for _, c := range custodians {
				if c == "" || strings.ContainsAny(c, `/\`) || c == "." || c == ".." {
					return usagef("key split: custodian name %q cannot name a file", c)
				}
			}
			if out != "" {
				if err := checkShareDir(out, custodians); err != nil {
					return err
				}
			}
			r, err := env.openRepo(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer env.closeRepo(r)
			cs := make([]repo.Custodian, len(custodians))
			for i, name := range custodians {
				cs[i].Name = name
				if out == "" {
					pw, err := env.custodianPassword(name)
					if err != nil {
						return err
					}
					defer clear(pw)
					cs[i].Password = pw
				}
			}
			// Each share file is on disk before any older slot goes.
			res, err := r.Split(cmd.Context(), threshold, cs, repo.WithShareDelivery(shareWriter(out)))
			if err != nil {
				return err
			}
			if env.json {
				return env.printJSON(map[string]any{"split": res.Split, "threshold": res.Threshold, "shares": res.Shares, "custodians": custodians, "removed": append([]string{}, res.Removed...)})
			}
			if !env.quiet {
				fmt.Fprintf(env.stdout, "split %s: any %d of %d custodians (%s) read the repository; removed %d single-person key slots\n",
					res.Split, res.Threshold, res.Shares, strings.Join(custodians, ", "), len(res.Removed))
				if out != "" {
					fmt.Fprintf(env.stdout, "the shares are in %s, one file per custodian: hand them over, then delete them\n", out)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&shares, "shares", 0, "`N` shares, one per custodian")
	f.IntVar(&threshold, "threshold", 0, "`T` custodians together can read (at least 2)")
	f.StringArrayVar(&custodians, "custodian", nil, "custodian `NAME` (repeatable, in share order; default custodian-1...)")
	f.StringVar(&out, "out", "", "write each custodian's text share to `DIR`/<custodian>.share instead of asking for passwords")
	return cmd
}

func shareFile(dir, custodian string) string { return filepath.Join(dir, custodian+".share") }

// checkShareDir makes dir (private) and refuses to go on if a share file of
// one of the custodians is there already.
func checkShareDir(dir string, custodians []string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, c := range custodians {
		if _, err := os.Lstat(shareFile(dir, c)); err == nil {
			return fmt.Errorf("%s exists: refusing to overwrite a share", shareFile(dir, c))
		}
	}
	return nil
}

// shareWriter returns the delivery of text shares to dir: each share is
// written to a temporary file, synced, and renamed to <custodian>.share
// (never over an existing file), and the folder synced, so that a crash
// leaves each share whole or absent.
func shareWriter(dir string) func(ctx context.Context, custodian, share string) error {
	return func(ctx context.Context, custodian, share string) error {
		if strings.ContainsAny(custodian, `/\`) || custodian == "." || custodian == ".." || custodian == "" {
			return fmt.Errorf("custodian name %q cannot name a file", custodian)
		}
		final := shareFile(dir, custodian)
		if _, err := os.Lstat(final); err == nil {
			return fmt.Errorf("%s exists: refusing to overwrite a share", final)
		}
		f, err := os.CreateTemp(dir, "."+custodian+".share-*")
		if err != nil {
			return err
		}
		tmp := f.Name()
		defer os.Remove(tmp)
		if _, err := f.WriteString(share + "\n"); err != nil {
			f.Close()
			return err
		}
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Link(tmp, final); err != nil {
			return fmt.Errorf("write the share of %s: %w", custodian, err)
		}
		if d, err := os.Open(dir); err == nil {
			serr := d.Sync()
			d.Close()
			if serr != nil {
				return serr
			}
		}
		return nil
	}
}

// custodianPassword asks a custodian for a new password on the terminal.
func (env *cliEnv) custodianPassword(name string) ([]byte, error) {
	f, ok := env.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, usagef("key split: custodians type their passwords on a terminal; use --out DIR for text shares")
	}
	fmt.Fprintf(env.stderr, "custodian %s: choose a password: ", name)
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(env.stderr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(env.stderr, "custodian %s: the password again: ", name)
	again, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(env.stderr)
	defer clear(again)
	if err != nil || len(pw) == 0 || !bytes.Equal(pw, again) {
		clear(pw)
		return nil, usagef("custodian %s: the passwords are empty or do not match", name)
	}
	return pw, nil
}

// shareSource gives OpenWithShares the --share-file files, then asks the
// custodians still needed on the terminal, by name.
type shareSource struct {
	env   *cliEnv
	files []string
}

func (s *shareSource) NextShare(ctx context.Context, req repo.ShareRequest) (repo.ShareInput, error) {
	if len(s.files) > 0 {
		file := s.files[0]
		s.files = s.files[1:]
		b, err := os.ReadFile(file)
		if err != nil {
			return repo.ShareInput{}, fmt.Errorf("share file: %w", err)
		}
		defer clear(b)
		return repo.ShareInput{Text: string(bytes.TrimSpace(b)), From: file}, nil
	}
	f, ok := s.env.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return repo.ShareInput{}, io.EOF
	}
	who := "custodian"
	if req.Custodian != "" {
		who = fmt.Sprintf("custodian %s (%d more needed of %s)", req.Custodian, req.Need-req.Have, strings.Join(req.Pending, ", "))
	}
	fmt.Fprintf(s.env.stderr, "%s: type your password or paste your share (empty to stop): ", who)
	in, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(s.env.stderr)
	if err != nil {
		return repo.ShareInput{}, err
	}
	if len(in) == 0 {
		return repo.ShareInput{}, io.EOF
	}
	if t := strings.TrimSpace(string(in)); strings.HasPrefix(strings.ToLower(t), "custodia-share-") {
		clear(in)
		return repo.ShareInput{Text: t, From: who}, nil
	}
	return repo.ShareInput{Password: in, From: who}, nil
}

// openWithShares opens the repository with the custodians' shares.
func (env *cliEnv) openWithShares(ctx context.Context, st *storage.Store, opts ...repo.OpenOption) (*repo.Repository, error) {
	r, err := repo.OpenWithShares(ctx, st, &shareSource{env: env, files: env.shareFiles}, append(env.rollbackGuard(), opts...)...)
	if errors.Is(err, repo.ErrNotEnoughShares) {
		return nil, fmt.Errorf("%w (give each custodian's share with --share-file, or run on a terminal)", err)
	}
	return r, err
}
