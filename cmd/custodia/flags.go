package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// globalFlags are accepted by every command, before or after its name.
type globalFlags struct {
	repos        []string
	passwordFile string
	json         bool
	quiet        bool
}

func (g *globalFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&g.repos, "repo", nil, "repository site `URL` or path (repeatable, one per site; default $CUSTODIA_REPOSITORY)")
	fs.StringVar(&g.passwordFile, "password-file", "", "read the repository password from the first line of `FILE` (default $CUSTODIA_PASSWORD_FILE, else $CUSTODIA_PASSWORD)")
	fs.BoolVar(&g.json, "json", false, "print the output as JSON")
	fs.BoolVarP(&g.quiet, "quiet", "q", false, "print no progress and no summary")
}

// siteURLs returns the repository's site URLs from the flags or the
// environment.
func (env *cliEnv) siteURLs() ([]string, error) {
	urls := env.repos
	if len(urls) == 0 {
		for _, u := range strings.Split(env.getenv("CUSTODIA_REPOSITORY"), ",") {
			if u = strings.TrimSpace(u); u != "" {
				urls = append(urls, u)
			}
		}
	}
	if len(urls) == 0 {
		return nil, usagef("no repository given: set CUSTODIA_REPOSITORY or use --repo")
	}
	return urls, nil
}

// password returns the repository password from --password-file,
// CUSTODIA_PASSWORD_FILE or CUSTODIA_PASSWORD, or else asks for it when
// standard input is a terminal (twice when confirm is set, as for init).
func (env *cliEnv) password(confirm bool) ([]byte, error) {
	file := env.passwordFile
	if file == "" {
		file = env.getenv("CUSTODIA_PASSWORD_FILE")
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("password file: %w", err)
		}
		// The password never becomes a string: the file's bytes are wiped
		// once the first line is copied out (the caller wipes that).
		defer clear(b)
		line, _, _ := bytes.Cut(b, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			return nil, fmt.Errorf("password file %s is empty", file)
		}
		return bytes.Clone(line), nil
	}
	if p := env.getenv("CUSTODIA_PASSWORD"); p != "" {
		return []byte(p), nil
	}
	if f, ok := env.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return env.promptPassword(int(f.Fd()), confirm)
	}
	return nil, usagef("no password given: set CUSTODIA_PASSWORD or use --password-file")
}

// promptPassword reads a password from the terminal without echoing it.
func (env *cliEnv) promptPassword(fd int, confirm bool) ([]byte, error) {
	fmt.Fprint(env.stderr, "enter password for repository: ")
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(env.stderr)
	if err != nil {
		return nil, fmt.Errorf("read password: %w", err)
	}
	if len(pw) == 0 {
		return nil, usagef("empty password")
	}
	if confirm {
		fmt.Fprint(env.stderr, "enter password again: ")
		again, err := term.ReadPassword(fd)
		fmt.Fprintln(env.stderr)
		if err != nil {
			return nil, fmt.Errorf("read password: %w", err)
		}
		if string(again) != string(pw) {
			return nil, usagef("the passwords do not match")
		}
	}
	return pw, nil
}
