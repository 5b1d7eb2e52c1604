package repo

import (
	"errors"
	"fmt"
)

// Recovery priorities: a snapshot's Priority says how soon it is needed
// back after a loss, from PriorityCritical (invoices, ledgers: first) to
// PriorityLow. A snapshot without one has DefaultPriority.
const (
	PriorityCritical = 1
	PriorityLow      = 5
	DefaultPriority  = 3
)

// ErrPriority is a recovery priority outside PriorityCritical..PriorityLow.
var ErrPriority = errors.New("recovery priority must be 1 (most critical) to 5")

// CheckPriority returns an error wrapping ErrPriority unless p is 0 (none
// given: the default) or within PriorityCritical..PriorityLow.
func CheckPriority(p int) error {
	if p != 0 && (p < PriorityCritical || p > PriorityLow) {
		return fmt.Errorf("%w, not %d", ErrPriority, p)
	}
	return nil
}

// RecoveryPriority returns the snapshot's priority, DefaultPriority when it
// has none (or one a reader does not know).
func (s *Snapshot) RecoveryPriority() int {
	if s.Priority < PriorityCritical || s.Priority > PriorityLow {
		return DefaultPriority
	}
	return s.Priority
}
