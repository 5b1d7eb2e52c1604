package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// globalFlags are accepted by every command, before or after its name.
type globalFlags struct {
	repos        []string
	passwordFile string
	json         bool
	quiet        bool
	shareFiles   []string
	logFormat    string
}

func (g *globalFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&g.repos, "repo", nil, "repository site `URL` or path (repeatable, one per site; default $CUSTODIA_REPOSITORY)")
	fs.StringVar(&g.passwordFile, "password-file", "", "read the repository password from the first line of `FILE` (default $CUSTODIA_PASSWORD_FILE, else $CUSTODIA_PASSWORD)")
	fs.BoolVar(&g.json, "json", false, "print the output as JSON")
	fs.BoolVarP(&g.quiet, "quiet", "q", false, "print no progress and no summary")
	fs.StringVar(&g.logFormat, "log-format", "text", "how to write logs, warnings and errors on stderr: text, or json (one log/slog JSON object a line, with the library's events)")
	fs.StringArrayVar(&g.shareFiles, "share-file", nil, "open a split repository with the custody share in `FILE` (repeat once per custodian; see 'custodia help key split')")
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
		env.warnReadable(file)
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

// warnReadable warns once when the password file can be read by its group
// or by everyone.
func (env *cliEnv) warnReadable(file string) {
	if env.warnedReadable || runtime.GOOS == "windows" {
		return
	}
	if fi, err := os.Stat(file); err == nil && fi.Mode().Perm()&0o077 != 0 {
		env.warnedReadable = true
		env.warnf("password file %s can be read by others (mode %04o): run 'chmod 600 %s'", file, fi.Mode().Perm(), file)
	}
}

// minPasswordLength is the shortest password init accepts without
// --insecure-password, in characters.
const minPasswordLength = 12

// passwordGuidance is shown before a new password is typed.
const passwordGuidance = `Choose a passphrase of at least 12 characters: four or more random words
are strong and easy to type. Without it nobody can read the backups, so
keep it in a password manager or a sealed envelope.
`

// checkNewPassword refuses a password shorter than minPasswordLength
// unless insecure is set.
func checkNewPassword(pw []byte, insecure bool) error {
	if n := utf8.RuneCount(pw); n < minPasswordLength && !insecure {
		return usagef("the password has %d characters, fewer than %d: choose a longer one (or accept the risk with --insecure-password)", n, minPasswordLength)
	}
	return nil
}

// promptPassword reads a password from the terminal without echoing it;
// for a new password (confirm) it shows guidance first and asks twice.
func (env *cliEnv) promptPassword(fd int, confirm bool) ([]byte, error) {
	if confirm {
		fmt.Fprint(env.stderr, passwordGuidance)
	}
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
