package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/repo"
)

func init() { keySubcommands = append(keySubcommands, newKeyRotateCmd) }

const keyRotateHelp = `Make a new generation of the repository's master key. What is written from
now on is sealed under it: old passwords and old custody shares that were not
re-wrapped cannot read it (a former colleague who knew a password, a leaked
share). Everything written before stays readable with the new key. Nothing is
re-encrypted.

The password that opens this session gets a slot of the new generation (the same
password, or the one in --new-password-file). Other passwords cannot be
re-wrapped without being typed: their slots stay, listed by 'key list' with their
older generation; they read only what was written before the rotation. Give
their holders new slots with 'key add' and remove the old ones with
'key remove ID'. Write-only slots keep backing up; re-add them so that what they
write is out of reach of the older generation too.

A repository split among custodians is rotated by T of them (--share-file once
per custodian); the new key is split again among the same custodians at the same
threshold, each new text share written to --out DIR. The old shares then open
nothing.

Examples:
  custodia key rotate
  custodia key rotate --new-password-file /secure/new.txt
  custodia key rotate --share-file alice.share --share-file bob.share --out /secure/new-shares`

func newKeyRotateCmd(env *cliEnv) *cobra.Command {
	var newPasswordFile, out string
	cmd := &cobra.Command{
		Use:   "rotate [--new-password-file F] [--out DIR]",
		Short: "make a new master-key generation (old passwords and shares cannot read new data)",
		Long:  keyRotateHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			custody := len(env.shareFiles) > 0
			if custody && out == "" {
				return usagef("key rotate: a split repository's new shares need --out DIR")
			}
			if !custody && out != "" {
				return usagef("key rotate: --out is for split repositories (opened with --share-file)")
			}
			if out != "" {
				if err := checkShareDir(out, nil); err != nil {
					return err
				}
			}
			var opts repo.RotateOptions
			if !custody {
				var err error
				if newPasswordFile != "" {
					opts.Password, err = readPasswordFile(newPasswordFile)
				} else {
					opts.Password, err = env.password(false)
				}
				if err != nil {
					return err
				}
				defer clear(opts.Password)
			} else {
				opts.DeliverShare = shareWriter(out)
			}
			r, err := env.openRepo(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer env.closeRepo(r)
			res, err := r.Rotate(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if env.json {
				return env.printJSON(rotateJSON(res))
			}
			if env.quiet {
				return nil
			}
			fmt.Fprintf(env.stdout, "rotated the master key to generation %d\n", res.Generation)
			if res.Split != nil {
				fmt.Fprintf(env.stdout, "split %s: any %d of %d custodians read the repository; the new shares are in %s: hand them over, then delete them\n",
					res.Split.Split, res.Split.Threshold, res.Split.Shares, out)
			} else {
				fmt.Fprintf(env.stdout, "this password now opens key slot %s\n", res.Slot.ID)
			}
			if len(res.Stale) > 0 {
				fmt.Fprintf(env.stdout, "%d key slots still open an older generation and read only what was written before (replace them with 'key add', then 'key remove ID'):\n", len(res.Stale))
				for _, k := range res.Stale {
					fmt.Fprintf(env.stdout, "  %s  %s  generation %d  %s\n", k.ID, k.Role, k.Generation, strings.TrimSpace(k.Label+" "+k.Custodian))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&newPasswordFile, "new-password-file", "", "protect the new generation's slot with the password in `FILE` (default: the password that opens this session)")
	cmd.Flags().StringVar(&out, "out", "", "write each custodian's new text share to `DIR`/<custodian>.share (split repositories)")
	return cmd
}

// rotateJSON is the --json output of key rotate: never a share.
func rotateJSON(res *repo.RotateResult) map[string]any {
	stale := append([]repo.KeyInfo{}, res.Stale...)
	m := map[string]any{"generation": res.Generation, "stale": stale}
	if res.Split != nil {
		m["split"] = map[string]any{"split": res.Split.Split, "threshold": res.Split.Threshold, "shares": res.Split.Shares}
	} else {
		m["slot"] = res.Slot
	}
	return m
}
