package i18n

func init() {
	add(en, map[string]string{
		"err.scrub.name":          "The file name is not valid; rename the file and upload it again.",
		"err.scrub.empty":         "The file “%s” is empty.",
		"err.scrub.type":          "Files like “%s” cannot be uploaded; accepted types: %s.",
		"err.scrub.mismatch":      "The content of “%s” does not match its extension; upload the original file.",
		"err.scrub.text":          "The text file “%s” is not UTF-8; save it as UTF-8 and upload it again, or upload a PDF.",
		"err.scrub.executable":    "“%s” is a program or script and cannot be uploaded, for safety.",
		"err.scrub.active":        "“%s” is a web page, an SVG image or a file with scripts and cannot be uploaded, for safety; upload a screenshot or a PDF instead.",
		"err.scrub.damaged":       "The file “%s” is damaged or its format is not recognised; upload the original file.",
		"err.scrub.pdf_active":    "The PDF “%s” contains scripts, launch actions or embedded files and cannot be uploaded, for safety; print it to a new PDF and upload that.",
		"err.scrub.pdf_encrypted": "The PDF “%s” is encrypted and cannot be checked; remove its password and upload it again.",
		"err.scrub.pdf_meta":      "The document information (author, producer…) of the PDF “%s” cannot be removed, so it was not accepted, to protect your identity; print it to a new PDF and upload that.",
		"err.scrub.macro":         "“%s” contains macros and cannot be uploaded, for safety; save it as a .docx, .xlsx or .pptx without macros.",
		"err.scrub.bomb":          "“%s” unpacks into too much data or too many files and cannot be uploaded.",
	})
}
