package httpapi

func (s *Server) enrichmentRoutes() {}
