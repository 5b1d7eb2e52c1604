package backup

import "github.com/custodia-backup/custodia/internal/extsort"

// WithSortBudget makes a table backup's sorters share b, so that a test
// can read what they held together (b.Peak).
func WithSortBudget(b *extsort.Budget) TableOption {
	return func(o *tableOptions) { o.budget = b }
}
