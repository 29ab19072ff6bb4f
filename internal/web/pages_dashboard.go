package web

// registerDashboardPages mounts the 晴雨表 dashboard (placeholder until its
// pages land).
func (s *Server) registerDashboardPages() {}
