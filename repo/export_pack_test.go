package repo

import "testing"

// FillOnePack makes writers put every blob into one open pack until t
// ends, for tests about what one pack holds. Such tests must not run in
// parallel with others.
func FillOnePack(t testing.TB) {
	fillOnePack.Store(true)
	t.Cleanup(func() { fillOnePack.Store(false) })
}
