package i18n

// Messages of the JSON API, in Chinese.
func init() {
	add(zh, map[string]string{
		"err.api.method_not_allowed":  "该接口不支持 %s 方法。",
		"err.api.no_route":            "没有这个接口,请查看 /api/v1/openapi.json。",
		"err.api.import_rows":         "有 %d 行存在错误,未导入任何单位,请修改后重新导入。",
		"err.api.bool_invalid":        "参数 %s 应为 true 或 false。",
		"err.api.patch_empty":         "请求中没有要修改的字段。",
		"err.api.json_empty":          "请求内容为空",
		"err.api.json_not_object":     "请求内容应为一个 JSON 对象 {…}",
		"err.api.json_trailing":       "第 %d 个字节起,JSON 对象之后还有多余的内容",
		"err.api.json_syntax":         "第 %d 个字节处有语法错误",
		"err.api.json_eof":            "内容不完整,JSON 意外结束",
		"err.api.json_type":           "字段“%s”应为 %s 类型(第 %d 个字节处)",
		"err.api.json_invalid":        "无法解析",
		"err.api.json_duplicate":      "字段“%s”出现了不止一次。",
		"err.api.content_type":        "请求内容须为 JSON:请设置 Content-Type: application/json(字符集 UTF-8)。",
		"err.api.file_too_large":      "上传的文件过大,最大 %d MB。",
		"err.api.file_missing":        "请在表单字段 file 中上传 .xlsx 文件。",
		"err.api.import_content_type": "请上传 .xlsx 文件:Content-Type 为 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,或用 multipart/form-data 的 file 字段。",
		"err.api.before_invalid":      "参数 before 应为正整数(审计记录的序号)。",
		"err.api.time_invalid":        "参数 %s 应为 RFC 3339 格式的时间,例如 2026-01-02T15:04:05+08:00。",
	})
}
