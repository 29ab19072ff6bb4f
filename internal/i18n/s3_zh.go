package i18n

func init() {
	add(zh, map[string]string{
		"err.scrub.pixels":   "图片“%s”的像素尺寸过大,无法安全打开;请缩小图片后重新上传。",
		"err.scrub.polyglot": "文件“%s”中夹带了压缩包或网页代码,出于安全考虑不能上传;请上传原始文件。",
	})
}
