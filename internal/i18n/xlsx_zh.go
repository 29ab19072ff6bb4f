package i18n

// The ledger's Excel export and import (台账导入导出).
func init() {
	add(zh, map[string]string{
		"ui.xlsx.col.seq": "序号",
		"ui.xlsx.sheet":   "问题台账",

		"err.xlsx.cell":             "该单元格的内容无法识别。",
		"err.xlsx.too_large":        "文件太大,不能超过 %d MB;请分批导入。",
		"err.xlsx.unzip_limit":      "文件解压后超过 %d MB,不像正常的台账表格,已拒绝读取。",
		"err.xlsx.not_xlsx":         "无法读取上传的文件:请上传 .xlsx 格式的 Excel 文件(不支持 .xls、.csv 或改了扩展名的文件)。",
		"err.xlsx.empty":            "表格中没有数据行。",
		"err.xlsx.too_many_rows":    "表格行数过多:一次最多导入 %d 行,请分批导入。",
		"err.xlsx.formula":          "公式单元格(%s):请复制后“选择性粘贴为数值”再导入。",
		"err.xlsx.header":           "找不到表头行:表头须包含 %s 这几列(列名可用常见写法,如“问题内容”“整改时限”)。",
		"err.xlsx.required":         "请填写“%s”。",
		"err.xlsx.encoding":         "该单元格含有无法识别的字符。",
		"err.xlsx.status":           "状态“%s”不能导入:导入只能登记新问题,状态须为空、“待整改”或“草稿”。",
		"err.xlsx.unit_outside":     "责任单位“%s”不在“%s”及其下级单位中。",
		"err.xlsx.unit_ambiguous":   "有多个单位名为“%s”,请改填单位编码。",
		"err.xlsx.person_ambiguous": "“%[2]s”及其下级单位中有多位人员名为“%[1]s”,请改填用户名。",
		"err.xlsx.person_unknown":   "在“%[2]s”及其下级单位中找不到人员“%[1]s”。",
		"err.xlsx.import_rows":      "有 %d 处错误,没有导入任何数据;请改正后重新上传。",
	})
}
