package auth

// AuditQueueLen reports the audit rows waiting for their group commit, for metrics.
func (s *Service) AuditQueueLen() int {
	if s.auditor == nil {
		return 0
	}
	return len(s.auditor.queue)
}
