package extsort

import "sync/atomic"

// Budget is memory that sorters share: each sorter made with Shared takes
// as its limit what the budget has free when it is made, and counts in the
// budget what it holds (pairs in its buffer, the read buffers of its
// merges) until it lets it go. Sorters that fill at the same time must not
// share a budget (the first one made may take it all); the use is one
// sorter that is filled, then Finish'ed, and read out while another is
// filled: the second gets what the first's merge leaves.
type Budget struct {
	total int
	used  atomic.Int64
	peak  atomic.Int64
}

// NewBudget returns a budget of total bytes (DefaultMemory if total ≤ 0).
func NewBudget(total int) *Budget {
	if total <= 0 {
		total = DefaultMemory
	}
	return &Budget{total: total}
}

// Total is the budget's size in bytes.
func (b *Budget) Total() int { return b.total }

// Free is what the sorters sharing the budget do not hold now.
func (b *Budget) Free() int { return b.total - int(b.used.Load()) }

// Peak is the most the sorters sharing the budget held together.
func (b *Budget) Peak() int { return int(b.peak.Load()) }

// take counts n more bytes held.
func (b *Budget) take(n int) {
	u := b.used.Add(int64(n))
	for {
		p := b.peak.Load()
		if u <= p || b.peak.CompareAndSwap(p, u) {
			return
		}
	}
}

// give counts n bytes let go.
func (b *Budget) give(n int) { b.used.Add(-int64(n)) }

// minShared is the least memory a sorter made with Shared gets, were the
// budget spent: below 1 MiB in all, the merge of a sorter made before may
// hold more than a quarter of it (maxFanIn read buffers of minRunBuffer).
const minShared = 16 << 10

// Shared makes the sorter take its limit from b and count in b what it
// holds: its memory is what b has free when it is made (at most the
// memory given to New, if more than 0; at least minShared).
func Shared(b *Budget) Option { return func(s *Sorter) { s.budget = b } }
