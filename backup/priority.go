package backup

// WithPriority records p as the snapshot's recovery priority, 1 (most
// critical: restored first) to 5 (repo.PriorityCritical..PriorityLow);
// without it the snapshot has repo.DefaultPriority. A value outside the
// range fails the backup with repo.ErrPriority before anything is read.
func WithPriority(p int) Option {
	return func(o *options) { o.priority = p }
}

// WithTablePriority is WithPriority for a table backup.
func WithTablePriority(p int) TableOption {
	return func(o *tableOptions) { o.priority = p }
}
