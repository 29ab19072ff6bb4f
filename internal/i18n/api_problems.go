package i18n

// Messages of the problem-ledger API (multipart forms, item ids), in both languages.
func init() {
	add(zh, map[string]string{
		"err.api.form.content_type":  "请求内容须为 JSON(Content-Type: application/json,字符集 UTF-8),或在上传佐证材料时使用 multipart/form-data 表单。",
		"err.api.form.malformed":     "无法解析 multipart/form-data 表单,请检查请求格式。",
		"err.api.form.too_large":     "上传内容过大:一次最多上传 %d 个文件,每个文件不超过 %d MB。",
		"err.api.form.file_expected": "字段“%s”应为上传的文件。",
		"err.api.form.text_expected": "字段“%s”应为文本,不能上传文件。",
		"err.api.form.type":          "字段“%s”应为 %s 类型。",
		"err.api.form.required":      "缺少字段“%s”。",
		"err.api.form.id":            "路径中的 %s 应为正整数。",
		"err.api.problem.locked":     "问题已立项,只能修改严重程度和标签;责任单位、责任人、整改措施和完成时限等须通过延期等流程调整。",
	})
	add(en, map[string]string{
		"err.api.form.content_type":  "Send JSON (Content-Type: application/json, UTF-8), or a multipart/form-data form when uploading evidence.",
		"err.api.form.malformed":     "The multipart/form-data body cannot be read; check the request.",
		"err.api.form.too_large":     "The upload is too large: at most %d files at a time, each at most %d MB.",
		"err.api.form.file_expected": "The field “%s” must be an uploaded file.",
		"err.api.form.text_expected": "The field “%s” must be text, not a file.",
		"err.api.form.type":          "The field “%s” must be of type %s.",
		"err.api.form.required":      "The field “%s” is missing.",
		"err.api.form.id":            "The %s in the path must be a positive integer.",
		"err.api.problem.locked":     "The problem is open: only its severity and tags may change; the unit, responsible person, measures and deadline change through the lifecycle (e.g. an extension).",
	})
}
