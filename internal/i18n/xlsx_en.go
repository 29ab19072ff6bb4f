package i18n

func init() {
	add(en, map[string]string{
		"ui.xlsx.col.seq": "No.",
		"ui.xlsx.sheet":   "Problem ledger",

		"err.xlsx.cell":             "The content of this cell cannot be read.",
		"err.xlsx.too_large":        "The file is too large: at most %d MB; import in several parts.",
		"err.xlsx.unzip_limit":      "The file unpacks to more than %d MB, which no ledger does; it was not read.",
		"err.xlsx.not_xlsx":         "The uploaded file cannot be read: upload an Excel .xlsx file (not .xls, .csv or a renamed file).",
		"err.xlsx.empty":            "The sheet has no data rows.",
		"err.xlsx.too_many_rows":    "Too many rows: at most %d rows per import; import in several parts.",
		"err.xlsx.formula":          "Formula cell (%s): copy it and paste it as values before importing.",
		"err.xlsx.header":           "No header row found: it must name the columns %s (common variants such as 问题内容 or 整改时限 are accepted).",
		"err.xlsx.required":         "Fill in “%s”.",
		"err.xlsx.encoding":         "This cell holds characters that cannot be read.",
		"err.xlsx.status":           "Status “%s” cannot be imported: an import records new problems only, so the status must be empty, 待整改 or 草稿.",
		"err.xlsx.unit_outside":     "The responsible unit “%s” is not in “%s” or below it.",
		"err.xlsx.unit_ambiguous":   "Several units are named “%s”: write the unit code instead.",
		"err.xlsx.person_ambiguous": "Several people named “%s” work in “%s” or below it: write the username instead.",
		"err.xlsx.person_unknown":   "No person “%s” in “%s” or below it.",
		"err.xlsx.import_rows":      "%d errors; nothing was imported. Correct them and upload the file again.",
	})
}
