package main

import (
	"encoding/json"
	"fmt"
	"time"
)

// printJSON writes v to stdout as one JSON document on one line. Every
// --json output of the CLI goes through it, so all share one encoding
// (UTF-8 as is, no HTML escaping).
func (env *cliEnv) printJSON(v any) error {
	enc := json.NewEncoder(env.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func eol(done bool) string {
	if done {
		return "\n"
	}
	return ""
}

func fmtBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func fmtDuration(d time.Duration) string {
	return d.Round(10 * time.Millisecond).String()
}
