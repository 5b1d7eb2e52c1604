package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// errHelp is returned after a command printed its help.
var errHelp = errors.New("help shown")

// flagSet is a command's flags with its help text.
type flagSet struct {
	*flag.FlagSet
	help func()
}

// globalFlags are accepted by every command that opens a repository.
type globalFlags struct {
	repos        stringList
	passwordFile string
	json         bool
	quiet        bool
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

// Set appends a value.
func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

func newFlagSet(env *cliEnv, name, usage string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // errors are reported in one line; -h prints help
	help := func() {
		fmt.Fprintf(env.stdout, "Usage: custodia %s %s\n\nFlags:\n", name, usage)
		fs.SetOutput(env.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return &flagSet{FlagSet: fs, help: help}
}

func (g *globalFlags) register(fs *flagSet) {
	fs.Var(&g.repos, "repo", "repository site URL or path (repeatable, one per site; default $CUSTODIA_REPOSITORY)")
	fs.StringVar(&g.passwordFile, "password-file", "", "read the repository password from `FILE` (default $CUSTODIA_PASSWORD)")
	fs.BoolVar(&g.quiet, "quiet", false, "print no progress and no summary")
}

// parse parses flags and positional arguments in any order ("--" ends the
// flags).
func parse(fs *flagSet, args []string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.help()
			return nil, errHelp
		}
		if err != nil {
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// siteURLs returns the repository's site URLs from the flags or the
// environment.
func (g *globalFlags) siteURLs(env *cliEnv) ([]string, error) {
	urls := []string(g.repos)
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
func (g *globalFlags) password(env *cliEnv, confirm ...bool) ([]byte, error) {
	file := g.passwordFile
	if file == "" {
		file = env.getenv("CUSTODIA_PASSWORD_FILE")
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("password file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			return nil, fmt.Errorf("password file %s is empty", file)
		}
		return []byte(line), nil
	}
	if p := env.getenv("CUSTODIA_PASSWORD"); p != "" {
		return []byte(p), nil
	}
	if f, ok := env.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return promptPassword(env, int(f.Fd()), len(confirm) > 0 && confirm[0])
	}
	return nil, usagef("no password given: set CUSTODIA_PASSWORD or use --password-file")
}

// promptPassword reads a password from the terminal without echoing it.
func promptPassword(env *cliEnv, fd int, confirm bool) ([]byte, error) {
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
