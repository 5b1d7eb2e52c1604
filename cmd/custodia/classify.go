package main

import (
	"context"

	"github.com/custodia-backup/custodia/internal/classifycli"
)

func init() {
	commands = append(commands, command{"classify", "classify the fields of CSV / JSON Lines files by sensitivity", cmdClassify})
}

// cmdClassify runs 'custodia classify'; it needs no repository.
func cmdClassify(ctx context.Context, env *cliEnv, args []string) error {
	code := classifycli.Run(ctx, args, env.stdout, env.stderr)
	if code == exitOK {
		return nil
	}
	return &exitError{code: code}
}
