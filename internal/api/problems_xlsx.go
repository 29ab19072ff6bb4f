package api

// registerProblemFiles mounts the ledger's spreadsheet endpoints
// (export.xlsx, import). Placeholder so the package builds until they land.
func (s *server) registerProblemFiles(authed func(string, handlerFunc)) {}
