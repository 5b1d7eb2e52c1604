package drill

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/custodia-backup/custodia/repo"
)

// AuditOp is the operation of a drill's entry in the repository's audit
// log.
const AuditOp = "drill"

// auditEntry is the drill's entry in the audit log: what was restored,
// the outcome and the RTO verdict. It holds no secret: names, IDs, times
// and counts.
func (r *Report) auditEntry() repo.AuditEntry {
	items := make([]string, len(r.Items))
	for i, it := range r.Items {
		items[i] = it.Kind + " " + it.Name + " @" + short(it.Snapshot)
	}
	args := map[string]string{
		"drill":    r.ID,
		"verdict":  r.Verdict(),
		"items":    strings.Join(items, "; "),
		"duration": r.Duration.String(),
		"bytes":    strconv.FormatUint(r.Bytes, 10),
		"records":  strconv.FormatUint(r.Records, 10),
	}
	switch {
	case r.RTO == 0:
		args["rto_verdict"] = "none set"
	case r.WithinRTO:
		args["rto"], args["rto_verdict"] = r.RTO.String(), "met"
	default:
		args["rto"], args["rto_verdict"] = r.RTO.String(), "missed"
	}
	if v := r.SourceVerdict; v != "" {
		args["source"] = v
	}
	outcome := "ok"
	switch {
	case !r.Passed:
		outcome = "failed: check failed: " + strings.Join(r.Failed(), "; ")
	case !r.WithinRTO:
		outcome = fmt.Sprintf("failed: slower than the RTO (%s > %s)", fmtDur(r.Duration), fmtDur(r.RTO))
	}
	return repo.AuditEntry{Time: r.Started.Add(r.Duration).UTC(), Op: AuditOp, Args: args, Outcome: outcome}
}
