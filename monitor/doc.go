// Package monitor answers what a monitoring system asks of a repository:
// is the newest backup of every group recent enough (the recovery point
// objective), and can every site be reached.
//
// [Check] reads the repository's snapshots (it needs the read capability)
// and returns a [Report]: one [GroupStatus] per group of snapshots — a
// table, a tag the caller asked about, or else one host and set of paths —
// with the newest snapshot's time, age and summary, and whether it is
// overdue against the maximum age; and one [SiteStatus] per site. A cron
// job or a Nagios-style check runs it and alerts when [Report.Healthy] is
// false; the subpackage prom exposes the same report to Prometheus.
//
// [Events] carries the structured events of the library's operations
// (start, progress, warning, finish, error, with counts, durations and
// site health) to a host's handler, one at a time and in order; the
// custodia package's WithEvents option turns them on, and [LogEvents]
// writes them to a log/slog Logger (JSON lines with slog.NewJSONHandler).
//
// The package knows nothing of how backups are made: it looks only at
// what the repository holds. A backup that failed leaves no snapshot, so
// it shows here as a group growing overdue.
package monitor
