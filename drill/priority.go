package drill

import "github.com/custodia-backup/custodia/repo"

// priorityOf returns a snapshot's recovery priority (1 most critical).
func priorityOf(s *repo.Snapshot) int { return s.RecoveryPriority() }
