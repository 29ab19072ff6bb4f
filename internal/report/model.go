// Package report is the public reporting channel (群众举报) and the handling of
// the leads that come from it (问题线索): intake with a receipt and a secret key,
// the reporter's follow-up, triage, routing with recusal, investigation,
// conclusion under the 四种形态, feedback, and the public figures.
//
// What a reporter wrote, who they are and their files are sealed under a data
// key of their own report (see Sealer); only routing facts are in the clear.
package report

import (
	"strings"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
)

// Categories: the 六大顽瘴痼疾, other misconduct by an officer, and problems or
// suggestions about the organs' work.
var Categories = []string{
	"interfere",   // 违规干预过问案件
	"business",    // 违规经商办企业
	"shares",      // 违规参股借贷
	"commutation", // 违规违法办理减刑假释暂予监外执行
	"inaction",    // 有案不立、压案不查、有罪不究
	"contact",     // 律师和司法人员不正当接触交往
	"misconduct",  // 其他违纪违法问题
	"work",        // 工作问题或建议
}

// Chronic reports whether a category is one of the six chronic problems.
func Chronic(c string) bool {
	for _, x := range Categories[:6] {
		if x == c {
			return true
		}
	}
	return false
}

func validCategory(c string) bool {
	for _, x := range Categories {
		if x == c {
			return true
		}
	}
	return false
}

// Status is where a report stands on the staff side.
type Status string

const (
	Received      Status = "received"      // 待受理: in the intake queue
	Registered    Status = "registered"    // 已登记为线索
	Investigating Status = "investigating" // 核查中: a handling method chosen
	PendingPrior  Status = "pending_prior" // 以"已查过"了结, waiting for a second approver
	Concluded     Status = "concluded"     // 已办结
	Answered      Status = "answered"      // 作为非线索答复 (a suggestion, or a ledger item)
	Merged        Status = "merged"        // 已并案
)

// Statuses lists every status in workflow order.
var Statuses = []Status{Received, Registered, Investigating, PendingPrior, Concluded, Answered, Merged}

// Stages are what the reporter sees: 受理, 分办, 核查, 办结, 反馈.
var Stages = []string{"accepted", "assigned", "investigating", "concluded", "feedback"}

// Methods are the handling methods (处置方式).
var Methods = []string{
	"talk",        // 谈话函询
	"verify",      // 初步核实
	"hold",        // 暂存待查
	"close",       // 予以了结
	"investigate", // 立案审查
}

// Conclusions of an investigation.
var Conclusions = []string{
	"true",          // 属实
	"partly_true",   // 部分属实
	"untrue",        // 不属实
	"no_evidence",   // 查无实据
	"prior_handled", // 已查过 (needs the earlier case, a reason and a second approver)
}

// Substantiated reports whether a conclusion found the report (partly) true.
func Substantiated(c string) bool { return c == "true" || c == "partly_true" }

// Measures per form of the 四种形态 (the measure taken must fit the form).
var Measures = map[int][]string{
	1: {"criticism", "talk_reminder", "written_review", "admonish"}, // 批评教育 谈话提醒 责令检查 诫勉
	2: {"warning", "serious_warning"},                               // 警告 严重警告
	3: {"demotion", "dismissal_post", "probation"},                  // 降级 撤职 留党察看
	4: {"expulsion", "transfer_judicial"},                           // 开除 移送司法机关
}

// Limits on what a reporter can send.
const (
	MaxSubject  = 200
	MaxContent  = 20000
	MaxShort    = 200 // when, where, names, posts
	MaxAccused  = 10
	MaxFiles    = 10
	MaxFileSize = 20 << 20
	MaxMessage  = 5000
)

// Accused is a person a reporter names.
type Accused struct {
	Name string `json:"name"`
	Post string `json:"post,omitempty"`
}

// Identity is a real-name reporter's identity (sealed).
type Identity struct {
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	IDNumber string `json:"id_number,omitempty"`
	Address  string `json:"address,omitempty"`
}

// Input is a submission, from the public form, the API or an officer's self-report.
type Input struct {
	Category string    `json:"category"`
	UnitCode string    `json:"unit_code"`
	Subject  string    `json:"subject"`
	Content  string    `json:"content"`
	When     string    `json:"when,omitempty"`
	Where    string    `json:"where,omitempty"`
	Accused  []Accused `json:"accused,omitempty"`
	Reporter *Identity `json:"reporter,omitempty"`
}

// Sealed is what is encrypted in reports.sealed.
type Sealed struct {
	Subject string    `json:"subject"`
	Content string    `json:"content"`
	When    string    `json:"when,omitempty"`
	Where   string    `json:"where,omitempty"`
	Accused []Accused `json:"accused,omitempty"`
}

func clean(s string) string { return strings.TrimSpace(strings.ToValidUTF8(s, "")) }

// Normalize trims every field and drops empty accused rows.
func (in *Input) Normalize() {
	in.Category, in.UnitCode = clean(in.Category), clean(in.UnitCode)
	in.Subject, in.Content = clean(in.Subject), clean(in.Content)
	in.When, in.Where = clean(in.When), clean(in.Where)
	acc := in.Accused[:0]
	for _, a := range in.Accused {
		a.Name, a.Post = clean(a.Name), clean(a.Post)
		if a.Name != "" || a.Post != "" {
			acc = append(acc, a)
		}
	}
	in.Accused = acc
	if r := in.Reporter; r != nil {
		r.Name, r.Phone, r.IDNumber, r.Address = clean(r.Name), clean(r.Phone), clean(r.IDNumber), clean(r.Address)
		if r.Name == "" && r.Phone == "" && r.IDNumber == "" && r.Address == "" {
			in.Reporter = nil
		}
	}
}

func checkLen(field, v string, required bool, max int) error {
	if required && v == "" {
		return apperr.Invalidf(field, "err"+".report."+field+".required")
	}
	if utf8.RuneCountInString(v) > max {
		return apperr.Invalidf(field, "err.report.too_long", max)
	}
	return nil
}

// Validate checks a normalized input; the first problem found is returned,
// naming its field.
func (in *Input) Validate() error {
	if !validCategory(in.Category) {
		return apperr.Invalidf("category", "err.report.category")
	}
	if in.UnitCode == "" {
		return apperr.Invalidf("unit_code", "err.report.unit_code.required")
	}
	if err := checkLen("subject", in.Subject, true, MaxSubject); err != nil {
		return err
	}
	if err := checkLen("content", in.Content, true, MaxContent); err != nil {
		return err
	}
	if err := checkLen("when", in.When, false, MaxShort); err != nil {
		return err
	}
	if err := checkLen("where", in.Where, false, MaxShort); err != nil {
		return err
	}
	if len(in.Accused) > MaxAccused {
		return apperr.Invalidf("accused", "err.report.accused.too_many", MaxAccused)
	}
	for _, a := range in.Accused {
		// a post alone is fine: people often do not know the name
		if utf8.RuneCountInString(a.Name) > MaxShort || utf8.RuneCountInString(a.Post) > MaxShort {
			return apperr.Invalidf("accused", "err.report.too_long", MaxShort)
		}
	}
	if r := in.Reporter; r != nil {
		if r.Name == "" {
			return apperr.Invalidf("reporter_name", "err.report.reporter_name.required")
		}
		if !validPhone(r.Phone) {
			return apperr.Invalidf("reporter_phone", "err.report.reporter_phone")
		}
		if r.IDNumber != "" && !ValidIDNumber(r.IDNumber) {
			return apperr.Invalidf("reporter_id_number", "err.report.reporter_id_number")
		}
		if utf8.RuneCountInString(r.Name) > MaxShort || utf8.RuneCountInString(r.Address) > MaxShort {
			return apperr.Invalidf("reporter_name", "err.report.too_long", MaxShort)
		}
	}
	return nil
}

// validPhone accepts a mainland mobile number or a landline with area code
// (digits, optional +86, spaces and dashes).
func validPhone(s string) bool {
	s = strings.NewReplacer(" ", "", "-", "").Replace(s)
	s = strings.TrimPrefix(s, "+86")
	if len(s) < 7 || len(s) > 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ValidIDNumber checks an 18-character resident ID number with its ISO 7064
// MOD 11-2 check character.
func ValidIDNumber(s string) bool {
	s = strings.ToUpper(s)
	if len(s) != 18 {
		return false
	}
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * weights[i]
	}
	return s[17] == "10X98765432"[sum%11]
}
