// Command custodia backs up the files and records of bookkeeping firms and
// e-invoice systems into encrypted, erasure-coded repositories.
//
// Run "custodia help" for the commands. The repository is named by
// CUSTODIA_REPOSITORY (comma-separated URLs, one per site) or repeated
// --repo flags; the password comes from CUSTODIA_PASSWORD or
// --password-file. Exit status: 0 ok, 1 failure, 2 bad usage, 3 damage
// found (or files skipped) but everything still readable.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitDamage  = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	limitMemory()
	stopProfile := startProfiles()
	code := run(ctx, os.Args[1:], &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stopProfile()
	stop()
	os.Exit(code)
}

// limitMemory makes the garbage collector keep the heap near what is live
// unless GOGC says otherwise. custodia's large buffers hold no pointers, so
// collecting often is cheap, and it keeps the peak memory of a backup or
// restore close to its bounded working set (docs/PERFORMANCE.md).
func limitMemory() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(15)
	}
}

// startProfiles writes a CPU profile to $CUSTODIA_CPUPROFILE and a heap
// profile to $CUSTODIA_MEMPROFILE when they are set (see
// docs/PERFORMANCE.md).
func startProfiles() func() {
	var stops []func()
	if p := os.Getenv("CUSTODIA_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil && pprof.StartCPUProfile(f) == nil {
			stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	if p := os.Getenv("CUSTODIA_MEMPROFILE"); p != "" {
		stops = append(stops, func() {
			if f, err := os.Create(p); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		})
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}

// cliEnv is what a command sees of the outside world, so tests can run
// commands in-process.
type cliEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// commands lists the subcommands; files of optional commands add theirs in
// their own init.
var commands = []command{
	{"init", "create a repository", cmdInit},
	{"backup", "back up files and folders, or one stream", cmdBackup},
	{"snapshots", "list snapshots", cmdSnapshots},
	{"restore", "restore a snapshot into a folder", cmdRestore},
	{"verify", "check the repository, optionally reading all data", cmdVerify},
	{"stats", "show repository statistics", cmdStats},
}

// usageError is bad usage: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError carries an explicit exit status; its message, if any, has been
// printed already or is printed as is.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func run(ctx context.Context, args []string, env *cliEnv) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(env.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	name := args[0]
	for _, c := range commands {
		if c.name == name {
			return report(env, c.run(ctx, env, args[1:]))
		}
	}
	return report(env, usagef("unknown command %q (run 'custodia help')", name))
}

// report prints err as one line and returns the exit status.
func report(env *cliEnv, err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(env.stderr, "custodia: "+oneLine(ee.msg))
		}
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintln(env.stderr, "custodia: "+oneLine(ue.msg))
		return exitUsage
	case errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(env.stderr, "custodia: interrupted")
		return exitFailure
	default:
		fmt.Fprintln(env.stderr, "custodia: "+oneLine(err.Error()))
		return exitFailure
	}
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "custodia — encrypted, erasure-coded backups for bookkeeping and e-invoice data")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: custodia COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Repository: CUSTODIA_REPOSITORY (comma-separated URLs, one per site) or --repo URL (repeatable).")
	fmt.Fprintln(w, "A bare path or file:///abs/path is a local folder; s3://, gs://, azblob:// are cloud buckets.")
	fmt.Fprintln(w, "Password: CUSTODIA_PASSWORD or --password-file FILE; asked for on a terminal otherwise.")
	fmt.Fprintln(w, "Run 'custodia COMMAND -h' for a command's flags.")
}
