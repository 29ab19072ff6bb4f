package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// problemSeeds are invented but typical ledger items per kind of organ.
var problemSeeds = map[string][]struct{ title, desc, measures, tag string }{
	"fy": {
		{"执行案件超审限未结", "自查发现 2025 年以来 14 件执行案件超过审限未结,其中 3 件无正当理由中止。", "逐案建立清理台账,明确承办法官和结案时限;每周通报清理进度;对无正当理由中止的案件开展评查。", ""},
		{"立案窗口存在“有案不立”情形", "群众反映立案窗口以材料不全为由多次拒收起诉材料,未一次性告知补正内容。", "落实立案登记制,推行一次性告知书;开通网上立案;设立立案监督电话并公开。", "有案不立、压案不查、有罪不究"},
		{"裁判文书上网不及时", "督查抽查发现 37 份应公开裁判文书超过 30 日未上网。", "明确文书上网责任人;每月通报上网率;纳入审判质效考核。", ""},
		{"审判人员与律师不当接触", "巡察发现个别审判人员与代理律师存在私下吃请情况。", "开展专题警示教育;建立法官与律师接触交往登记报告制度;对相关人员依纪处理。", "律师和司法人员不正当接触交往"},
	},
	"jc": {
		{"控告申诉件答复超期", "12309 检察服务中心 9 件群众来信超过七日未告知收悉。", "落实“七日内程序回复、三个月内办理过程或结果答复”制度;专人跟踪督办。", ""},
		{"刑事申诉案件积压", "刑事申诉案件积存 11 件,最长积压 8 个月。", "成立专班集中办理;实行院领导包案;建立积案动态清零机制。", "有案不立、压案不查、有罪不究"},
		{"律师阅卷预约难", "律师反映电话预约阅卷经常无人接听,需多次往返。", "开通线上预约阅卷;公开预约电话并安排专人值守;推行电子卷宗当日调阅。", ""},
	},
	"ga": {
		{"接处警记录不规范", "抽查 200 份接处警记录,32 份未记录处置结果。", "修订接处警工作规范;开展全员培训;每周抽查通报。", ""},
		{"户籍窗口办事效率低", "群众差评反映户籍窗口排队时间长、材料要求反复。", "推行“一窗通办”和预约服务;公开办事指南;增设午间和周末服务窗口。", ""},
		{"涉案财物管理不规范", "督查发现部分涉案财物未入管理中心、台账与实物不符。", "全面清点涉案财物;建立“一物一码”电子台账;明确保管责任人。", ""},
		{"派出所对群众报案压案不查", "群众反映报案后长期无人联系,案件既不立案也不说明理由。", "对近两年受案情况逐件倒查;建立受案立案回访制度;追究相关责任。", "有案不立、压案不查、有罪不究"},
	},
	"sf": {
		{"社区矫正对象脱管", "检查发现 2 名社区矫正对象连续 10 日未按规定报到且未及时发现。", "完善电子定位和信息化核查;落实每日点验;对失职人员问责。", ""},
		{"法律援助申请审批慢", "法律援助申请平均审批时长 9 个工作日,超过承诺时限。", "简化审批材料;推行当日受理当日审查;对特殊群体开辟绿色通道。", ""},
		{"违规违法办理减刑假释暂予监外执行线索核查", "专项检查发现 1 件暂予监外执行病情鉴定材料存疑。", "委托重新鉴定;倒查审批环节;建立病情诊断复核制度。", "违规违法办理减刑假释暂予监外执行"},
	},
}

// ledgerDemo runs items through their lifecycle with the ledger's clock set
// in the past, so timelines, lights and look-backs look like months of use.
type ledgerDemo struct {
	ctx context.Context
	l   *ledger.Ledger
	now time.Time
	p   map[string]*org.Principal
	db  *store.DB
	n   int
}

func (d *ledgerDemo) who(username string) (*org.Principal, error) {
	if p, ok := d.p[username]; ok {
		return p, nil
	}
	u, err := org.UserByUsername(d.ctx, d.db.Read, username)
	if err != nil {
		return nil, fmt.Errorf("demo user %s: %w", username, err)
	}
	p, err := org.LoadPrincipal(d.ctx, d.db.Read, u.ID)
	if err != nil {
		return nil, err
	}
	d.p[username] = p
	return p, nil
}

func demoPNG(shade uint8) ledger.Upload {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{shade, uint8(120 + x), uint8(140 + y), 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return ledger.Upload{Name: "整改现场照片.png", R: &b}
}

func demoReport(title string) ledger.Upload {
	return ledger.Upload{Name: "整改情况报告.txt", R: strings.NewReader("关于“" + title + "”整改情况的报告\n\n一、基本情况\n二、整改措施落实情况\n三、下一步工作\n")}
}

// at sets the ledger's clock to days ago (negative: days ahead is never used).
func (d *ledgerDemo) at(real time.Time, daysAgo int) { d.now = real.AddDate(0, 0, -daysAgo) }

// LoadLedger fills the problem ledger of a freshly loaded demo: a few hundred
// items in every state and light, with timelines, evidence, extensions,
// named supervision and a few reopened by look-back reviews.
func LoadLedger(ctx context.Context, db *store.DB, l *ledger.Ledger) (int, error) {
	real := time.Now()
	d := &ledgerDemo{ctx: ctx, l: l, db: db, p: map[string]*org.Principal{}}
	clock := l.Clock
	l.Clock = func() time.Time { return d.now }
	defer func() { l.Clock = clock }()
	sources := ledger.Sources
	for ci, c := range cities {
		for ki, k := range c.counties {
			kc := c.code + "-" + k.code
			for oi, o := range organs {
				oc := kc + "-" + o.code
				featured := kc == "mc-dc" && o.code == "fy"
				seeds := problemSeeds[o.code]
				for s := 0; s < 12; s++ {
					seed := seeds[s%len(seeds)]
					dept := s%len(o.depts) + 1
					creator := fmt.Sprintf("%s-h%d", oc, dept)
					resp := fmt.Sprintf("%s-%d-o%d", oc, dept, s%2+1)
					if featured && s < 6 {
						// the printed officer login carries items in every early state
						dept, resp = 1, "officer"
					}
					if featured && dept == 1 {
						// the first department's handler and officer have the printed logins
						creator = "handler"
						if resp == oc+"-1-o1" {
							resp = "officer"
						}
					}
					deputy := oc + "-deputy"
					if featured {
						deputy = "deputy"
					}
					scenario := (s + ci*3 + ki + oi) % 12
					in := ledger.Input{Title: seed.title, Description: seed.desc, Measures: seed.measures,
						Source: sources[(s+oi)%len(sources)], Class: []string{ledger.ClassImmediate, ledger.ClassDeadline, ledger.ClassDeadline, ledger.ClassLongterm}[s%4],
						Severity: ledger.Severities[(s+ki)%3], UnitCode: fmt.Sprintf("%s-%d", oc, dept), Responsible: resp}
					if seed.tag != "" {
						in.Tags = []string{seed.tag}
					}
					if err := d.run(real, scenario, in, creator, resp, deputy, kc+"-inspector", c.code+"-inspector"); err != nil {
						return d.n, fmt.Errorf("demo ledger %s #%d (scenario %d): %w", oc, s, scenario, err)
					}
				}
			}
		}
	}
	l.Clock = clock
	_, err := l.RefreshLights(ctx)
	return d.n, err
}

// run takes one item through scenario sc (0–11) ending in a different state or light.
func (d *ledgerDemo) run(real time.Time, sc int, in ledger.Input, creator, resp, deputy, inspector, cityInspector string) error {
	ctx, l := d.ctx, d.l
	cp, err := d.who(creator)
	if err != nil {
		return err
	}
	rp, err := d.who(resp)
	if err != nil {
		return err
	}
	day := func(daysFromNow int) string {
		return calendar.FormatDay(calendar.Today(d.now).AddDate(0, 0, daysFromNow))
	}
	// start: how many days ago the item was recorded, and its deadline then
	start, span := 20, 45
	switch sc {
	case 0: // a draft still missing its 三定
		d.at(real, 3)
		in.Draft, in.Responsible = true, ""
		_, err := l.Create(ctx, cp, in)
		d.n++
		return err
	case 1: // just opened, green
		start, span = 2, 40
	case 2: // due in two days: yellow
		start, span = 30, 32
	case 3, 4, 5, 6, 7, 8, 9, 10, 11:
		start, span = []int{0, 0, 0, 30, 50, 45, 60, 60, 120, 140, 40, 35}[sc], []int{0, 0, 0, 60, 35, 90, 40, 45, 40, 45, 60, 50}[sc]
	}
	d.at(real, start)
	if in.Class == ledger.ClassImmediate && span > 20 {
		in.Class = ledger.ClassDeadline
	}
	in.Deadline = day(span)
	pr, err := l.Create(ctx, cp, in)
	if err != nil {
		return err
	}
	d.n++
	id := pr.ID
	progress := func(daysLater, pct int, note string, files ...ledger.Upload) error {
		d.at(real, start-daysLater)
		_, err := l.Progress(ctx, rp, id, ledger.ProgressInput{Note: note, Percent: pct, Files: files})
		return err
	}
	closeAndVerify := func(reqDay, verDay int) error {
		if err := progress(reqDay-3, 80, "主要整改措施已落实,正在巩固成效。", demoPNG(uint8(reqDay*7))); err != nil {
			return err
		}
		d.at(real, start-reqDay)
		ci := ledger.CloseInput{Note: "整改任务已全部完成,申请销号。", Standard: "问题已清零,制度已建立,群众回访满意。",
			Files: []ledger.Upload{demoReport(in.Title)}}
		if in.Class == ledger.ClassLongterm {
			ci.Mechanism = &ledger.MechanismInput{Title: "关于“" + in.Title + "”问题建立长效工作机制的规定", DocNo: fmt.Sprintf("政法〔%d〕%d号", d.now.Year(), 10+d.n%40),
				IssuedOn: day(-2)}
		}
		if _, err := l.RequestClose(ctx, rp, id, ci); err != nil {
			return err
		}
		if verDay < 0 {
			return nil
		}
		ip, err := d.who(inspector)
		if err != nil {
			return err
		}
		d.at(real, start-verDay)
		_, err = l.Verify(ctx, ip, id, true, "经实地核查,整改到位,同意销号。")
		return err
	}
	switch sc {
	case 1, 2:
		return nil
	case 3: // in progress and on track, after an approved extension
		if err := progress(10, 40, "已完成排查,正在逐项整改。", demoPNG(40)); err != nil {
			return err
		}
		d.at(real, start-12)
		if _, err := l.RequestExtension(ctx, rp, id, day(70), "部分案件需等待鉴定结论,申请延期。"); err != nil {
			return err
		}
		dp, err := d.who(deputy)
		if err != nil {
			return err
		}
		d.at(real, start-13)
		_, err = l.DecideExtension(ctx, dp, id, true, "同意延期,请按新时限完成。")
		return err
	case 4: // late: red, with an extension refused
		if err := progress(5, 20, "已制定整改方案。"); err != nil {
			return err
		}
		d.at(real, start-20)
		if _, err := l.RequestExtension(ctx, rp, id, day(30), "涉及多个部门协调,申请延期。"); err != nil {
			return err
		}
		dp, err := d.who(deputy)
		if err != nil {
			return err
		}
		d.at(real, start-21)
		_, err = l.DecideExtension(ctx, dp, id, false, "理由不充分,请按原定时限完成。")
		return err
	case 5: // lagging behind the straight line: yellow, under named supervision
		if err := progress(3, 10, "已召开专题会议部署。"); err != nil {
			return err
		}
		sp, err := d.who(cityInspector)
		if err != nil {
			return err
		}
		d.at(real, start-6)
		_, err = l.Supervise(ctx, sp, id, 7, "群众反映强烈,市委政法委挂牌督办,每 7 天报告一次进展。")
		return err
	case 6: // waiting for verification
		return closeAndVerify(25, -1)
	case 7: // closed, look-back not yet due
		return closeAndVerify(30, 33)
	case 8: // closed long ago: look-back due
		return closeAndVerify(15, 18)
	case 9: // closed, look-back passed
		if err := closeAndVerify(20, 22); err != nil {
			return err
		}
		ip, err := d.who(cityInspector)
		if err != nil {
			return err
		}
		d.at(real, 5)
		_, err = l.Review(ctx, ip, id, false, "回头看:整改成效巩固,未发现反弹。", "")
		return err
	case 10: // reopened by the look-back, with an approved extension before closing
		d.at(real, start-10)
		if _, err := l.RequestExtension(ctx, rp, id, day(70), "需等待上级系统升级完成。"); err != nil {
			return err
		}
		dp, err := d.who(deputy)
		if err != nil {
			return err
		}
		d.at(real, start-11)
		if _, err := l.DecideExtension(ctx, dp, id, true, "同意延期。"); err != nil {
			return err
		}
		if err := closeAndVerify(14, 16); err != nil {
			return err
		}
		ip, err := d.who(cityInspector)
		if err != nil {
			return err
		}
		d.at(real, 8)
		_, err = l.Review(ctx, ip, id, true, "回头看发现问题反弹,重新打开整改。", day(30))
		return err
	case 11: // an extension waiting for a decision
		if err := progress(8, 35, "正在推进,部分事项需协调。"); err != nil {
			return err
		}
		d.at(real, start-30)
		_, err := l.RequestExtension(ctx, rp, id, day(45), "需协调上级部门,申请延期一个月。")
		return err
	}
	return nil
}
