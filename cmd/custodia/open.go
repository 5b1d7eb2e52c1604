package main

import (
	"context"
	"fmt"
	"os"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// openStore opens the sites named by the flags or the environment.
func openStore(ctx context.Context, env *cliEnv, g *globalFlags, opts ...storage.Option) (*storage.Store, error) {
	urls, err := g.siteURLs(env)
	if err != nil {
		return nil, err
	}
	return storage.Open(ctx, urls, opts...)
}

// openRepo opens the repository with its password. Commands that only read
// (readOnly) go on when some sites cannot be reached, reading what they
// need from the others, and say so on stderr.
func openRepo(ctx context.Context, env *cliEnv, g *globalFlags, readOnly bool) (*repo.Repository, error) {
	urls, err := g.siteURLs(env)
	if err != nil {
		return nil, err
	}
	pw, err := g.password(env)
	if err != nil {
		return nil, err
	}
	var opts []storage.Option
	if readOnly {
		opts = append(opts, storage.WithAllowUnreachable())
	}
	st, err := storage.Open(ctx, urls, opts...)
	if err != nil {
		return nil, err
	}
	for _, u := range st.Unreachable() {
		fmt.Fprintf(env.stderr, "custodia: warning: site %s cannot be reached; reading from the other sites\n", u)
	}
	r, err := repo.Open(ctx, st, pw)
	clear(pw)
	if err != nil {
		st.Close()
		return nil, err
	}
	for _, w := range r.Warnings() {
		fmt.Fprintln(env.stderr, "custodia: warning: "+oneLine(w.Error())+" (run 'custodia verify')")
	}
	return r, nil
}

// isTerminal reports whether w is a terminal, where progress is shown.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
