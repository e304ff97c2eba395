package verifycli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/custos-project/custos/receipt"
)

// words are the lines the step-by-step verdict prints, in English and in
// Chinese (fmt formats with the same verbs in the same order; TestWords
// checks that). The markers a script may look for stay the same in both
// languages: ✓, ✗, -, ! at the start of a step, and VALID, INVALID,
// CONFIRMED, NOT CONFIRMED and CONTRADICTED as the last line, which the
// Chinese lines keep and follow with their meaning. The reasons of a
// failed step come from the verifier (receipt) in English; in Chinese, a
// line under them says what the reason means (reasonsZH).
var words = map[string][2]string{
	"format":        {"✓ format: receipt version %d", "✓ 格式：回执版本 %d"},
	"digest":        {"✓ digest: the file matches the receipt", "✓ 文件摘要：文件与回执一致"},
	"digest-none":   {"- digest: not checked (no --file given)", "- 文件摘要：未检查（未给出 --file）"},
	"evidence":      {"    evidence %s, %d bytes, %s", "    证据 %s，%d 字节，%s"},
	"custody-v1":    {"✓ custody: %d event(s), one unbroken hash chain", "✓ 保管链：%d 个事件，一条完整的哈希链"},
	"custody":       {"✓ custody: %d event(s) listed, each hash-linked to the one before it where that one is listed", "✓ 保管链：列出 %d 个事件，每个都以哈希链接到其前一个（若前一个也已列出）"},
	"event-reads":   {" ×%d (%s)", " ×%d（%s）"},
	"event":         {"    #%d %s %s%s by %s", "    #%d %s %s%s，操作者 %s"},
	"timestamp":     {"✓ timestamp: %d RFC 3161 token(s) over the SHA-256, under the trust bundle's roots", "✓ 时间戳：%d 个针对 SHA-256 的 RFC 3161 时间戳，均在信任包的根证书之下"},
	"token-skipped": {"    token %d not checked: %s (its hash is the one the anchored custody chain recorded)", "    时间戳 %d 未检查：%s（其哈希即已上链的保管链所记录者）"},
	"token":         {"    %s by %s (serial %s)", "    %s，由 %s 签发（序列号 %s）"},
	"unnamed-tsa":   {"an unnamed TSA", "未具名的时间戳服务机构"},
	"inclusion":     {"✓ inclusion: every event is in the log of %d leaves", "✓ 包含证明：每个事件都在含 %d 个叶子的日志中"},
	"leaf":          {"    #%d at leaf %d", "    #%d 位于叶子 %d"},
	"checkpoint":    {"✓ checkpoint: chain %s, height %d (%s), signed by %d of %d voting power", "✓ 检查点：链 %s，高度 %d（%s），签署表决权 %[4]d/%[5]d"},
	"tree":          {"    tree size %d, root %s", "    树大小 %d，根 %s"},
	"transitions":   {"    by the validators in force at that height, reached from the trust bundle's through %d validator-set transition(s), each signed by more than 2/3 of the set before it", "    签署者为该高度时的验证者，从信任包中的验证者集合经 %d 次验证者集合变更而来，每次变更均由变更前集合三分之二以上签署"},
	"validator":     {"validator %s", "验证者 %s"},
	"signed-by":     {"    signed by: %s", "    签署者：%s"},
	"valid-partial": {"VALID (custody completeness not proven)", "VALID（有效；保管链完整性未获证明）"},
	"valid":         {"VALID", "VALID（有效）"},
	"incomplete":    {"! completeness: NOT PROVEN", "! 完整性：NOT PROVEN（未获证明）"},
	"complete-all":  {"✓ completeness: the chain proves the item had exactly %d event(s) at the checkpoint; all are listed", "✓ 完整性：链证明该证据在检查点时恰有 %d 个事件，已全部列出"},
	"complete-some": {"✓ completeness: the chain proves the item had exactly %d event(s) at the checkpoint; %d listed", "✓ 完整性：链证明该证据在检查点时恰有 %d 个事件，列出 %d 个"},
	"omitted":       {"    omitted, and counted by the chain: %s", "    未列出但由链计数的：%s"},
	"failed":        {"✗ %s", "✗ %s（%s）"},
	"expected":      {"  expected: %s", "  预期：%s"},
	"computed":      {"  computed: %s", "  计算所得：%s"},
	"want-format":   {"a canonical receipt, version %d to %d", "规范的回执文档，版本 %d 至 %d"},
	"got-malformed": {"a malformed document", "格式有误的文档"},
	"invalid":       {"INVALID", "INVALID（无效）"},
	"node-failed":   {"✗ node %s", "✗ 节点 %s"},
	"contradicted":  {"CONTRADICTED by the node", "CONTRADICTED（与该节点的链矛盾）"},
	"unconfirmed":   {"NOT CONFIRMED by the node", "NOT CONFIRMED（该节点未能确认）"},
	"node":          {"✓ node %s: its chain, at height %d, has %d leaves, root %s", "✓ 节点 %s：其链在高度 %d 时有 %d 个叶子，根 %s"},
	"prefix":        {"    the receipt's log is a prefix of the node's (RFC 6962 consistency proof)", "    回执中的日志是该节点日志的前缀（RFC 6962 一致性证明）"},
	"confirmed":     {"CONFIRMED by the node", "CONFIRMED（已由该节点确认）"},
	"verdict-step":  {"the receipt is NOT valid: the %s check failed", "回执无效（NOT valid）：%s 检查未通过"},
	"ers-file":      {"✓ evidence record: RFC 4998, the file existed at %s (%d time-stamp(s), under the trust bundle's roots)", "✓ 证据记录：RFC 4998，文件在 %s 已存在（%d 个时间戳，均在信任包的根证书之下）"},
	"ers-receipt":   {"✓ evidence record: RFC 4998, the receipt's SHA-256 existed at %s (%d time-stamp(s), under the trust bundle's roots; give --file to check the file's)", "✓ 证据记录：RFC 4998，回执所载 SHA-256 在 %s 已存在（%d 个时间戳，均在信任包的根证书之下；给出 --file 可检查文件本身）"},
	"ers-stamp":     {"    %s by %s (%s)", "    %s，由 %s 签发（%s）"},
	"verdict-ers":   {"the evidence record is NOT valid for this file", "证据记录对此文件无效（NOT valid）"},
	"verdict-node":  {"the receipt is valid offline, but NOT CONFIRMED by %s", "回执离线验证有效，但未获 %s 确认（NOT CONFIRMED）"},
	"ers-embedded": {"✓ evidence record (in the receipt): RFC 4998, the evidence's SHA-256 existed at %s (%d time-stamp(s), under the trust bundle's roots)",
		"✓ 证据记录（回执内附）：RFC 4998，证据的 SHA-256 在 %s 已存在（%d 个时间戳，均在信任包的根证书之下）"},
	"ers-embedded-unverified": {"! evidence record (in the receipt) not checked: %s", "! 回执内附的证据记录未检查：%s"},
	"signer":                  {"%s (%s)", "%s（%s）"},
	"no-file":                 {"%s: no such file", "读取 %s 失败：文件不存在"},
	"no-permission":           {"%s: permission denied", "读取 %s 失败：无权读取（权限不足）"},
	"not-regular":             {"%s: not a regular file", "读取 %s 失败：不是普通文件（是文件夹吗？）"},
	"list-sep":                {", ", "，"},
	"bad-trust":               {"%s: %v", "信任包 %s 无法使用：%v"},
	"trust-is-receipt":        {"%s is a receipt, not a trust bundle: give the receipt with --receipt, and with --trust the trust bundle of the node or consortium (custos trust -o trust.json)", "%s 是回执，不是信任包：回执请用 --receipt 给出，--trust 则给出节点或联盟的信任包（custos trust -o trust.json）"},
	"bad-transitions":         {"%s: %v", "验证者集合变更列表 %s 无法使用：%v"},
	"bad-root-pem":            {"%s: root_pem: want one certificate (%v)", "%s：root_pem：应为一个证书（%v）"},
	"bad-roots":               {"%s: want one or more PEM certificates (%v)", "%s：应为一个或多个 PEM 证书（%v）"},
	"roots-not-ca":            {"%s: %v is not a CA certificate", "%s：%v 不是 CA 证书"},
	"pdf-too-large":           {"%s: over %d MiB, not a certificate Custos issued", "%s：超过 %d MiB，不是 Custos 签发的证书"},
	"verdict-pdf":             {"the PDF is NOT valid: the %s check failed", "该 PDF 无效（NOT valid）：%s 检查未通过"},
}

// Message is e's message for standard error in English or, with chinese,
// in Chinese.
func (e ExitError) Message(chinese bool) string {
	p := printer{chinese: chinese}
	switch {
	case e.PDF && e.Step != "":
		return p.say("verdict-pdf", e.Step)
	case e.Step == stepERS:
		return p.say("verdict-ers")
	case e.Step != "":
		return p.say("verdict-step", StepName(e.Step, chinese))
	case e.Unconfirmed != "":
		return p.say("verdict-node", e.Unconfirmed)
	case chinese && e.MsgZH != "":
		return e.MsgZH
	}
	return e.Msg
}

// StepName is the name of the verifier's step as a verdict names it: in
// English the step itself (digest), with chinese followed by its Chinese
// name (digest（文件摘要）).
func StepName(step string, chinese bool) string {
	if zh, ok := stepNames[step]; ok && chinese {
		return step + "（" + zh + "）"
	}
	return step
}

// ReasonZH is the Chinese reason for a receipt verification error err:
// that of the first of the receipt package's sentinels it wraps; "" for
// none.
func ReasonZH(err error) string {
	for _, r := range reasonsZH {
		if errors.Is(err, r.err) {
			return r.zh
		}
	}
	return ""
}

// reasonsZH say in Chinese what the verifier's sentinel errors mean: a
// Chinese verdict prints the one a failed step wraps under the verifier's
// own (English) reason, which keeps the details.
var reasonsZH = []struct {
	err error
	zh  string
}{
	{receipt.ErrMalformed, "回执格式有误：不是该版本的规范回执文档"},
	{receipt.ErrBadTrust, "信任包无法使用"},
	{receipt.ErrDigest, "该文件不是此回执所指的证据：其摘要或大小与回执不符"},
	{receipt.ErrCustody, "保管事件未通过核验：格式有误、未构成一条完整的哈希链，或首个事件与回执的证据不符"},
	{receipt.ErrIncomplete, "保管链完整性未通过核验"},
	{receipt.ErrTimestamp, "时间戳未通过核验"},
	{receipt.ErrInclusion, "事件不在检查点的日志中"},
	{receipt.ErrCheckpoint, "检查点未通过核验：不是受信任链上由三分之二以上表决权签署的区块，或其状态与日志不符"},
	{receipt.ErrRecord, "回执内附的证据记录未通过核验"},
}

// stepNames are the verifier's steps in Chinese, shown beside their names.
var stepNames = map[string]string{
	"format": "格式", "digest": "文件摘要", "custody": "保管链", "completeness": "完整性",
	"timestamp": "时间戳", "inclusion": "包含证明", "checkpoint": "检查点", "evidence-record": "证据记录",
}

// eventTypes are the custody event types in Chinese, the words the
// `custos` tables use (cmd/custos messages.go, "val.<type>") where they
// have one; the verifier links no server code, so it keeps its own list.
// English prints the type itself; a type not listed prints as it is.
var eventTypes = map[string]string{
	"created": "创建", "viewed": "查看", "downloaded": "下载", "listed": "列出",
	"shared": "共享", "unshared": "撤销共享", "certified": "出具公证书",
	"copyright.registered":         "作品登记",
	"copyright.transfer_offered":   "提出著作权转让要约",
	"copyright.transferred":        "著作权已转让",
	"copyright.transfer_declined":  "著作权转让要约被拒绝",
	"copyright.transfer_withdrawn": "著作权转让要约已撤回",
	"copyright.transfer_expired":   "著作权转让要约已过期",
	"copyright.revoked":            "作品登记已撤销",
	"copyright.certified":          "出具作品登记证书",
	"ers.timestamp_renewed":        "证据记录时间戳续期",
	"ers.hashtree_renewed":         "证据记录哈希树续期",
	// An organization's audit chain.
	"org.created": "机构创建", "org.renamed": "机构更名", "org.updated": "机构设置变更",
	"org.name_conflict": "机构名称冲突", "org.share_notice_dropped": "丢弃共享通知", "org.share_notices_resent": "重新发送共享通知",
	"org.integrity_requested": "请求完整性审计", "org.upgrade_voted": "投票升级链",
	"org.audit_read": "读取审计链", "org.keys_listed": "列出密钥",
	"key.created": "创建密钥", "key.revoked": "撤销密钥",
	"webhook.created": "创建 Webhook", "webhook.deleted": "删除 Webhook", "webhook.adopted": "接管 Webhook",
	"copyright.offer_sent":      "发出著作权转让要约",
	"copyright.offer_received":  "收到著作权转让要约",
	"copyright.offer_accepted":  "著作权转让要约已接受",
	"copyright.offer_declined":  "著作权转让要约已拒绝",
	"copyright.offer_withdrawn": "著作权转让要约已撤回",
	"copyright.offer_expired":   "著作权转让要约已过期",
	"org.name_claimed":          "机构名称被他人认领",
}

// subjectsZH are, in Chinese, the subjects of a viewed event that name
// what was read (docs/custody-events.md); `custos custody` shows them so
// too (Subject), and the pages ("subject.<subject>" in i18n.js). A
// subject of kind:value pairs (copyright:r1) prints as it is.
var subjectsZH = map[string]string{
	"metadata": "元数据", "custody": "保管链", "timestamp": "时间戳令牌", "receipt": "回执", "content": "文件内容",
	"evidence-record": "证据记录",
}

// Subject is a custody event's subject as a person reads it: with
// chinese, what a viewed event read in Chinese (metadata is 元数据); else,
// and for any other subject, as it is.
func Subject(s string, chinese bool) string {
	if zh, ok := subjectsZH[s]; ok && chinese {
		return zh
	}
	return s
}

// subject is a custody event's subject in the printer's language.
func (p printer) subject(s string) string { return Subject(s, p.chinese) }

// eventType is a custody event's type in the printer's language.
func (p printer) eventType(t string) string {
	if zh, ok := eventTypes[t]; ok && p.chinese {
		return zh
	}
	return t
}

// readSpan is the span of a folded read's reads, from since to until (the
// event's canonical times, UTC): "10:02–10:09" within one day (with
// seconds within one minute), else with the dates.
func readSpan(since, until string) string {
	a, err1 := time.Parse(time.RFC3339Nano, since)
	b, err2 := time.Parse(time.RFC3339Nano, until)
	if err1 != nil || err2 != nil { // the verifier checked them; never here
		return since + "–" + until
	}
	a, b = a.UTC(), b.UTC()
	layout := "15:04"
	switch {
	case a.Format(time.DateOnly) != b.Format(time.DateOnly):
		layout = "2006-01-02 15:04"
	case a.Truncate(time.Minute).Equal(b.Truncate(time.Minute)):
		layout = "15:04:05"
	}
	return a.Format(layout) + "–" + b.Format(layout)
}

// printer writes the verdict's lines in one language.
type printer struct {
	out     interface{ Write([]byte) (int, error) }
	chinese bool
}

// say is the line id with args, in the printer's language.
func (p printer) say(id string, args ...any) string {
	w := words[id]
	f := w[0]
	if p.chinese {
		f = w[1]
	}
	return fmt.Sprintf(f, args...)
}

// line writes the line id with args.
func (p printer) line(id string, args ...any) {
	fmt.Fprintln(p.out, p.say(id, args...))
}

// raw writes a line that is the same in both languages.
func (p printer) raw(format string, args ...any) {
	fmt.Fprintf(p.out, format+"\n", args...)
}

// failed is the first line of a failed step.
func (p printer) failed(step string) {
	if p.chinese {
		p.line("failed", step, stepNames[step])
		return
	}
	p.line("failed", step)
}

// ChineseLocale reports whether the locale (LC_ALL, else LC_MESSAGES,
// else LANG, as getenv reads them) asks for Simplified Chinese: zh, zh_CN,
// zh_SG, zh_MY or zh_Hans…, not zh_TW, zh_HK or zh_Hant (for which there
// is no Traditional text). It is the rule `custos` uses for its own words.
func ChineseLocale(getenv func(string) string) bool {
	var loc string
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = getenv(k); loc != "" {
			break
		}
	}
	loc, _, _ = strings.Cut(loc, ".")
	loc, _, _ = strings.Cut(loc, "@")
	tag := strings.ToLower(strings.ReplaceAll(loc, "_", "-"))
	switch {
	case tag == "zh", tag == "zh-cn", tag == "zh-sg", tag == "zh-my", strings.HasPrefix(tag, "zh-hans"):
		return true
	}
	return false
}

// kindsZH are the kinds of a consortium's members in Chinese, as the
// verification page names them.
var kindsZH = map[string]string{"court": "法院", "notary": "公证机构", "arbitration": "仲裁机构", "other": "其他"}

// kind is a member's kind in the printer's language.
func (p printer) kind(k string) string {
	if z, ok := kindsZH[k]; ok && p.chinese {
		return z
	}
	return k
}
