package text

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMask(t *testing.T) {
	for _, c := range []struct {
		in    string
		names []string
		want  string
	}{
		// mobile numbers
		{"我的电话13800138000，请回电", nil, "我的电话138****8000，请回电"},
		{"电话：138 0013 8000。", nil, "电话：138****8000。"},
		{"电话：138-0013-8000", nil, "电话：138****8000"},
		{"联系１３８００１３８０００", nil, "联系138****8000"},
		{"+86 13800138000", nil, "+86 138****8000"},
		{"+8613800138000", nil, "+86 138****8000"},
		{"0086-139-1234-5678", nil, "0086 139****5678"},
		{"(+86)13912345678", nil, "(+86) 139****5678"},
		{"两个号码13800138000 13912345678", nil, "两个号码138****8000 139****5678"},
		{"号码12800138000不是手机", nil, "号码12800138000不是手机"}, // 12x is not a mobile prefix
		{"订单号213800138000", nil, "订单号213800138000"},     // 12 digits, not a phone
		{"编号A13800138000", nil, "编号A13800138000"},       // glued to a letter
		{"金额1380013800元", nil, "金额1380013800元"},         // 10 digits
		// landlines with an area code
		{"请拨打0731-84567890咨询", nil, "请拨打0731-****7890咨询"},
		{"电话010-62345678", nil, "电话010-****5678"},
		{"电话(0731)8456789", nil, "电话(0731)***6789"},
		{"电话（0734-7399892）咨询", nil, "电话（0734-***9892）咨询"},
		{"电话(010)62345678", nil, "电话(010)****5678"},
		{"区号020 87654321", nil, "区号020-****4321"},
		{"原始数据里的0000-00000000", nil, "原始数据里的0000-****0000"},
		{"84567890是本地号码", nil, "84567890是本地号码"}, // no area code: left alone
		{"时间2019-12-01", nil, "时间2019-12-01"},
		// resident ID numbers
		{"身份证号11010519491231002X", nil, "身份证号110***********002X"},
		{"身份证号11010519491231002x。", nil, "身份证号110***********002X。"},
		{"身份证430524199001011238", nil, "身份证430***********1238"},
		{"身份证430524199001011239", nil, "身份证430524199001011239"}, // wrong check digit: not an ID (nor Luhn)
		// bank cards
		{"卡号6222021900012345674", nil, "卡号6222***********5674"},
		{"卡号 6222 0219 0001 2345 674", nil, "卡号 6222***********5674"},
		{"卡号4111111111111111", nil, "卡号4111********1111"},
		{"卡号6222021900012345675", nil, "卡号6222021900012345675"}, // fails Luhn
		// e-mail
		{"邮箱zhangsan@example.com", nil, "邮箱zh***@example.com"},
		{"邮箱：ab@qq.com。", nil, "邮箱：a***@qq.com。"},
		{"邮箱ｚｈａｎｇ＠ｑｑ．ｃｏｍ", nil, "邮箱zh***@qq.com"},
		{"13800138000@163.com", nil, "13***@163.com"},
		{"写信@市长 反映问题", nil, "写信@市长 反映问题"},
		// names
		{"我叫张三，张三的电话13800138000", []string{"张三"}, "我叫张*，张*的电话138****8000"},
		{"举报人王小明", []string{"王小明", "", "李"}, "举报人王*明"},
		{"欧阳娜娜反映", []string{"欧阳娜娜"}, "欧**娜反映"},
		{"没有个人信息的留言", []string{"张三"}, "没有个人信息的留言"},
		// a name running into a number: found by FuzzMask, the number came
		// back whole after the name's last character
		{"张3 13912345678 张3", []string{"3 1"}, "张3*1********** 张3"},
		{"张3 13912345678", []string{"张3 1"}, "张**1**********"},
		{"电话13912345678王五", []string{"678王五"}, "电话139****5678**"},
		{"", nil, ""},
	} {
		if got := Mask(c.in, c.names...); got != c.want {
			t.Errorf("Mask(%q, %q)\n got %q\nwant %q", c.in, c.names, got, c.want)
		}
	}
}

func TestValidIDAndLuhn(t *testing.T) {
	for _, c := range []struct {
		id string
		ok bool
	}{
		{"11010519491231002X", true},
		{"430102198506123417", true},
		{"430102198506123418", false},
		{"430102198513123417", false}, // month 13 (and the check changes)
		{"4301021985061234", false},
	} {
		if validID(c.id) != c.ok {
			t.Errorf("validID(%s) = %v", c.id, !c.ok)
		}
	}
	if !luhn("4111111111111111") || luhn("4111111111111112") {
		t.Error("luhn")
	}
}

func FuzzMask(f *testing.F) {
	for _, s := range []string{"电话13800138000", "+86 138 0013 8000", "0731-84567890", "11010519491231002X",
		"6222021900012345674", "a@b.cn", "张三", "１３８００１３８０００", "(0731)", "@", "+86", "0086-"} {
		f.Add(s, "张三")
	}
	const phone = "13912345678"
	f.Fuzz(func(t *testing.T, s, name string) {
		out := Mask(s, name)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("Mask(%q) gave invalid UTF-8 %q", s, out)
		}
		// a mobile number set apart by spaces never survives, whatever surrounds it
		in := s + " " + phone + " " + s
		if n, m := strings.Count(Mask(in, name), phone), 2*strings.Count(s, phone); n > m {
			t.Fatalf("Mask(%q) kept the phone: %q", in, Mask(in, name))
		}
		// masking is stable: masking the output again changes nothing more
		// than the first pass did for numbers (the output has none left)
		if again := Mask(out); strings.Count(again, "*") < strings.Count(out, "*") {
			t.Fatalf("second pass lost masking: %q -> %q", out, again)
		}
	})
}
