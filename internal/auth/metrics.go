package auth

// AuditQueueLen reports the audit rows waiting for their group commit, for metrics.
func (s *Service) AuditQueueLen() int {
	if s.auditor == nil {
		return 0
	}
	return len(s.auditor.queue)
}

// AuditCommits reports the audit batches committed (or spooled) since the start and the rows
// they held: rows / commits is the group commit's batch size.
func (s *Service) AuditCommits() (commits, rows int64) {
	if s.auditor == nil {
		return 0, 0
	}
	return s.auditor.commits.Load(), s.auditor.rows.Load()
}
