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
		"err.xlsx.person_ambiguous": "有多位人员名为“%s”(在“%s”及其下级单位中),请改填用户名。",
		"err.xlsx.person_unknown":   "找不到人员“%s”:“%s”及其下级单位中没有此人。",
		"err.xlsx.import_rows":      "有 %d 处错误,没有导入任何数据;请改正后重新上传。",

		"ui.pimport.title":         "导入问题台账",
		"ui.pimport.button":        "导入 Excel",
		"ui.pimport.intro":         "上传单位现有的问题台账 Excel 表格(.xlsx),先预览检查,确认后一次性全部导入;有任何一处错误,都不会导入任何数据。",
		"ui.pimport.columns":       "表头须包含:问题描述(或问题内容、问题表现)、问题来源、整改类别、整改措施、责任人(或责任领导、责任人员)、完成时限(或整改时限、完成时间);责任单位、状态(待整改或草稿)可选。问题编号由系统重新编号,整改进度、红黄绿灯等列不导入;含公式的单元格请先粘贴为数值。",
		"ui.pimport.unit":          "导入到单位(表中责任单位可填其下级单位)",
		"ui.pimport.file":          "台账文件(.xlsx,不超过 20 MB)",
		"ui.pimport.preview":       "上传并预览",
		"ui.pimport.errors_title":  "发现以下问题,请改正后重新上传",
		"ui.pimport.row":           "行",
		"ui.pimport.column":        "列",
		"ui.pimport.reason":        "原因",
		"ui.pimport.more_errors":   "另有 %d 处错误未列出。",
		"ui.pimport.nothing":       "本次未导入任何问题。",
		"ui.pimport.preview_title": "共 %d 行数据,以下是前 %d 行",
		"ui.pimport.ignored":       "以下列未能识别,导入时忽略:%s",
		"ui.pimport.confirm_hint":  "检查通过。确认后将登记 %d 个问题,每个问题按“三定”立项并留痕。",
		"ui.pimport.confirm":       "确认导入 %d 条",
		"ui.pimport.cancel":        "重新选择文件",
		"ui.pimport.done_hint":     "其中草稿 %d 条。导入的问题已进入台账,开始按工作日计时。",
		"ui.pimport.see_list":      "查看台账",
		"ui.pimport.again":         "继续导入",
		"msg.pimport.done":         "已导入 %d 个问题(编号 %s 至 %s)。",
	})
}
