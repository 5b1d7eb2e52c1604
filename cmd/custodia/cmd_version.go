package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func init() {
	register(func(env *cliEnv) *cobra.Command {
		return &cobra.Command{
			Use:   "version",
			Short: "print the version of custodia",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if env.json {
					return env.printJSON(versionJSON{Version: moduleVersion(), Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH})
				}
				_, err := fmt.Fprintln(env.stdout, "custodia "+version())
				return err
			},
		}
	})
}

// versionJSON is the --json form of "custodia version".
type versionJSON struct {
	Version string `json:"version"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

// moduleVersion is the version of the custodia module this binary was
// built from ("(devel)" for a build from a checkout).
func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// version is the one-line version: module version, Go version, platform.
func version() string {
	return fmt.Sprintf("%s (%s %s/%s)", moduleVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
