package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/internal/classifycli"
)

func init() {
	register(func(env *cliEnv) *cobra.Command {
		cmd := &cobra.Command{
			Use:   "classify [--json] [--policy FILE] [--sample N] DATA.csv|DATA.tsv|DATA.jsonl|DATA.json...",
			Short: "classify the fields of CSV, TSV, JSON Lines and JSON files by sensitivity",
			// classify parses its own flags (internal/classifycli); it needs
			// no repository.
			DisableFlagParsing: true,
			RunE: func(cmd *cobra.Command, args []string) error {
				if env.json {
					args = append([]string{"--json"}, args...)
				}
				stderr := env.stderr
				if wantsHelp(args) {
					stderr = env.stdout // every help goes to stdout
				}
				code := classifycli.Run(cmd.Context(), args, env.stdout, stderr)
				if code == exitOK {
					return nil
				}
				return &exitError{code: code}
			},
		}
		cmd.SetHelpFunc(func(c *cobra.Command, _ []string) {
			ctx := c.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			classifycli.Run(ctx, []string{"-h"}, env.stdout, env.stdout)
		})
		return cmd
	})
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}
