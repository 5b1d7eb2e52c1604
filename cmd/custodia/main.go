// Command custodia backs up the files and records of bookkeeping firms and
// e-invoice systems into encrypted, erasure-coded repositories.
//
// Run "custodia help" for the commands. The repository is named by
// CUSTODIA_REPOSITORY (comma-separated URLs, one per site) or repeated
// --repo flags; the password comes from CUSTODIA_PASSWORD,
// CUSTODIA_PASSWORD_FILE or --password-file. Exit status: 0 ok, 1 failure,
// 2 bad usage, 3 damage found (or files skipped) but everything still
// readable.
//
// # Adding a command
//
// The CLI is built on github.com/spf13/cobra. A command lives in its own
// file cmd_<name>.go and registers a constructor in that file's init:
//
//	func init() {
//		register(func(env *cliEnv) *cobra.Command {
//			var long bool
//			cmd := &cobra.Command{
//				Use:   "ls SNAPSHOT [PATH]",
//				Short: "list the entries of a snapshot",
//				RunE: func(cmd *cobra.Command, args []string) error {
//					if len(args) == 0 {
//						return usagef("ls: name a snapshot") // exit 2
//					}
//					r, err := env.openRepo(cmd.Context(), true) // read-only
//					if err != nil {
//						return err
//					}
//					defer env.closeRepo(r)
//					...
//					if env.json {
//						return env.printJSON(v) // the one way to print JSON
//					}
//					...
//				},
//			}
//			cmd.Flags().BoolVar(&long, "long", false, "show modes, sizes and times")
//			return cmd
//		})
//	}
//
// The constructor runs once per invocation (tests run many in parallel in
// one process), so flag variables live in the closure, never in package
// variables. Commands get everything through env (*cliEnv):
//
//   - env.stdin, env.stdout, env.stderr, env.getenv: the outside world
//     (tests fake it); progress is shown only when isTerminal(env.stderr).
//   - the global flags, accepted before or after the command name:
//     --repo (env.siteURLs), --password-file (env.password), --json
//     (env.json), --quiet (env.quiet), --log-format (env.logger: with
//     json, every line written on env.stderr becomes a JSON log record).
//   - env.lib(r) is the custodia package's host API over r: operations
//     run through it emit the library's events, which --log-format json
//     logs.
//   - env.openRepo(ctx, readOnly) opens the repository with its password
//     (read-only commands go on when a site is unreachable);
//     env.openStore(ctx, opts...) opens the sites alone (init).
//   - env.printJSON(v) writes v as one JSON document; newListPrinter[T](env)
//     prints a listing of any length item by item (a JSON array with
//     --json, else each item's text() line). Every --json output goes
//     through one of them: give each output a struct with json tags.
//   - env.warnf(...) prints one "custodia: warning: ..." line on stderr.
//
// Errors: return them from RunE. run prints one line on stderr and maps
// them to the exit status (see report): usagef(...) is bad usage (2);
// &exitError{code: exitDamage, msg: ...} is damage found but readable (3);
// a canceled context prints "interrupted" (1); anything else is a failure
// (1), with a hint added for the library's typed errors: the library's
// messages name no command or flag, so a command file registers the remedy
// of its errors with addHint(err, "use --force to ...") in its init.
//
// Tests run the CLI in-process: newCLI(t, sites...).run(args...) returns the
// exit status, stdout and stderr (helpers_test.go).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
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
	gc := limitMemory(os.Getenv)
	stopProfile := startProfiles()
	code := run(ctx, os.Args[1:], &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, gc: gc, ownProcess: true})
	stopProfile()
	stop()
	os.Exit(code)
}

// startProfiles writes a CPU profile to $CUSTODIA_CPUPROFILE, an
// execution trace (go tool trace) to $CUSTODIA_TRACE and a heap profile to
// $CUSTODIA_MEMPROFILE when they are set (see
// docs/PERFORMANCE.md).
func startProfiles() func() {
	var stops []func()
	if p := os.Getenv("CUSTODIA_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil && pprof.StartCPUProfile(f) == nil {
			stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	if p := os.Getenv("CUSTODIA_TRACE"); p != "" {
		if f, err := os.Create(p); err == nil && trace.Start(f) == nil {
			stops = append(stops, func() { trace.Stop(); f.Close() })
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
// commands in-process, plus the global flags of this invocation.
type cliEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string

	globalFlags
	index          indexFlags
	warnedReadable bool         // the password file's mode was warned about
	logger         *slog.Logger // with --log-format json: stderr's log
	gc             *gcPacer     // the process's GC pacing; nil in tests
	ownProcess     bool         // the CLI's own process, not commands run in-process by tests
}

// builders are the constructors of the commands, added by register.
var builders []func(env *cliEnv) *cobra.Command

// register adds a command. build is called once per invocation of the CLI
// and returns a fresh command whose RunE reads its flags from the closure.
// Call it from the init of the command's own file cmd_<name>.go.
func register(build func(env *cliEnv) *cobra.Command) {
	builders = append(builders, build)
}

// extenders add flags and modes to commands built by other files (the
// --table mode of backup, say); each runs once per invocation, after every
// command is built. Call extend from the init of the extending file.
var extenders []func(env *cliEnv, root *cobra.Command)

// extend adds an extender.
func extend(fn func(env *cliEnv, root *cobra.Command)) {
	extenders = append(extenders, fn)
}

// usageError is bad usage: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError carries an explicit exit status; its message, if any, is
// printed as one line.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// run runs the CLI with args (without the program name) and returns the
// exit status.
func run(ctx context.Context, args []string, env *cliEnv) int {
	root := newRoot(env)
	root.SetArgs(longFlags(root, args))
	return report(env, root.ExecuteContext(ctx))
}

// report prints err as one line and returns the exit status.
func report(env *cliEnv, err error) int {
	if err == nil {
		return exitOK
	}
	if env.logger == nil && env.logFormat == "json" {
		_ = env.setLogFormat() // the error came before the command ran
	}
	code, msg := exitStatus(err)
	switch {
	case msg == "":
	case env.logger != nil:
		env.logExit(code, msg)
	default:
		fmt.Fprintln(env.stderr, "custodia: "+msg)
	}
	return code
}

// exitStatus returns the exit status for err and its line ("" for none).
func exitStatus(err error) (int, string) {
	var ue *usageError
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		if ee.msg != "" {
			return ee.code, oneLine(ee.msg)
		}
		return ee.code, ""
	case errors.As(err, &ue):
		return exitUsage, oneLine(ue.msg)
	case errors.Is(err, context.Canceled):
		return exitFailure, "interrupted"
	default:
		return exitFailure, oneLine(err.Error() + hint(err))
	}
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
