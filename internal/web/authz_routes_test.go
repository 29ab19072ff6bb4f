package web_test

import (
	"net/url"
	"strings"
)

// authzRule is one route's entry in the authorization matrix.
type authzRule struct {
	// allow: who may use the route inside their scope: role names separated
	// by spaces, or public (anyone, signed in or not), staff (every signed-in
	// person), root (only an administrator of the whole tree), none.
	allow string
	// scoped: the route is refused when its ids or units lie outside the
	// asker's scope (the other side of the fixture).
	scoped bool
	// variants are the values sent for {action}.
	variants []string
	// notFound: the fixture's record is not one this route serves (a project
	// that is not public): every asker gets 404.
	notFound bool
	// weak says why a valid request cannot be made here (a body the matrix
	// does not build, a record in the wrong state): an allowed asker may then
	// get any answer but 401 and 5xx, a refused one 400, 403, 404, 409, 415
	// or 422; the refusal still changes nothing and shows nothing.
	weak string
	// fresh: the request is sent from a new session of the asker (it may end
	// the session: signing out, changing the password).
	fresh bool
	// skip says why the matrix does not send the route (never empty when set).
	skip string
}

// authzMatrix has one entry per route of the router (TestAuthorizationMatrixEveryRoute
// fails for a route without one).
var authzMatrix = map[string]authzRule{
	"GET /healthz":                                     {allow: "public"},
	"GET /metrics":                                     {allow: "public"},
	"GET /static/":                                     {allow: "public"},
	"GET /login":                                       {allow: "public"},
	"GET /login/totp":                                  {allow: "public"},
	"GET /login/totp/setup":                            {allow: "public"},
	"GET /lang":                                        {allow: "public"},
	"GET /{$}":                                         {allow: "staff"},
	"GET /units":                                       {allow: "staff"},
	"GET /units/new":                                   {allow: "admin"},
	"GET /units/picker":                                {allow: "staff"},
	"GET /units/import":                                {allow: "admin"},
	"GET /units/import/template.xlsx":                  {allow: "staff"},
	"GET /units/{code}":                                {allow: "admin leader deputy handler inspector discipline", scoped: true},
	"GET /units/{code}/children":                       {allow: "admin leader deputy handler inspector discipline", scoped: true},
	"GET /users":                                       {allow: "staff"},
	"GET /users/new":                                   {allow: "admin"},
	"GET /users/{username}":                            {allow: "admin inspector", scoped: true},
	"GET /problems":                                    {allow: "staff"},
	"GET /problems/new":                                {allow: "leader deputy handler inspector"},
	"GET /problems/people":                             {allow: "staff"},
	"GET /problems/{id}":                               {allow: "leader deputy handler inspector discipline", scoped: true},
	"GET /problems/{id}/edit":                          {allow: "leader deputy handler inspector discipline", scoped: true},
	"GET /problems/{id}/notice":                        {allow: "leader deputy handler inspector discipline", scoped: true},
	"GET /problems/{id}/files/{aid}":                   {allow: "leader deputy handler inspector discipline", scoped: true},
	"GET /problems/import":                             {allow: "leader deputy handler inspector"},
	"GET /dashboard":                                   {allow: "staff"},
	"GET /report":                                      {allow: "public"},
	"GET /report/units":                                {allow: "public"},
	"GET /report/lookup":                               {allow: "public"},
	"GET /transparency":                                {allow: "public"},
	"GET /clues":                                       {allow: "discipline"},
	"GET /clues/{id}":                                  {allow: "discipline", scoped: true},
	"GET /clues/{id}/files/{fid}":                      {allow: "discipline", scoped: true},
	"GET /self-report":                                 {allow: "staff"},
	"GET /ratings":                                     {allow: "leader deputy handler inspector discipline"},
	"GET /ratings/{id}":                                {allow: "leader deputy handler inspector discipline", scoped: true},
	"GET /search":                                      {allow: "staff"},
	"GET /hot-issues":                                  {allow: "discipline"},
	"GET /hot-issues/top":                              {allow: "discipline"},
	"GET /projects":                                    {allow: "public"},
	"GET /projects/{id}":                               {allow: "public", notFound: true},
	"GET /projects/{id}/qr.png":                        {allow: "public", notFound: true},
	"GET /projects/{id}/poster":                        {allow: "public", notFound: true},
	"GET /projects/{id}/photos/{aid}":                  {allow: "public", notFound: true},
	"GET /staff/projects":                              {allow: "leader deputy handler inspector discipline"},
	"GET /staff/projects/new":                          {allow: "leader deputy handler inspector"},
	"GET /staff/projects/{id}":                         {allow: "leader deputy handler inspector discipline", scoped: true},
	"GET /staff/projects/{id}/files/{aid}":             {allow: "leader deputy handler inspector discipline", scoped: true},
	"GET /needs":                                       {allow: "public"},
	"GET /needs/new":                                   {allow: "public"},
	"GET /needs/follow":                                {allow: "public"},
	"GET /needs/{id}":                                  {allow: "public"},
	"GET /staff/needs":                                 {allow: "leader deputy handler inspector discipline"},
	"GET /staff/needs/{id}":                            {allow: "leader deputy handler inspector discipline", scoped: true},
	"GET /study":                                       {allow: "staff"},
	"GET /study/new":                                   {allow: "admin leader deputy"},
	"GET /study/{id}":                                  {allow: "staff", scoped: true},
	"GET /study/{id}/files/{aid}":                      {allow: "staff", scoped: true},
	"GET /study/reflections/{id}":                      {allow: "leader deputy handler inspector discipline officer", scoped: true},
	"GET /study/corpus":                                {allow: "admin"},
	"GET /settings/notifications":                      {allow: "root"},
	"GET /scorecards":                                  {allow: "admin leader deputy handler inspector discipline"},
	"GET /scorecards/print":                            {allow: "admin leader deputy handler inspector discipline"},
	"GET /scorecards/export.xlsx":                      {allow: "admin leader deputy handler inspector discipline"},
	"GET /scorecards/formula":                          {allow: "admin leader deputy handler inspector discipline"},
	"GET /warnings":                                    {allow: "admin leader deputy handler inspector discipline"},
	"GET /account":                                     {allow: "staff"},
	"GET /account/password":                            {allow: "staff"},
	"GET /audit":                                       {allow: "admin inspector discipline"},
	"GET /settings":                                    {allow: "root"},
	"/":                                                {allow: "public"},
	"GET /api/v1/me":                                   {allow: "staff"},
	"GET /api/v1/units":                                {allow: "staff"},
	"GET /api/v1/units/{code}":                         {allow: "admin leader deputy handler inspector discipline", scoped: true},
	"GET /api/v1/users":                                {allow: "staff"},
	"GET /api/v1/users/{username}":                     {allow: "admin inspector", scoped: true},
	"GET /api/v1/audit":                                {allow: "admin inspector discipline"},
	"GET /api/v1/problems":                             {allow: "staff"},
	"GET /api/v1/problems/{id}":                        {allow: "leader deputy handler inspector discipline", scoped: true},
	"GET /api/v1/problems/{id}/events":                 {allow: "leader deputy handler inspector discipline", scoped: true},
	"GET /api/v1/problems/{id}/attachments/{aid}":      {allow: "leader deputy handler inspector discipline", scoped: true},
	"GET /api/v1/problems/export.xlsx":                 {allow: "staff"},
	"GET /api/v1/clues":                                {allow: "staff"},
	"GET /api/v1/clues/{id}":                           {allow: "discipline", scoped: true},
	"GET /api/v1/clues/{id}/similar":                   {allow: "discipline", scoped: true},
	"GET /api/v1/problems/dashboard":                   {allow: "staff"},
	"GET /api/v1/ratings":                              {allow: "staff"},
	"GET /api/v1/ratings/metrics":                      {allow: "staff"},
	"GET /api/v1/ratings/{id}":                         {allow: "leader deputy handler inspector discipline", scoped: true},
	"GET /api/v1/public/projects":                      {allow: "public"},
	"GET /api/v1/projects":                             {allow: "staff"},
	"GET /api/v1/projects/{id}":                        {allow: "leader deputy handler inspector discipline", scoped: true},
	"GET /api/v1/public/pledges":                       {allow: "public"},
	"GET /api/v1/pledges":                              {allow: "staff"},
	"GET /api/v1/public/needs":                         {allow: "public"},
	"GET /api/v1/public/needs/{id}":                    {allow: "public"},
	"GET /api/v1/needs":                                {allow: "staff"},
	"GET /api/v1/needs/{id}":                           {allow: "leader deputy handler inspector discipline", scoped: true},
	"GET /api/v1/scorecards":                           {allow: "admin leader deputy handler inspector discipline", weak: "needs a unit and a period"},
	"GET /api/v1/warnings":                             {allow: "admin leader deputy handler inspector discipline", weak: "needs a unit and a period"},
	"GET /api/v1/study/tasks":                          {allow: "staff"},
	"GET /api/v1/study/tasks/{id}":                     {allow: "staff", scoped: true},
	"GET /api/v1/study/reflections/{id}":               {allow: "leader deputy handler inspector discipline officer", scoped: true},
	"GET /api/v1/search":                               {allow: "staff"},
	"GET /api/v1/hot-issues":                           {allow: "staff"},
	"GET /api/v1/clues/{id}/routing":                   {allow: "discipline", scoped: true},
	"GET /api/v1/tokens":                               {allow: "staff"},
	"GET /api/v1/openapi.json":                         {allow: "public"},
	"GET /api/v1/":                                     {allow: "public", notFound: true},
	"POST /login":                                      {allow: "public", weak: "wrong credentials"},
	"POST /login/totp":                                 {allow: "public", weak: "no half-signed-in session"},
	"POST /login/totp/setup":                           {allow: "public", weak: "no half-signed-in session"},
	"POST /logout":                                     {allow: "public", fresh: true},
	"POST /units":                                      {allow: "admin", weak: "the form is checked before the parent's scope"},
	"POST /units/import":                               {allow: "admin"},
	"POST /units/{code}/rename":                        {allow: "admin", scoped: true},
	"POST /units/{code}/move":                          {allow: "admin", scoped: true},
	"POST /units/{code}/close":                         {allow: "admin", scoped: true, weak: "a unit with people cannot close"},
	"POST /users":                                      {allow: "admin", weak: "the form is checked before the unit's scope"},
	"POST /users/{username}":                           {allow: "admin", scoped: true},
	"POST /users/{username}/reset-password":            {allow: "admin", scoped: true},
	"POST /users/{username}/totp/reset":                {allow: "admin", scoped: true},
	"POST /problems":                                   {allow: "leader deputy handler inspector", weak: "a unit the asker may not write is unknown (400), as one that does not exist"},
	"POST /problems/filters":                           {allow: "staff"},
	"POST /problems/filters/{fid}/delete":              {allow: "staff"},
	"POST /problems/{id}/edit":                         {allow: "leader deputy handler inspector", scoped: true, weak: "the matrix's body or the record's state stops it before or beside the permission check"},
	"POST /problems/{id}/submit":                       {allow: "leader deputy handler inspector", scoped: true, weak: "the matrix's body or the record's state stops it before or beside the permission check"},
	"POST /problems/{id}/progress":                     {allow: "leader deputy handler inspector", scoped: true},
	"POST /problems/{id}/close":                        {allow: "leader deputy handler inspector", scoped: true, weak: "the matrix's body or the record's state stops it before or beside the permission check"},
	"POST /problems/{id}/verify":                       {allow: "inspector", scoped: true, weak: "the matrix's body or the record's state stops it before or beside the permission check"},
	"POST /problems/{id}/review":                       {allow: "inspector", scoped: true, weak: "the matrix's body or the record's state stops it before or beside the permission check"},
	"POST /problems/{id}/extension":                    {allow: "leader deputy handler inspector", scoped: true, weak: "the matrix's body or the record's state stops it before or beside the permission check"},
	"POST /problems/{id}/extension/decide":             {allow: "leader deputy", scoped: true, weak: "the matrix's body or the record's state stops it before or beside the permission check"},
	"POST /problems/{id}/supervise":                    {allow: "inspector", scoped: true, weak: "the matrix's body or the record's state stops it before or beside the permission check"},
	"POST /problems/{id}/unsupervise":                  {allow: "inspector", scoped: true, weak: "the matrix's body or the record's state stops it before or beside the permission check"},
	"POST /problems/import/preview":                    {allow: "leader deputy handler inspector"},
	"POST /problems/import":                            {allow: "leader deputy handler inspector"},
	"POST /report":                                     {allow: "public", weak: "a multipart form"},
	"POST /report/slip":                                {allow: "public", weak: "receipt and key"},
	"POST /report/lookup":                              {allow: "public", weak: "receipt and key"},
	"POST /report/followup":                            {allow: "public", weak: "receipt and key"},
	"POST /report/file":                                {allow: "public", weak: "receipt and key"},
	"POST /clues/{id}/{action}":                        {allow: "discipline", scoped: true, variants: []string{"message", "identity", "register"}},
	"POST /clues/{id}/reply-check":                     {allow: "discipline", scoped: true},
	"POST /settings/report-timers":                     {allow: "root", weak: "the timers' fields"},
	"POST /self-report":                                {allow: "staff", weak: "a multipart form"},
	"POST /report/rate":                                {allow: "public", weak: "receipt and key"},
	"POST /ratings":                                    {allow: "leader deputy handler inspector", weak: "needs a receipt"},
	"POST /ratings/{id}/{action}":                      {allow: "leader deputy handler inspector", scoped: true, variants: []string{"visit", "appeal", "decide"}, weak: "the matrix's body or the record's state stops it before or beside the permission check"},
	"POST /projects/{id}/rate":                         {allow: "public", notFound: true},
	"POST /staff/projects":                             {allow: "leader deputy handler inspector", weak: "a unit the asker may not write is unknown (400)"},
	"POST /staff/projects/{id}/{action}":               {allow: "leader deputy handler inspector", scoped: true, variants: []string{"milestone", "advance"}, weak: "the matrix's body or the record's state stops it before or beside the permission check"},
	"POST /staff/pledges":                              {allow: "leader deputy handler inspector", weak: "a unit the asker may not write is unknown (400)"},
	"POST /staff/pledges/{id}/kept":                    {allow: "leader deputy handler inspector", scoped: true, weak: "needs an evidence file"},
	"POST /needs":                                      {allow: "public", weak: "the form"},
	"POST /needs/follow":                               {allow: "public", weak: "receipt and key"},
	"POST /needs/{id}/vote":                            {allow: "public", weak: "a signed form token"},
	"POST /staff/needs/{id}/decline":                   {allow: "leader deputy handler inspector", scoped: true},
	"POST /study":                                      {allow: "admin leader deputy", weak: "a multipart form; a unit out of reach is unknown"},
	"POST /study/{id}/reflections":                     {allow: "leader deputy handler discipline officer", scoped: true},
	"POST /study/reflections/{id}/review":              {allow: "inspector", scoped: true, weak: "the matrix's body or the record's state stops it before or beside the permission check"},
	"POST /study/corpus":                               {allow: "root", weak: "a multipart form"},
	"POST /study/corpus/{id}/withdraw":                 {allow: "root", weak: "no corpus entry"},
	"POST /study/settings":                             {allow: "root", weak: "the settings' fields"},
	"POST /units/{code}/robots":                        {allow: "admin", scoped: true},
	"POST /units/{code}/robots/{id}/delete":            {allow: "admin", scoped: true, weak: "root finds it deleted by a-admin"},
	"POST /units/{code}/robots/{id}/test":              {allow: "admin", scoped: true, weak: "the robot was deleted before"},
	"POST /users/{username}/email":                     {allow: "admin", scoped: true},
	"POST /account/email":                              {allow: "staff"},
	"POST /scorecards/publish":                         {allow: "root"},
	"POST /scorecards/recompute":                       {allow: "root"},
	"POST /scorecards/formula":                         {allow: "root", weak: "the formula's fields"},
	"POST /warnings/dismiss":                           {allow: "admin leader deputy handler inspector discipline", weak: "no warning to dismiss"},
	"POST /warnings/thresholds":                        {allow: "root", weak: "the thresholds' fields"},
	"POST /account/password":                           {allow: "staff", fresh: true, weak: "the current password is checked"},
	"POST /account/totp/disable":                       {allow: "staff"},
	"POST /account/tokens":                             {allow: "staff"},
	"POST /account/tokens/{id}/revoke":                 {allow: "officer", scoped: true},
	"POST /audit/verify":                               {allow: "root"},
	"POST /settings/totp-roles":                        {allow: "root"},
	"POST /settings/ledger-rules":                      {allow: "root", weak: "the rules' fields"},
	"POST /api/v1/units":                               {allow: "admin", weak: "a JSON body"},
	"POST /api/v1/units/import":                        {allow: "admin", weak: "an xlsx body"},
	"PATCH /api/v1/units/{code}":                       {allow: "admin", scoped: true, weak: "a JSON body"},
	"POST /api/v1/units/{code}/close":                  {allow: "admin", scoped: true, weak: "a unit with people cannot close"},
	"POST /api/v1/users":                               {allow: "admin", weak: "a JSON body"},
	"PATCH /api/v1/users/{username}":                   {allow: "admin", scoped: true, weak: "a JSON body"},
	"POST /api/v1/users/{username}/reset-password":     {allow: "admin", scoped: true},
	"POST /api/v1/problems":                            {allow: "leader deputy handler inspector", weak: "a JSON body"},
	"PATCH /api/v1/problems/{id}":                      {allow: "leader deputy handler inspector", scoped: true, weak: "the state is checked before the permission: discipline, who reads the item, gets 409"},
	"POST /api/v1/problems/{id}/submit":                {allow: "leader deputy handler inspector", scoped: true, weak: "the matrix's body or the record's state stops it before or beside the permission check"},
	"POST /api/v1/problems/{id}/progress":              {allow: "leader deputy handler inspector", scoped: true, weak: "the state is checked before the permission: discipline, who reads the item, gets 409"},
	"POST /api/v1/problems/{id}/close":                 {allow: "leader deputy handler inspector", scoped: true, weak: "a JSON body"},
	"POST /api/v1/problems/{id}/verify":                {allow: "inspector", scoped: true, weak: "a JSON body"},
	"POST /api/v1/problems/{id}/review":                {allow: "inspector", scoped: true, weak: "a JSON body"},
	"POST /api/v1/problems/{id}/extension":             {allow: "leader deputy handler inspector", scoped: true, weak: "a JSON body"},
	"POST /api/v1/problems/{id}/extension/decide":      {allow: "leader deputy", scoped: true, weak: "a JSON body"},
	"POST /api/v1/problems/{id}/supervise":             {allow: "inspector", scoped: true, weak: "a JSON body"},
	"POST /api/v1/problems/import":                     {allow: "leader deputy handler inspector", weak: "an xlsx body"},
	"POST /api/v1/public/reports":                      {allow: "public", weak: "a JSON body"},
	"POST /api/v1/public/reports/lookup":               {allow: "public", weak: "receipt and key"},
	"POST /api/v1/clues/{id}/register":                 {allow: "discipline", scoped: true},
	"POST /api/v1/clues/{id}/assign":                   {allow: "discipline", scoped: true},
	"POST /api/v1/clues/{id}/reply-check":              {allow: "discipline", scoped: true},
	"POST /api/v1/clues/{id}/identity":                 {allow: "discipline", scoped: true},
	"POST /api/v1/clues/{id}/conclude":                 {allow: "discipline", scoped: true},
	"POST /api/v1/public/ratings":                      {allow: "public", weak: "a JSON body"},
	"POST /api/v1/ratings":                             {allow: "leader deputy handler inspector", weak: "a JSON body"},
	"POST /api/v1/ratings/{id}/visit":                  {allow: "leader deputy handler inspector", scoped: true, weak: "a JSON body"},
	"POST /api/v1/ratings/{id}/appeal":                 {allow: "leader deputy handler inspector", scoped: true, weak: "a JSON body"},
	"POST /api/v1/ratings/{id}/appeal/decision":        {allow: "leader deputy handler inspector", scoped: true, weak: "a JSON body"},
	"POST /api/v1/projects":                            {allow: "leader deputy handler inspector", weak: "a JSON body"},
	"POST /api/v1/projects/{id}/milestones":            {allow: "leader deputy handler inspector", scoped: true, weak: "a JSON body"},
	"POST /api/v1/projects/{id}/milestones/{mid}/done": {allow: "leader deputy handler inspector", scoped: true, weak: "a multipart body"},
	"POST /api/v1/projects/{id}/advance":               {allow: "leader deputy handler inspector", scoped: true, weak: "the matrix's body or the record's state stops it before or beside the permission check"},
	"POST /api/v1/projects/{id}/evaluation":            {allow: "leader deputy handler inspector", scoped: true, weak: "a JSON body"},
	"POST /api/v1/pledges":                             {allow: "leader deputy handler inspector", weak: "a JSON body"},
	"POST /api/v1/pledges/{id}/kept":                   {allow: "leader deputy handler inspector", scoped: true, weak: "a multipart body"},
	"POST /api/v1/public/needs":                        {allow: "public", weak: "a JSON body"},
	"POST /api/v1/public/needs/{id}/votes":             {allow: "public", weak: "a JSON body"},
	"POST /api/v1/public/needs/follow":                 {allow: "public", weak: "a JSON body"},
	"POST /api/v1/needs/{id}/decline":                  {allow: "leader deputy handler inspector", scoped: true, weak: "a JSON body"},
	"POST /api/v1/warnings/dismissals":                 {allow: "admin leader deputy handler inspector discipline", weak: "no warning to dismiss"},
	"POST /api/v1/study/tasks":                         {allow: "admin leader deputy", weak: "a JSON body"},
	"POST /api/v1/study/tasks/{id}/reflections":        {allow: "leader deputy handler discipline officer", scoped: true, weak: "a JSON body"},
	"POST /api/v1/routing/train":                       {allow: "admin discipline"},
	"POST /api/v1/tokens":                              {allow: "staff"},
	"DELETE /api/v1/tokens/{id}":                       {allow: "officer", scoped: true, weak: "the token was revoked before"},
	"POST /api/v1/":                                    {allow: "public", notFound: true},
	"PUT /api/v1/":                                     {allow: "public", notFound: true},
	"PATCH /api/v1/":                                   {allow: "public", notFound: true},
	"DELETE /api/v1/":                                  {allow: "public", notFound: true},
}

// authzJSON are valid JSON bodies of API writes (the API decodes strictly:
// an unknown field is refused before anything else).
var authzJSON = map[string]string{
	"POST /api/v1/clues/{id}/identity":     `{"reason":"核实举报人身份"}`,
	"POST /api/v1/clues/{id}/reply-check":  `{"reply":"答复"}`,
	"POST /api/v1/clues/{id}/conclude":     `{"conclusion":"untrue","note":"经核实不属实"}`,
	"POST /api/v1/problems/{id}/progress":  `{"note":"进展","percent":60}`,
	"POST /api/v1/problems/{id}/extension": `{"deadline":"2099-12-31","reason":"需要更多时间"}`,
	"POST /api/v1/problems/{id}/supervise": `{"interval_days":7,"note":"挂牌督办"}`,
	"POST /api/v1/problems/{id}/verify":    `{"approve":true,"note":"核验"}`,
	"PATCH /api/v1/problems/{id}":          `{"title":"改后的标题"}`,
}

// authzBody is the body of a POST, PATCH or DELETE: valid, so the request
// would succeed if the asker were allowed.
func authzBody(f *authzFixture, route, variant, side string) (string, string) {
	s := side
	if s == "named" || s == "none" {
		s = "a"
	}
	ids := f.ids[s]
	if strings.Contains(route, " /api/") {
		if b, ok := authzJSON[route]; ok {
			return "application/json", b
		}
		return "application/json", `{}`
	}
	// one form for every page: each handler reads the fields it knows
	v := url.Values{
		"note": {"说明"}, "reason": {"理由"}, "unit_code": {s + "-court"}, "title": {"标题"}, "description": {"描述"},
		"source": {"citizen_report"}, "class": {"deadline"}, "severity": {"serious"}, "responsible": {s + "-handler"},
		"measures": {"措施"}, "deadline": {day(30)}, "action": {"open"}, "percent": {"50"}, "days": {"10"},
		"decision": {"approve"}, "verdict": {"pass"}, "result": {"pass"}, "conclusion": {"untrue"}, "method": {"verify"},
		"message": {"留言"}, "reply": {"答复"}, "answer": {"答复"}, "content": {"内容"}, "text": {ownReflection},
		"due": {"2027-03-31"}, "kind": {"dingtalk"}, "url": {"https://oapi.dingtalk.com/robot/send?access_token=x"},
		"secret": {"SEC1"}, "email": {"x@example.com"}, "name": {"名称"}, "level": {"3"}, "comment": {"意见"},
		"channel": {"phone"}, "milestone": {ids["milestone"]}, "weight": {"1"}, "what": {"节点"}, "leader": {s + "-leader"},
		"handler": {s + "-handler"}, "plan": {"方案"}, "start": {"2026-12-01"}, "end": {"2027-03-31"}, "area": {"worry"},
		"query": {"status=open"}, "period": {"2026"}, "into": {"JB-0000-000000"}, "code": {s + "-new"},
		"parent_code": {s}, "problem": {ids["problem"]},
	}
	return "application/x-www-form-urlencoded", v.Encode()
}
