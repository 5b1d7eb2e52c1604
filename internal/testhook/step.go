package testhook

import "sync/atomic"

var step atomic.Pointer[func(string)]

// OnStep registers fn to run at each named step of a multi-object
// operation (a key split, a master-key rotation), after the step's object
// was written or deleted and before the next one: a crash test kills its
// own process there to prove that every intermediate state opens. Only
// one hook is kept; the returned function removes it.
func OnStep(fn func(name string)) (remove func()) {
	step.Store(&fn)
	return func() { step.CompareAndSwap(&fn, nil) }
}

// Step runs the step hook, if any, with the step's name.
func Step(name string) {
	if fn := step.Load(); fn != nil {
		(*fn)(name)
	}
}
