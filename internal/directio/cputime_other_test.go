//go:build !unix

package directio

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
