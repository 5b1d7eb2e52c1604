package repo

import "time"

// SetMinLockPeriod lets tests lock repositories for seconds; it returns
// the function that restores MinLockPeriod.
func SetMinLockPeriod(d time.Duration) func() {
	old := minLockPeriod
	minLockPeriod = d
	return func() { minLockPeriod = old }
}
