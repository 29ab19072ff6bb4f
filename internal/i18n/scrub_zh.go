package i18n

func init() {
	add(zh, map[string]string{
		"err.scrub.name":          "文件名不正确,请改名后重新上传。",
		"err.scrub.empty":         "文件“%s”是空文件。",
		"err.scrub.type":          "文件“%s”的类型不能上传;可上传的类型:%s。",
		"err.scrub.mismatch":      "文件“%s”的内容与扩展名不符,请上传原始文件。",
		"err.scrub.text":          "文本文件“%s”不是 UTF-8 编码,请另存为 UTF-8 编码后上传,或改为上传 PDF。",
		"err.scrub.executable":    "文件“%s”是程序或脚本,出于安全考虑不能上传。",
		"err.scrub.active":        "文件“%s”是网页、SVG 或含脚本的文件,出于安全考虑不能上传;请截图或另存为 PDF 后上传。",
		"err.scrub.damaged":       "文件“%s”已损坏或格式无法识别,请上传原始文件。",
		"err.scrub.pdf_active":    "PDF 文件“%s”含有脚本、启动命令或嵌入文件,出于安全考虑不能上传;请用“打印为 PDF”重新生成后上传。",
		"err.scrub.pdf_encrypted": "PDF 文件“%s”已加密,无法检查,请去掉密码后上传。",
		"err.scrub.pdf_meta":      "PDF 文件“%s”中的文档信息(作者、制作软件等)无法清除,为保护您的身份未予接收;请用“打印为 PDF”重新生成后上传。",
		"err.scrub.macro":         "文件“%s”含有宏,出于安全考虑不能上传;请另存为不含宏的 .docx、.xlsx 或 .pptx 后上传。",
		"err.scrub.bomb":          "文件“%s”解压后过大或包含的文件过多,不能上传。",
	})
}
