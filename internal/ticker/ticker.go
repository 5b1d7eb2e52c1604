// Package ticker calls a progress report at a fixed interval from a
// goroutine of its own, and once more when stopped.
package ticker

import "time"

// Start calls report(false) every interval until the returned stop
// function is called, which calls report(true) and returns after it. A nil
// report makes Start do nothing.
func Start(interval time.Duration, report func(last bool)) (stop func()) {
	if report == nil {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				report(false)
			case <-quit:
				report(true)
				return
			}
		}
	}()
	return func() { close(quit); <-done }
}
