package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
)

// unitBody is a unit as the API shows it.
type unitBody struct {
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	ParentCode *string `json:"parent_code"` // null for the top unit
	Kind       string  `json:"kind"`
	Depth      int     `json:"depth"`
	Closed     bool    `json:"closed"`
	ClosedAt   *int64  `json:"closed_at"`
	Children   int     `json:"children"`
	CreatedAt  int64   `json:"created_at"`
}

func unitView(u org.Unit) unitBody {
	b := unitBody{Code: u.Code, Name: u.Name, Kind: u.Kind, Depth: u.Depth, Closed: u.Closed,
		Children: u.Children, CreatedAt: u.CreatedAt}
	if u.ParentCode != "" {
		pc := u.ParentCode
		b.ParentCode = &pc
	}
	if u.Closed {
		at := u.ClosedAt
		b.ClosedAt = &at
	}
	return b
}

// withChildren fills the count of open sub-units, which single-unit lookups
// do not compute (the list query does).
func (s *server) withChildren(r *http.Request, p *org.Principal, u org.Unit) (unitBody, error) {
	_, n, err := org.ListUnits(r.Context(), s.DB, p, org.UnitFilter{ParentCode: u.Code, Limit: 1})
	if err != nil {
		return unitBody{}, err
	}
	u.Children = n
	return unitView(u), nil
}

func unitLocation(code string) string { return Prefix + "/units/" + url.PathEscape(code) }

func (s *server) listUnits(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	pg, err := parsePage(r)
	if err != nil {
		return err
	}
	closed, err := parseBool(r, "include_closed")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	units, total, err := org.ListUnits(r.Context(), s.DB, p, org.UnitFilter{
		ParentCode: q.Get("parent_code"), Under: q.Get("under"), Q: q.Get("q"), IncludeClosed: closed,
		Offset: pg.offset(), Limit: pg.PerPage})
	if err != nil {
		return err
	}
	items := make([]unitBody, 0, len(units))
	for _, u := range units {
		items = append(items, unitView(u))
	}
	writeList(w, items, total, pg)
	return nil
}

func (s *server) createUnit(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	in, err := readJSON[unitCreateRequest](w, r)
	if err != nil {
		return err
	}
	if in.ParentCode == "" {
		// roots exist only from bootstrap: through the API a unit always has a parent
		return apperr.Invalidf("parent_code", "err.unit.parent_required")
	}
	u, err := org.CreateUnit(r.Context(), s.DB, p, org.UnitInput{Code: in.Code, Name: in.Name, Kind: in.Kind, ParentCode: in.ParentCode})
	if err != nil {
		return err
	}
	w.Header().Set("Location", unitLocation(u.Code))
	writeJSON(w, http.StatusCreated, unitView(u))
	return nil
}

func (s *server) getUnit(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	u, err := org.GetUnit(r.Context(), s.DB, p, r.PathValue("code"))
	if err != nil {
		return err
	}
	b, err := s.withChildren(r, p, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

// patchUnit renames and/or moves a unit. The move runs first: it is the step
// that can fail on input, and the name is checked before anything is written,
// so a refused request changes nothing.
func (s *server) patchUnit(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	in, err := readJSON[unitPatchRequest](w, r)
	if err != nil {
		return err
	}
	if in.Name == nil && in.ParentCode == nil {
		return apperr.Invalidf("", "err.api.patch_empty")
	}
	code := r.PathValue("code")
	ctx := r.Context()
	if in.Name != nil {
		// the same checks RenameUnit makes, before the move commits
		check := org.UnitInput{Code: "x", Name: *in.Name}
		if err := org.ValidateUnitInput(&check); err != nil {
			return err
		}
	}
	var u org.Unit
	if in.ParentCode != nil {
		if u, err = org.MoveUnit(ctx, s.DB, p, code, *in.ParentCode); err != nil {
			return err
		}
	}
	if in.Name != nil {
		if u, err = org.RenameUnit(ctx, s.DB, p, code, *in.Name); err != nil {
			return err
		}
	}
	b, err := s.withChildren(r, p, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *server) closeUnit(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	u, err := org.CloseUnit(r.Context(), s.DB, p, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, unitView(u))
	return nil
}

// maxSheet bounds an uploaded spreadsheet (the parser reads at most this much).
const maxSheet = 20 << 20

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// importUnits creates every unit of an .xlsx sheet, or none: 422 lists the bad rows.
func (s *server) importUnits(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	data, err := readSheet(w, r)
	if err != nil {
		return err
	}
	rows, lines, err := org.ParseUnitSheet(bytes.NewReader(data))
	if err != nil {
		return err
	}
	n, err := org.ImportUnits(r.Context(), s.DB, p, rows, lines)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"created": n})
	return nil
}

// readSheet returns the uploaded file: the whole body, or the multipart field "file".
func readSheet(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mt = ""
	}
	body := http.MaxBytesReader(w, r.Body, maxSheet+1<<20) // room for multipart framing
	var src io.Reader
	switch mt {
	case xlsxType:
		src = body
	case "multipart/form-data":
		r.Body = body
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, apperr.Invalidf("file", "err.import.file")
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				if tooLarge(err) {
					return nil, apperr.New(apperr.Invalid, codeTooLarge, "file", "err.api.file_too_large", maxSheet>>20)
				}
				return nil, apperr.Invalidf("file", "err.api.file_missing")
			}
			if part.FormName() == "file" {
				src = part
				break
			}
			part.Close()
		}
	default:
		return nil, apperr.New(apperr.Invalid, codeMediaType, "", "err.api.import_content_type")
	}
	data, err := io.ReadAll(io.LimitReader(src, maxSheet+1))
	if tooLarge(err) || len(data) > maxSheet {
		return nil, apperr.New(apperr.Invalid, codeTooLarge, "file", "err.api.file_too_large", maxSheet>>20)
	}
	if err != nil {
		return nil, apperr.Invalidf("file", "err.import.file")
	}
	return data, nil
}

func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
