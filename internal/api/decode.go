package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
)

// maxBody bounds a JSON request body.
const maxBody = 1 << 20

// Request bodies. They are the API's own types (not the capability structs),
// so a field added to a capability struct cannot silently become writable.
type (
	unitCreateRequest struct {
		Code       string `json:"code"`
		Name       string `json:"name"`
		ParentCode string `json:"parent_code"`
		Kind       string `json:"kind"`
	}
	unitPatchRequest struct {
		Name       *string `json:"name"`
		ParentCode *string `json:"parent_code"`
	}
	roleGrant struct {
		Role      string `json:"role"`
		ScopeCode string `json:"scope_code"`
	}
	userCreateRequest struct {
		Username string      `json:"username"`
		Name     string      `json:"name"`
		UnitCode string      `json:"unit_code"`
		Roles    []roleGrant `json:"roles"`
		Password string      `json:"password"`
	}
	userPatchRequest struct {
		Name     *string      `json:"name"`
		UnitCode *string      `json:"unit_code"`
		Roles    *[]roleGrant `json:"roles"`
		Disabled *bool        `json:"disabled"`
	}
	passwordRequest struct {
		Password string `json:"password"`
	}
	tokenCreateRequest struct {
		Name string `json:"name"`
	}
)

// readJSON decodes the request body strictly into a T.
func readJSON[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	return decode[T](r.Header.Get("Content-Type"), http.MaxBytesReader(w, r.Body, maxBody))
}

// decode is the one strict decoder of every request body: the content type
// must be JSON, the body at most maxBody bytes and exactly one JSON object whose
// keys are the fields of T, spelled exactly, each at most once. Any failure is
// an *apperr.Error saying what is wrong and where.
func decode[T any](contentType string, body io.Reader) (T, error) {
	var v T
	if err := checkJSONType(contentType); err != nil {
		return v, err
	}
	data, err := io.ReadAll(io.LimitReader(body, maxBody+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(data) > maxBody {
		return v, apperr.New(apperr.Invalid, codeTooLarge, "", "err.json.too_large")
	}
	if err != nil {
		return v, apperr.New(apperr.Invalid, "bad_request", "", "err.bad_request")
	}
	start := bytes.TrimLeft(data, jsonSpace)
	if len(start) == 0 {
		return v, malformed("", msgArg{key: "err.api.json_empty"})
	}
	if start[0] != '{' {
		return v, malformed("", msgArg{key: "err.api.json_not_object"})
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		err = decodeError(err)
		if e := apperr.As(err); e != nil && e.Code == "unknown_field" {
			// the walk below names a nested field with its path (roles[0].x)
			if kerr := checkKeys(json.NewDecoder(bytes.NewReader(data)), reflect.TypeFor[T](), ""); kerr != nil {
				return v, kerr
			}
		}
		return v, err
	}
	if off := dec.InputOffset(); len(bytes.TrimLeft(data[off:], jsonSpace)) > 0 {
		return v, malformed("", msgArg{key: "err.api.json_trailing", args: []any{off + 1}})
	}
	// encoding/json matches keys case-insensitively and lets a repeated key
	// win silently; a strict API refuses both.
	dec = json.NewDecoder(bytes.NewReader(data))
	if err := checkKeys(dec, reflect.TypeFor[T](), ""); err != nil {
		return v, err
	}
	// a NUL (\u0000) in any string: PostgreSQL fails the query on it and
	// SQLite would store it; no field takes one
	if bytes.Contains(data, []byte(`\u0000`)) {
		dec = json.NewDecoder(bytes.NewReader(data))
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			if s, ok := tok.(string); ok && strings.ContainsRune(s, 0) {
				return v, apperr.New(apperr.Invalid, "bad_request", "", "err.bad_request")
			}
		}
	}
	return v, nil
}

const jsonSpace = " \t\r\n"

func checkJSONType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return apperr.New(apperr.Invalid, codeMediaType, "", "err.api.content_type")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return apperr.New(apperr.Invalid, codeMediaType, "", "err.api.content_type")
	}
	return nil
}

func malformed(field string, cause msgArg) error {
	return apperr.New(apperr.Invalid, "malformed_json", field, "err.json.malformed", cause)
}

// decodeError explains an encoding/json error: the position and the cause.
func decodeError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return malformed("", msgArg{key: "err.api.json_syntax", args: []any{se.Offset}})
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return malformed("", msgArg{key: "err.api.json_eof"})
	case errors.As(err, &te):
		return malformed(te.Field, msgArg{key: "err.api.json_type", args: []any{te.Field, jsonKind(te.Type), te.Offset}})
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if s, uerr := strconv.Unquote(name); uerr == nil {
			name = s
		}
		return unknownField(name)
	}
	return malformed("", msgArg{key: "err.api.json_invalid"})
}

func unknownField(name string) error {
	return apperr.New(apperr.Invalid, "unknown_field", name, "err.json.unknown_field", name)
}

// jsonKind names the JSON type a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return "value"
}

// checkKeys walks one JSON value (already known to decode into t) and refuses
// object keys that are not exactly a field name of the struct t, or repeat.
func checkKeys(dec *json.Decoder, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return malformed("", msgArg{key: "err.api.json_invalid"})
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		var fields map[string]reflect.Type
		if t != nil && t.Kind() == reflect.Struct {
			fields = jsonFields(t)
		}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return malformed("", msgArg{key: "err.api.json_invalid"})
			}
			key, _ := kt.(string)
			if seen[key] {
				return apperr.New(apperr.Invalid, "duplicate_field", path+key, "err.api.json_duplicate", path+key)
			}
			seen[key] = true
			var ft reflect.Type
			if fields != nil {
				if ft, ok = fields[key]; !ok {
					return unknownField(path + key)
				}
			} else if t != nil && t.Kind() == reflect.Map {
				ft = t.Elem()
			}
			if err := checkKeys(dec, ft, path+key+"."); err != nil {
				return err
			}
		}
	case '[':
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		base := strings.TrimSuffix(path, ".")
		for i := 0; dec.More(); i++ {
			if err := checkKeys(dec, et, base+"["+strconv.Itoa(i)+"]."); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return malformed("", msgArg{key: "err.api.json_invalid"})
	}
	return nil
}

// jsonFields maps the JSON names of a struct's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	return m
}
