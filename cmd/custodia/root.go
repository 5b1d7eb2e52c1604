package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// rootHelp is the long help of custodia itself.
const rootHelp = `custodia — encrypted, erasure-coded backups for bookkeeping and e-invoice data

Repository: CUSTODIA_REPOSITORY (comma-separated URLs, one per site) or --repo URL (repeatable).
A bare path or file:///abs/path is a local folder; s3://, gs://, azblob:// are cloud buckets.
Password: CUSTODIA_PASSWORD, CUSTODIA_PASSWORD_FILE or --password-file FILE; asked for on a terminal otherwise.
Run 'custodia help COMMAND' for a command's flags, 'custodia help environment' for the variables.`

// environmentHelp is the help topic "environment".
const environmentHelp = `Environment variables read by custodia:

  CUSTODIA_REPOSITORY     the repository's site URLs, comma-separated, one per site (--repo)
  CUSTODIA_PASSWORD       the repository password
  CUSTODIA_PASSWORD_FILE  a file whose first line is the password (--password-file);
                          it should be readable by its owner only
  CUSTODIA_CACHE_DIR      custodia's local cache (--cache-dir): the newest snapshot time seen per
                          repository, so that 'restore latest' warns (exit 3) when a repository was
                          rolled back, and a sealed copy of each repository's index, so that a
                          command reads only the index files written since (about 50 bytes per
                          blob; default: the user's cache folder)
  CUSTODIA_NO_CACHE       1: keep no copy of the index between commands (--no-cache)
  CUSTODIA_INDEX_MEMORY   most MiB the repository's index holds in memory (--index-memory; default 64);
                          beyond, it is kept in sealed, unlinked files of a temporary folder
  CUSTODIA_INDEX_DIR      that folder (default: the system's temporary folder)
  CUSTODIA_CPUPROFILE     write a CPU profile to this file
  CUSTODIA_TRACE          write an execution trace (go tool trace) to this file
  CUSTODIA_MEMPROFILE     write an allocation profile to this file
  GOGC                    the garbage collector's target in percent above the live heap; when set,
                          it alone paces the collector (unset, custodia uses 15, and a table backup
                          lets the heap grow to its --sort-memory before collecting)
  GOMEMLIMIT              a soft limit of the Go runtime's memory (e.g. 200MiB): the collector runs
                          whenever it is reached, whatever the target above

Exit status: 0 ok; 1 failure (one line on stderr); 2 bad usage; 3 damage found
(or files skipped) but everything that was backed up is still readable.`

// newRoot builds the command tree for one invocation.
func newRoot(env *cliEnv) *cobra.Command {
	root := &cobra.Command{
		Use:     "custodia",
		Short:   "encrypted, erasure-coded backups for bookkeeping and e-invoice data",
		Long:    rootHelp,
		Version: version(),
		// No command: the help, and bad usage.
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q (run 'custodia help')", args[0])
			}
			_ = cmd.Help()
			return &exitError{code: exitUsage}
		},
		Args:          cobra.ArbitraryArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(env.stdin)
	root.SetOut(env.stdout)
	root.SetErr(env.stderr)
	root.SetVersionTemplate("custodia {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usagef("%s: %v", cmd.Name(), err)
	})
	env.globalFlags.register(root.PersistentFlags())
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error { return env.setLogFormat() }
	root.SetHelpCommand(helpCommand(root))
	root.AddCommand(&cobra.Command{Use: "environment", Short: "the environment variables custodia reads", Long: environmentHelp})

	cmds := make([]*cobra.Command, 0, len(builders))
	for _, build := range builders {
		cmds = append(cmds, build(env))
	}
	root.AddCommand(cmds...)
	for _, x := range extenders {
		x(env, root)
	}
	wrapArgs(root)
	return root
}

// wrapArgs makes the argument validators of every command report bad usage
// (exit status 2), prefixed with the command's name.
func wrapArgs(cmd *cobra.Command) {
	if v := cmd.Args; v != nil && cmd.HasParent() {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := v(c, args); err != nil {
				return usagef("%s: %v", c.Name(), err)
			}
			return nil
		}
	}
	for _, c := range cmd.Commands() {
		wrapArgs(c)
	}
}

// helpCommand is "custodia help [COMMAND]": the help of custodia or of one
// command (or topic) on stdout; an unknown topic is bad usage.
func helpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "show the help of custodia or of a command",
		Args:  cobra.ArbitraryArgs,
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var names []cobra.Completion
			for _, sub := range root.Commands() {
				if sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand() {
					names = append(names, sub.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, _, err := root.Find(args)
			if err != nil || target == root && len(args) > 0 {
				return usagef("unknown help topic %q (run 'custodia help')", strings.Join(args, " "))
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}

// longFlags rewrites "-name" and "-name=value" to "--name..." when name is
// the long name of a flag, so that command lines written for the flag
// package custodia used before cobra ("restore latest -target DIR") keep
// working. Shorthands ("-q", "-rq") and everything after "--" are left
// alone.
func longFlags(root *cobra.Command, args []string) []string {
	flags := map[string]*pflag.Flag{}
	var collect func(*cobra.Command)
	collect = func(c *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) { flags[f.Name] = f })
		}
		for _, sub := range c.Commands() {
			collect(sub)
		}
	}
	collect(root)
	out := make([]string, len(args))
	copy(out, args)
	value := false // out[i] is the value of the flag before it
	for i, a := range out {
		if a == "--" {
			break
		}
		if value {
			value = false
			continue
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := flags[name]
		if f == nil {
			continue
		}
		if a[1] != '-' && len(name) > 1 {
			out[i] = "-" + a
		}
		value = !hasValue && f.NoOptDefVal == ""
	}
	return out
}
