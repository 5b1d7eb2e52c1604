package repo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/storage"
)

// SlotLimits bounds the Argon2id cost Open accepts from the key slots it
// finds, so that a hostile or broken site cannot make opening a
// repository take unbounded time or memory by planting slots (docs/FORMAT.md
// §18.1). Slots over the limits are skipped, never run, and reported.
type SlotLimits struct {
	// MaxMemoryKiB is the most memory one slot may ask for.
	MaxMemoryKiB uint32
	// MaxWork bounds one slot's Time × MemoryKiB (KiB-passes).
	MaxWork uint64
	// MaxTotalWork bounds the sum of Time × MemoryKiB over the slots one
	// Open tries; slots beyond it are skipped.
	MaxTotalWork uint64
}

// DefaultSlotLimits returns the limits Open applies unless told otherwise:
// 256 MiB per slot, 3 passes over 256 MiB (four times the work of the
// default slot, crypto.DefaultArgon2Params), and sixteen such slots in
// all. Init and AddKey refuse costlier slots, which Open would skip.
func DefaultSlotLimits() SlotLimits {
	return SlotLimits{MaxMemoryKiB: 256 << 10, MaxWork: 3 * 256 << 10, MaxTotalWork: 16 * 3 * 256 << 10}
}

// allows returns an error wrapping ErrSlotLimit if p costs more than l
// accepts for one slot.
func (l SlotLimits) allows(p crypto.Argon2Params) error {
	if p.MemoryKiB > l.MaxMemoryKiB {
		return fmt.Errorf("%w: Argon2id memory %d MiB, more than the %d MiB accepted", ErrSlotLimit, p.MemoryKiB>>10, l.MaxMemoryKiB>>10)
	}
	if w := slotWork(p); w > l.MaxWork {
		return fmt.Errorf("%w: Argon2id work %d passes × %d MiB, more than the %d MiB-passes accepted", ErrSlotLimit, p.Time, p.MemoryKiB>>10, l.MaxWork>>10)
	}
	return nil
}

func slotWork(p crypto.Argon2Params) uint64 { return uint64(p.Time) * uint64(p.MemoryKiB) }

// OpenOption configures Open.
type OpenOption func(*openOptions)

type openOptions struct {
	limits       SlotLimits
	rollbackDir  string
	noIndex      bool // WithoutIndex
	index        []func(*indexConfig)
	afterUnlock  func() // WithAfterUnlock
	beforeUnlock func() // WithBeforeUnlock
}

// WithAfterUnlock calls f once the password has opened a key slot, before
// Open reads anything else. Argon2id's memory (64 MiB by default) is
// garbage then: a program that watches its peak memory can collect it
// there (f = runtime.GC), so that the index read next reuses it instead
// of growing the heap past it. Open itself never forces a collection: in
// a large host program that would be a full, blocking one.
func WithAfterUnlock(f func()) OpenOption {
	return func(o *openOptions) { o.afterUnlock = f }
}

// WithBeforeUnlock calls f right before the password's key derivation
// (Argon2id, 64 MiB by default) starts, after the key slots and the
// config are read: a program that watches its peak memory can shed what
// it no longer needs there, since the derivation's memory sets the peak
// of a small command.
func WithBeforeUnlock(f func()) OpenOption {
	return func(o *openOptions) { o.beforeUnlock = f }
}

// WithSlotLimits replaces DefaultSlotLimits, for a repository whose slots
// were made with a higher Argon2id cost by another tool or build.
func WithSlotLimits(l SlotLimits) OpenOption {
	return func(o *openOptions) { o.limits = l }
}

// storedSlot is one key slot as read from the repository.
type storedSlot struct {
	name string
	slot crypto.PasswordSlot
}

// readSlots reads and parses every key slot. Slots that cannot be read,
// do not parse, or ask for more than limits are returned as problems.
func readSlots(ctx context.Context, store *storage.Store, names []string, limits SlotLimits) ([]storedSlot, []error) {
	var (
		slots    []storedSlot
		problems []error
	)
	for _, name := range names {
		b, _, err := store.Get(ctx, name, storage.MaxSize(maxKeySlotObject))
		if err != nil {
			problems = append(problems, fmt.Errorf("%w: key slot %s: %w", ErrMalformed, name, err))
			continue
		}
		s := storedSlot{name: name}
		if err := s.slot.UnmarshalBinary(b); err != nil {
			problems = append(problems, slotDecodeError(name, err))
			continue
		}
		if err := limits.allows(s.slot.Params); err != nil {
			problems = append(problems, fmt.Errorf("key slot %s: %w", name, err))
			continue
		}
		slots = append(slots, s)
	}
	// Cheap slots first: a planted costly slot is tried only when every
	// cheaper one failed.
	slices.SortStableFunc(slots, func(a, b storedSlot) int {
		return cmp.Or(cmp.Compare(slotWork(a.slot.Params), slotWork(b.slot.Params)), cmp.Compare(a.name, b.name))
	})
	return slots, problems
}

// slotDecodeError classes a slot that does not decode: a newer version or
// KDF is unsupported, anything else is damage.
func slotDecodeError(name string, err error) error {
	if errors.Is(err, crypto.ErrUnsupported) {
		return fmt.Errorf("%w: key slot %s: %w", ErrUnsupported, name, err)
	}
	return fmt.Errorf("%w: key slot %s: %w", ErrMalformed, name, err)
}

// unlock tries password on the slots, cheapest first, and returns the
// first key bundle whose keys authenticate the config (accept). A slot
// that opens but whose keys do not authenticate the config (a slot copied
// from another repository with the same password) is passed over.
//
// When no slot opens, the error is ErrWrongPassword only if every slot was
// tried and refused the password; otherwise it wraps the reasons the other
// slots could not be tried (ErrMalformed, ErrUnsupported, ErrSlotLimit),
// so a damaged slot is never reported as a wrong password.
func unlock(slots []storedSlot, problems []error, password []byte, limits SlotLimits, accept func(b *keyBundle) error, opened func(name string)) (*keyBundle, error) {
	var (
		work    uint64
		refused int
	)
	for _, s := range slots {
		w := slotWork(s.slot.Params)
		if work+w > limits.MaxTotalWork {
			problems = append(problems, fmt.Errorf("key slot %s: %w: the slots tried before it used all the Argon2id work allowed for one open", s.name, ErrSlotLimit))
			continue
		}
		work += w
		payload, err := s.slot.Open(password)
		if errors.Is(err, crypto.ErrWrongPassword) {
			refused++
			continue
		}
		if err != nil {
			problems = append(problems, slotDecodeError(s.name, err))
			continue
		}
		b, err := decodeBundle(payload)
		clear(payload)
		if err != nil {
			problems = append(problems, fmt.Errorf("key slot %s: %w", s.name, err))
			continue
		}
		if err := accept(b); err != nil {
			b.wipe()
			problems = append(problems, fmt.Errorf("key slot %s: %w", s.name, err))
			continue
		}
		opened(s.name)
		return b, nil
	}
	if len(problems) == 0 {
		return nil, ErrWrongPassword
	}
	return nil, fmt.Errorf("no key slot opens with this password (%d refused it) and %d could not be used: %w", refused, len(problems), errors.Join(problems...))
}
