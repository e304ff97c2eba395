package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/custos-project/custos/api/client"
	prob "github.com/custos-project/custos/internal/problem"
)

// lang is the language the CLI speaks: Chinese for a Simplified Chinese
// locale, else English. run sets it from the locale (the rule the API
// client uses for Accept-Language).
var lang = prob.English

// languageFrom chooses the CLI's language from the locale (LC_ALL, else
// LC_MESSAGES, else LANG): zh_CN.*, zh_SG.*, zh and zh_Hans… give
// Chinese; C, POSIX, no locale and every other give English.
func languageFrom(getenv func(string) string) prob.Lang {
	return prob.Negotiate(client.LanguageFromEnv(getenv))
}

// setLanguage chooses the CLI's language from the locale. (No --lang
// flag: copyright pdf's --lang is the certificate's language.)
func setLanguage() {
	lang = languageFrom(os.Getenv)
}

// tr puts the CLI's message id into words in the CLI's language, its
// {name} parameters given as name, value pairs. A missing id reads as
// itself (TestCLICatalogUsed catches it).
func tr(id string, kv ...any) string {
	t, ok := messages[id]
	if !ok {
		return id
	}
	s := t.en
	if lang == prob.Chinese {
		s = t.zh
	}
	for i := 0; i+1 < len(kv); i += 2 {
		name, _ := kv[i].(string)
		s = strings.ReplaceAll(s, "{"+name+"}", fmt.Sprint(kv[i+1]))
	}
	return s
}

// header is a table heading in the CLI's language: its English words,
// or the catalog's "col." entry in Chinese.
func header(en string) string {
	if _, ok := messages["col."+en]; ok {
		return tr("col." + en)
	}
	return en // a column of a list without listColumns: the field's name
}

// cellValue is a value of a table cell in the CLI's language: the
// catalog's "val." entry for it if there is one (an item's status, a
// custody event's type; "kind.court", "role.admin" for a kind or a role,
// whose words depend on the field), else the value as it is.
// kindCell is an organization's kind as tables and reports show it
// (cellValue of its kind field: "法院" for court in Chinese).
func kindCell(kind string) string { return cellValue(kindField + "." + kind) }

// kindField is the name of an organization's kind field, the first part
// of its values' catalog entries.
const kindField = "kind"

func cellValue(v string) string {
	if _, ok := messages["val."+v]; ok {
		return tr("val." + v)
	}
	return v
}

// notice writes a catalog message to standard error, after "custos: ".
func notice(id string, kv ...any) {
	noticeTo(os.Stderr, id, kv...)
}

// noticeTo is notice to w (a command's standard error).
func noticeTo(w io.Writer, id string, kv ...any) {
	fmt.Fprintln(w, "custos: "+tr(id, kv...))
}

// failure is an error that exits with code and says the catalog message id.
func failure(code int, id string, kv ...any) error {
	return exitError{code: code, msg: tr(id, kv...)}
}

// wrapError is a catalog message about a cause that it still wraps, so
// that errors.Is and root's unreachable see the cause (a server that did
// not answer is said as such).
type wrapError struct {
	msg string
	err error
}

func (e wrapError) Error() string { return e.msg }
func (e wrapError) Unwrap() error { return e.err }

// wrapped is err put into the catalog message id, whose {err} is err's
// own words, in the CLI's language.
func wrapped(err error, id string, kv ...any) error {
	var words any = err
	var te *client.TimeoutError
	switch {
	case errors.Is(err, context.Canceled): // ^C: not Go's "interrupt signal received"
		words = tr("why.interrupted")
	case errors.As(err, &te): // a download's bytes stopped (timeouts.go)
		words = tr("why.stalled", "after", humanDuration(te.After))
	}
	return wrapError{tr(id, append(kv, "err", words)...), err}
}

// text is a message in English and in Simplified Chinese, its parameters
// written {name} (as in internal/problem's catalog).
type words struct{ en, zh string }

// failureOf is an error that exits with code and says err's own words.
func failureOf(code int, err error) error {
	return exitError{code: code, msg: err.Error()}
}

// messages is the CLI's own words in English and Simplified Chinese:
// usage errors, failures, notices and table headings ("col." ids). The
// server's refusals come already in the user's language (Accept-Language).
// TestCLICatalog checks every entry has both, with the same parameters.
var messages = map[string]words{
	// Usage errors.
	"usage.needs-token":          {"{cmd} needs --token, $CUSTOS_TOKEN or a saved profile ('custos login')", "{cmd} 需要 --token、$CUSTOS_TOKEN 或已保存的配置（'custos login'）"},
	"usage.takes":                {"{cmd} takes {what} (see '{cmd} --help')", "{cmd} 需要{what}（见 '{cmd} --help'）"},
	"usage.needs-subcommand":     {"{cmd} needs a subcommand (see '{cmd} --help')", "{cmd} 需要一个子命令（见 '{cmd} --help'）"},
	"usage.numbering":            {"give --year and --next together, or neither (to show the numbering)", "--year 与 --next 须同时给出，或都不给出（以查看编号）"},
	"usage.needs-flag":           {"{cmd} needs --{flag}", "{cmd} 需要 --{flag}"},
	"usage.expires":              {"--expires must be an RFC 3339 time such as 2027-06-30T00:00:00Z", "--expires 须为 RFC 3339 时间，例如 2027-06-30T00:00:00Z"},
	"usage.org-update":           {"{cmd} needs --name or --unlisted-by-default", "{cmd} 需要 --name 或 --unlisted-by-default"},
	"usage.share-one-of":         {"share needs exactly one of --evidence and --matter", "share 需要 --evidence 与 --matter 二者之一（且只能一个）"},
	"usage.limit":                {"--limit is a number from 1 to 500", "--limit 须为 1 到 500 之间的数"},
	"usage.refused-limit":        {"--limit is a number from 1 to 1000", "--limit 须为 1 到 1000 之间的数"},
	"usage.wait":                 {"--wait is a duration from 0 to {max}", "--wait 须为 0 到 {max} 之间的时长"},
	"usage.tree-sizes":           {"log consistency takes two tree sizes, whole numbers", "log consistency 需要两个树大小（整数）"},
	"usage.pem":                  {"--pem is root or tsa-chain", "--pem 须为 root 或 tsa-chain"},
	"usage.cert-one-of":          {"{cmd} needs exactly one of --evidence and --matter", "{cmd} 需要 --evidence 与 --matter 二者之一（且只能一个）"},
	"usage.applicant-both":       {"{cmd} takes either --applicant-org or --applicant-name and --applicant-id, not both", "{cmd} 接受 --applicant-org，或 --applicant-name 加 --applicant-id，不能同时使用"},
	"usage.applicant-pair":       {"{cmd} needs --applicant-name and --applicant-id together", "{cmd} 需要同时给出 --applicant-name 和 --applicant-id"},
	"usage.consistency":          {"consistency needs --old, --new, --trust and one of --server or --proof", "consistency 需要 --old、--new、--trust，以及 --server 或 --proof 之一"},
	"usage.trust-bundle":         {"trust bundle {path}: {err}", "信任包 {path}：{err}"},
	"out.consistency-checkpoint": {"✓ checkpoint {chain} height {height}: {size} leaves, root {root}", "✓ 检查点 {chain} 高度 {height}：{size} 个叶子，根 {root}"},
	"out.consistency-prefix":     {"✓ the first {size} leaves are unchanged in the later log (RFC 6962 consistency proof)", "✓ 前 {size} 个叶子在较新的日志中未被改动（RFC 6962 一致性证明）"},
	"out.consistent":             {"CONSISTENT", "CONSISTENT（一致）"},
	"usage.gov-key-cert":         {"signing a proposal or a vote needs --key and --cert (the member's governance key and certificate)", "签署提案或投票需要 --key 和 --cert（成员的治理密钥及其证书）"},
	"usage.gov-cert-pair":        {"--cert {path}: want two PEM certificates, the governance certificate then its organization CA", "--cert {path}：须为两个 PEM 证书，先是治理证书，再是其机构 CA 证书"},
	"usage.gov-key-mismatch":     {"--key {key} is not the key of the certificate in --cert {cert}", "--key {key} 不是 --cert {cert} 中证书的密钥"},
	"usage.gov-expires":          {"--expires-in must be 1..{max} blocks", "--expires-in 须为 1 到 {max} 个区块"},
	"usage.gov-action":           {`unknown action "{action}": want admit, remove, rotate, power or retire-ca`, "未知的动作“{action}”：须为 admit、remove、rotate、power 或 retire-ca"},
	"usage.gov-args":             {"propose {action} takes {n} argument(s) (see 'custos consortium propose --help')", "propose {action} 需要 {n} 个参数（见 'custos consortium propose --help'）"},
	"usage.gov-member-twice":     {`two members are named "{name}": give the member ID`, "有两个成员名为“{name}”：请给出成员 ID"},
	"usage.gov-member-unknown":   {`"{name}" is neither a member ID (64 hex digits) nor the name of a current member`, "“{name}”既不是成员 ID（64 位十六进制），也不是现有成员的名称"},
	"usage.gov-power":            {`power "{power}": want a whole number 1..{max}`, "表决权“{power}”：须为 1 到 {max} 之间的整数"},
	"usage.gov-one-cert":         {"{path}: want one PEM certificate", "{path}：须为一个 PEM 证书"},
	"usage.gov-validator-file":   {"{path}: not a CometBFT priv_validator_key.json with an Ed25519 pub_key", "{path}：不是含 Ed25519 pub_key 的 CometBFT priv_validator_key.json"},
	"usage.gov-validator-key":    {`validator key "{key}": want a priv_validator_key.json or a 32-byte Ed25519 key in base64`, "验证者密钥“{key}”：须为 priv_validator_key.json，或 base64 编码的 32 字节 Ed25519 密钥"},
	"usage.gov-pin":              {"a key in a PKCS#11 token needs exactly one of --pin-env and --pin-file (the token's PIN never goes on the command line)", "PKCS#11 令牌中的密钥需要 --pin-env 与 --pin-file 二者之一（且只能一个；令牌的 PIN 绝不写在命令行上）"},
	"usage.gov-pin-file-key":     {"--pin-env and --pin-file are for a key in a PKCS#11 token (--key pkcs11:...), not a key file", "--pin-env 和 --pin-file 用于 PKCS#11 令牌中的密钥（--key pkcs11:...），不用于密钥文件"},
	"usage.gov-cert-flags":       {"governance-cert needs --ca, --ca-key, --key and -o", "governance-cert 需要 --ca、--ca-key、--key 和 -o"},
	"usage.gov-cert-exists":      {"{path} exists: choose another -o (a governance certificate is not overwritten)", "{path} 已存在：请另选 -o（治理证书不会被覆盖）"},
	"out.gov-key-token":          {"in the PKCS#11 token {token} ({key})", "位于 PKCS#11 令牌 {token}（{key}）"},
	"out.gov-key-file":           {"in the file {path}", "位于文件 {path}"},
	"usage.join-from":            {"--from goes with --finish: the new member asks a member's node for its peers once its node certificate exists", "--from 须与 --finish 一起使用：新成员的节点证书签发后，才能向成员节点询问其对等节点"},
	"out.join-peers":             {"Peers from {from}: {peers} member peer API URL(s) in [consortium.peers], {p2p} CometBFT peer(s) in [chain] peers.", "来自 {from} 的对等节点：[consortium.peers] 中 {peers} 个成员的节点间 API URL，[chain] peers 中 {p2p} 个 CometBFT 对等节点。"},
	"usage.gov-yes-no":           {"consortium vote needs one of --yes or --no", "consortium vote 需要 --yes 或 --no 之一"},
	"usage.consistency-proof":    {"consistency proof: {err}", "一致性证明：{err}"},
	"usage.upgrade-height":       {"consortium upgrade needs --height H (a block height ahead of the chain)", "consortium upgrade 需要 --height H（高于当前链高度的区块高度）"},
	"usage.init":                 {"consortium init needs --out DIR and at least one --org KIND:NAME", "consortium init 需要 --out DIR 和至少一个 --org KIND:NAME"},
	"usage.join":                 {"consortium join needs --out DIR and --org KIND:NAME (or --finish ADMISSION)", "consortium join 需要 --out DIR 和 --org KIND:NAME（或 --finish ADMISSION）"},
	"usage.admit":                {"consortium admit needs --root-dir OFFLINE, --request FILE and --out ADMISSION", "consortium admit 需要 --root-dir OFFLINE、--request FILE 和 --out ADMISSION"},
	"usage.rotate-key":           {"consortium rotate-key needs --config FILE and --org-ca-key KEY", "consortium rotate-key 需要 --config FILE 和 --org-ca-key KEY"},
	"usage.state-version":        {"--state-version must be {v1} or {latest}", "--state-version 须为 {v1} 或 {latest}"},
	"usage.out-not-empty":        {"{out} exists and is not empty; choose a new folder", "{out} 已存在且不为空；请另选一个新文件夹"},
	"usage.metadata-file":        {"--metadata {path}: {err}", "--metadata {path} 有误：{err}"},
	"usage.search-one-of":        {"search takes exactly one of --sha256, --number and FILE", "search 需要 --sha256、--number 与 FILE 三者之一（且只能一个）"},
	"usage.sha256":               {"--sha256 must be 64 hex digits", "--sha256 须为 64 位十六进制数字"},
	"usage.login-server":         {"login needs --server URL (or $CUSTOS_SERVER)", "login 需要 --server URL（或 $CUSTOS_SERVER）"},
	"usage.login-token":          {"login needs a token: --token-stdin, --token or $CUSTOS_TOKEN", "login 需要令牌：--token-stdin、--token 或 $CUSTOS_TOKEN"},
	"usage.no-profile":           {"no profile \"{name}\" (see 'custos profile list')", "没有名为 \"{name}\" 的配置（见 'custos profile list'）"},
	"usage.no-profile-save":      {"no profile \"{name}\" (see 'custos profile list'; 'custos login --profile {name}' saves one)", "没有名为 \"{name}\" 的配置（见 'custos profile list'；'custos login --profile {name}' 可保存一个）"},
	"usage.lookup-one-of":        {"lookup takes one of FILE, --sha256 HEX and --sm3 HEX (see 'custos lookup --help')", "lookup 需要 FILE、--sha256 HEX 与 --sm3 HEX 三者之一（见 'custos lookup --help'）"},
	"usage.pki-for":              {"--for must be tsa or notary, not \"{for}\"", "--for 须为 tsa 或 notary，而不是 \"{for}\""},
	"usage.file-err":             {"{path}: {err}", "文件 {path}：{err}"},
	"usage.flag":                 {"{err} (see '{cmd} --help')", "{err}（见 '{cmd} --help'）"},
	"usage.submit-file":          {"submit needs at least one FILE", "submit 需要至少一个 FILE"},
	"usage.verify":               {"verify needs --receipt FILE and --trust BUNDLE (see 'custos verify --help')", "verify 需要 --receipt FILE 和 --trust BUNDLE（见 'custos verify --help'）"},
	"usage.verify-pdf-alone":     {"verify --pdf checks a certificate PDF alone: it takes no --receipt or --file", "verify --pdf 只检查证书 PDF 本身：不接受 --receipt 或 --file"},
	"usage.verify-pdf-roots":     {"verify --pdf needs --trust BUNDLE, --roots PEM or both (see 'custos verify --help')", "verify --pdf 需要 --trust BUNDLE、--roots PEM 或两者（见 'custos verify --help'）"},
	"usage.roots-pem":            {"{path}: want one or more PEM certificates ({err})", "{path}：应为一个或多个 PEM 证书（{err}）"},
	"usage.roots-not-ca":         {"{path}: {subject} is not a CA certificate", "{path}：{subject} 不是 CA 证书"},
	"usage.root-pem":             {"{path}: root_pem: want one certificate ({err})", "{path}：root_pem：应为一个证书（{err}）"},
	"usage.pdf-too-large":        {"{path}: over {mib} MiB, not a certificate Custos issued", "{path}：超过 {mib} MiB，不是 Custos 签发的证书"},

	// The server's 404 of a name that names nothing, the flag that gave it named (flagnames.go).
	"fail.no-such-org-name":     {`{flag} "{value}" is neither the ID nor the name of an organization of this node or of the consortium directory. {command} lists the consortium's organizations with their names and IDs.`, "选项 {flag} 的值“{value}”既不是本节点或联盟目录中任何机构的 ID，也不是其名称。可用命令 {command} 列出联盟各机构的名称和 ID。"},
	"fail.no-such-matter-title": {`{flag} "{value}" is neither the ID nor the title of a matter you may see. {command} lists yours.`, "选项 {flag} 的值“{value}”既不是您可查看的任何案件的 ID，也不是其标题。可用命令 {command} 列出您的案件。"},
	"fail.did-you-mean":         {"{detail} Did you mean {names}?", "{detail}您是不是要找{names}？"},

	// Failures (exit status 1).
	// custos receipt of an item not anchored yet (the server's 202), its
	// status in the CLI's words; it was the client's English in Chinese.
	// copyright register past --wait: registered, no number yet.
	"notice.copyright-pending": {"{id} is registered, but the chain has not numbered it within {wait} (pending): custos copyright get {id} shows its number once it is assigned", "{id} 已登记，但联盟链在 {wait} 内尚未为其编号（待处理）：编号分配后，可用 custos copyright get {id} 查看"},
	// An empty positional argument (positional): "$ID" of a variable that
	// an earlier command failed to set.
	"usage.empty-arg":              {"{cmd} was given an empty argument: is the shell variable meant to hold it set? (the command that sets it may have failed)", "{cmd} 收到了一个空参数：应保存它的 shell 变量是否已设置？（设置它的命令可能已失败）"},
	"fail.pending":                 {"{id} is {status}, not anchored yet: retry, or wait longer with --wait (at most {max})", "{id} 状态为“{status}”，尚未上链：请重试，或用 --wait 等待更久（最长 {max}）"},
	"fail.wait":                    {"{err}; retry, or wait longer with --wait", "{err}；请重试，或用 --wait 等待更久"},
	"fail.audit":                   {"the integrity audit found {n} faults", "完整性审计发现 {n} 处问题"},
	"fail.proof-sizes":             {"the proof is for sizes {first}→{second}, the checkpoints have {old}→{new}", "该证明针对的树大小为 {first}→{second}，而检查点为 {old}→{new}"},
	"fail.not-consistent":          {"NOT CONSISTENT at step {step}\n  expected: {want}\n  computed: {got}", "不一致（NOT CONSISTENT），步骤 {step}\n  应为：{want}\n  算得：{got}"},
	"fail.digest-stdout":           {"{id}: DIGEST MISMATCH: the bytes written to standard output have SHA-256 {got}, the item's recorded digest is {want}; discard them", "{id}：摘要不符（DIGEST MISMATCH）：写到标准输出的内容 SHA-256 为 {got}，而该证据记录的摘要为 {want}；请丢弃这些内容"},
	"fail.digest-file":             {"{id}: DIGEST MISMATCH: what arrived has SHA-256 {got}, the item's recorded digest is {want}; nothing was saved", "{id}：摘要不符（DIGEST MISMATCH）：收到的内容 SHA-256 为 {got}，而该证据记录的摘要为 {want}；未保存任何文件"},
	"fail.rotate-dev":              {"rotate-key is for a consortium member's node (a configuration with [chain] trust)", "rotate-key 仅用于联盟成员的节点（配置中有 [chain] trust）"},
	"fail.rotate-prepared":         {"{path} exists: a new validator key is already prepared (remove it, and pki/node.next.pem, to prepare another)", "{path} 已存在：新的验证者密钥已准备好（如要另备一个，请先删除它及 pki/node.next.pem）"},
	"fail.rotate-org-key":          {"--org-ca-key {key} is not the key of this member's organization CA ({cert})", "--org-ca-key {key} 不是本成员机构 CA（{cert}）的密钥"},
	"out.rotate-ready":             {"A new validator key is ready beside the node's, unused: {key} (node certificate {cert}); its public key {pub}", "新的验证者密钥已放在节点密钥旁，尚未使用：{key}（节点证书 {cert}）；其公钥为 {pub}"},
	"out.rotate-propose":           {"Have the member's administrators propose the rotation, and the members vote:", "请本成员的管理员提议轮换，再由各成员投票："},
	"out.rotate-restart":           {"Once the proposal is applied (custos consortium proposal ID), restart this node: it switches to the new key at start.", "提案生效（applied，见 custos consortium proposal ID）后重启本节点：节点启动时改用新密钥。"},
	"fail.fsck":                    {"the store has integrity problems (see the report)", "存储存在完整性问题（见报告）"},
	"fail.no-profile":              {"no saved profile to log out of", "没有可退出的已保存配置"},
	"fail.not-installed":           {"not installed: {err}", "未安装：{err}"},
	"fail.not-filed":               {"{failed} of {n} files were not filed", "{n} 个文件中有 {failed} 个未能提交"},
	"fail.receipt-invalid":         {"the receipt is NOT valid: the {step} check failed", "该回执无效（NOT valid）：{step} 检查未通过"},
	"fail.evidence-record-invalid": {"the receipt is valid, but the evidence record is NOT valid for this file", "回执有效，但证据记录对此文件无效（NOT valid）"},
	"fail.unconfirmed":             {"the receipt is valid offline, but NOT CONFIRMED by {node}", "该回执离线验证有效，但未获 {node} 确认（NOT CONFIRMED）"},
	"fail.pdf-invalid":             {"the PDF is NOT valid: the {step} check failed", "该 PDF 无效（NOT valid）：{step} 检查未通过"},
	"fail.profile-mode":            {"refusing to read {path}: it holds API tokens and other users may read it (mode {mode}); make it yours alone with: chmod 600 {path}", "拒绝读取 {path}：其中保存着 API 令牌，而其他用户可以读取它（权限 {mode}）；请用以下命令设为仅本人可读：chmod 600 {path}"},

	// Notices on standard error (after "custos: ") and progress bars.
	"notice.key-created":        {"key {id} ({role}) created for organization {org}.", "已为机构 {org} 创建密钥 {id}（{role}）。"},
	"notice.key-token":          {"its token is the \"token\" field printed on standard output. It is shown only this once and cannot be recovered: store it now.", "其令牌是标准输出中的 \"token\" 字段。令牌只显示这一次，无法找回：请立即妥善保存。"},
	"notice.more":               {"more evidence: continue with --cursor {cursor}, or list with --all", "还有更多证据：用 --cursor {cursor} 继续，或用 --all 全部列出"},
	"notice.webhook-secret":     {"keep the secret now: it signs every delivery and is shown only this once", "请立即保存密钥（secret）：每次投递都用它签名，且只显示这一次"},
	"notice.saved-beside":       {"{id} saved as {path}, since {taken} exists ({size}, sha256 {sha256}, checked)", "{id} 已保存为 {path}（{taken} 已存在；{size}，sha256 {sha256}，已核对）"},
	"fail.download-names-taken": {"{path} and its next {n} numbered names are taken: give -o FILE, or -o another folder", "{path} 及其后 {n} 个编号名称均已被占用：请用 -o 指定文件，或用 -o 指定另一个文件夹"},
	"notice.saved":              {"{id} saved as {path} ({size}, sha256 {sha256}, checked)", "{id} 已保存为 {path}（{size}，sha256 {sha256}，已核对）"},
	"notice.file-failed":        {"{path}: {err}", "{path} 未能提交：{err}"},
	"notice.logged-in":          {"logged in to {server} as key \"{key}\" ({role}) of {org}; saved as profile \"{profile}\" in {path}", "已登录 {server}，身份为 {org} 的密钥 \"{key}\"（{role}）；已作为配置 \"{profile}\" 保存在 {path}"},
	"notice.profile-removed":    {"profile \"{profile}\" removed from {path}", "已从 {path} 删除配置 \"{profile}\""},
	"prompt.token":              {"API token: ", "API 令牌："},
	"progress.download":         {"downloading {id}", "正在下载 {id}"},
	"progress.upload":           {"uploading {file}", "正在上传 {file}"},
	// Waits on a server and verify --file's hashing, on a terminal
	// (progress.go).
	"progress.wait-receipt":   {"waiting up to {wait} for {id} to be anchored", "最多等待 {wait}，待 {id} 上链"},
	"progress.wait-copyright": {"registering {title}, then waiting up to {wait} for its number", "正在登记 {title}，随后最多等待 {wait} 以获取登记编号"},
	"progress.wait-block":     {"waiting up to {wait} for the transaction to be in a block", "最多等待 {wait}，待交易写入区块"},
	"progress.wait-audit":     {"waiting for the integrity audit to finish", "正在等待完整性审计完成"},
	"progress.hash":           {"hashing {file}", "正在计算 {file} 的摘要"},

	// Custody tables (custody.go).
	"custody.title":  {"Custody of {id}: {n} events", "{id} 的保管链：{n} 个事件"},
	"custody.reads":  {"Reads counted, not yet in the chain:", "已计数、尚未写入保管链的读取："},
	"custody.folded": {"{subject} ({n} reads since {since})", "{subject}（自 {since} 起读取 {n} 次）"},

	// Table headings, by their English words (header).
	"col.FORMER": {"FORMER", "已退出"}, // the directory: a former member's organization

	"col.PLACE":        {"PLACE", "位次"},
	"col.PAUSED":       {"PAUSED", "已暂停"}, // a webhook whose creator key is not active
	"col.REMOVED":      {"REMOVED", "移除于"},
	"col.YES":          {"YES", "赞成"},
	"col.NO":           {"NO", "反对"},
	"col.TOTAL":        {"TOTAL", "总表决权"},
	"col.ACTION":       {"ACTION", "动作"},
	"col.POWER":        {"POWER", "表决权"},
	"col.ADMITTED":     {"ADMITTED", "加入于"},
	"col.ACTOR":        {"ACTOR", "操作者"},
	"col.ANCHORED":     {"ANCHORED", "上链时间"},
	"col.APPLICANT":    {"APPLICANT", "申请人"},
	"col.CASE NUMBER":  {"CASE NUMBER", "案号"},
	"col.CREATED":      {"CREATED", "创建时间"},
	"col.CURRENT":      {"CURRENT", "当前"},
	"col.DISTANCE":     {"DISTANCE", "差异"},
	"col.EVENT":        {"EVENT", "事件"},
	"col.EVENTS":       {"EVENTS", "事件"},
	"col.EXPIRES":      {"EXPIRES", "到期时间"},
	"col.FILE":         {"FILE", "文件"},
	"col.FROM":         {"FROM", "转出方"},
	"col.GRANTEE":      {"GRANTEE", "被共享方"},
	"col.HEIGHT":       {"HEIGHT", "高度"},
	"col.ID":           {"ID", "编号 ID"},
	"col.ISSUED":       {"ISSUED", "签发时间"},
	"col.ITEMS":        {"ITEMS", "证据项"},
	"col.KIND":         {"KIND", "类型"},
	"col.LAST":         {"LAST", "最近"},
	"col.MATTER":       {"MATTER", "案件"},
	"col.MEMBER":       {"MEMBER", "成员"},
	"col.NAME":         {"NAME", "名称"},
	"col.NEXT ATTEMPT": {"NEXT ATTEMPT", "下次尝试"},
	"col.NUMBER":       {"NUMBER", "登记/证书号"},
	"col.OFFERED":      {"OFFERED", "要约时间"},
	"col.OWNER":        {"OWNER", "所有者"},
	"col.PARTIES":      {"PARTIES", "当事人"},
	"col.PREFIX":       {"PREFIX", "前缀"},
	"col.READS":        {"READS", "读取次数"},
	"col.REASON":       {"REASON", "原因"},
	"col.REGISTERED":   {"REGISTERED", "登记时间"},
	"col.REGISTRATION": {"REGISTRATION", "登记"},
	"col.REVOKED":      {"REVOKED", "撤销时间"},
	"col.ROLE":         {"ROLE", "角色"},
	"col.SEQ":          {"SEQ", "序号"},
	"col.SERVER":       {"SERVER", "服务器"},
	"col.SHA-256":      {"SHA-256", "SHA-256 摘要"},
	"col.SINCE":        {"SINCE", "起始"},
	"col.SIZE":         {"SIZE", "大小"},
	"col.SOFTWARE":     {"SOFTWARE", "软件版本"},
	"col.STATE":        {"STATE", "状态"},
	"col.LATEST STATE": {"LATEST STATE", "最新状态版本"},
	"col.STATUS":       {"STATUS", "状态"},
	"col.SUBJECT":      {"SUBJECT", "对象"},
	"col.TARGET":       {"TARGET", "对象"},
	"col.TIME":         {"TIME", "时间"},
	"col.TITLE":        {"TITLE", "标题"},
	"col.TO":           {"TO", "接收方"},
	"col.TOKEN":        {"TOKEN", "令牌"},
	"col.TYPE":         {"TYPE", "类型"},
	"col.URL":          {"URL", "网址 URL"},

	// The arguments a command takes (usage.takes), by their English words.
	"args.a proposal ID": {"a proposal ID", "一个提案 ID"},
	"args.no arguments":  {"no arguments", "不带参数"},
	"args.no arguments (or the subcommand list or revoke)": {"no arguments (or the subcommand list or revoke)", "不带参数（或子命令 list、revoke）"},
	"args.one registration ID":                             {"one registration ID", "一个登记 ID"},
	"args.one offer ID":                                    {"one offer ID", "一个转让要约 ID"},
	"args.one evidence ID":                                 {"one evidence ID", "一个证据 ID"},
	"args.one organization, by name or ID":                 {"one organization, by name or ID", "一个机构（名称或 ID）"},
	"args.one certificate ID":                              {"one certificate ID", "一个证书 ID"},
	"args.one ID":                                          {"one ID", "一个 ID"},
	"args.a webhook ID":                                    {"a webhook ID", "一个 webhook ID"},
	"args.two tree sizes":                                  {"two tree sizes", "两个树大小"},
	"args.one verification token":                          {"one verification token", "一个核验令牌"},
	"args.one share ID":                                    {"one share ID", "一个共享 ID"},
	"args.one profile name":                                {"one profile name", "一个配置名称"},
	"args.one organization ID":                             {"one organization ID", "一个机构 ID"},
	"args.one matter ID":                                   {"one matter ID", "一个案件 ID"},
	"args.one key ID":                                      {"one key ID", "一个密钥 ID"},
	"args.one PEM file: the certificate, then its issuers up to the root": {"one PEM file: the certificate, then its issuers up to the root", "一个 PEM 文件：先是证书，再是其各级签发者直至根证书"},

	// cobra's and pflag's own usage errors (cobrazh.go).
	"cobra.unknown-flag":            {"unknown flag: {flag}", "未知选项：{flag}"},
	"cobra.unknown-shorthand":       {"unknown shorthand flag: '{flag}' in {in}", "未知的短选项：{in} 中的 '{flag}'"},
	"cobra.needs-argument":          {"flag needs an argument: {flag}", "选项需要参数：{flag}"},
	"cobra.needs-argument-short":    {"flag needs an argument: '{flag}' in {in}", "选项需要参数：{in} 中的 '{flag}'"},
	"cobra.invalid-argument":        {"invalid argument {value} for \"{flag}\" flag: {err}", "选项 {flag} 的参数 {value} 无效：{err}"},
	"cobra.bad-syntax":              {"bad flag syntax: {flag}", "选项写法有误：{flag}"},
	"cobra.required":                {"required flag(s) {flags} not set", "未给出必需的选项：{flags}"},
	"cobra.unknown-command":         {"unknown command \"{name}\" for \"{cmd}\"", "{cmd} 没有命令“{name}”"},
	"cobra.unknown-command-suggest": {"unknown command \"{name}\" for \"{cmd}\"\n\nDid you mean this?\n{suggestions}", "{cmd} 没有命令“{name}”\n\n您要找的是不是：\n{suggestions}"},
	"cobra.min-args":                {"requires at least {n} arg(s), only received {got}", "至少需要 {n} 个参数，只收到 {got} 个"},
	"cobra.max-args":                {"accepts at most {n} arg(s), received {got}", "至多接受 {n} 个参数，收到 {got} 个"},
	"cobra.exact-args":              {"accepts {n} arg(s), received {got}", "需要 {n} 个参数，收到 {got} 个"},
	"usage.crypto":                  {"--crypto {value}: want ecdsa or sm", "--crypto {value}：须为 ecdsa 或 sm"},
	"fail.renewal-blocked":          {"{n} item(s) due for renewal could not be renewed: see errors", "{n} 项到期的证据记录未能续期：见 errors"},
	"fail.records-pending":          {"{n} of {total} evidence record(s) are not built yet (pending): the others are written; run again later", "{total} 份证据记录中有 {n} 份尚未生成（pending）：其余已写入；请稍后再运行"},
	"fail.join-suite":               {"refused: the join request's organization CA key is of the {got} suite, this consortium's root of the {want} suite; the new member makes its request again with custos consortium join --crypto {want}", "已拒绝：加入请求中机构 CA 的密钥属于 {got} 套件，本联盟根证书属于 {want} 套件；新成员须用 custos consortium join --crypto {want} 重新生成请求"},
	"fail.unreachable":              {"cannot reach the Custos server at {server}: {why}. Is it running, and is the address right (--server, $CUSTOS_SERVER or the saved profile)?", "无法连接 Custos 服务器 {server}：{why}。服务器是否在运行？地址是否正确（--server、$CUSTOS_SERVER 或已保存的配置）？"},
	"why.refused":                   {"nothing is listening there (connection refused)", "该地址上没有服务在监听（连接被拒绝）"},
	"why.no-host":                   {"no such host name", "找不到该主机名"},
	"why.timeout":                   {"no answer in time", "超时未响应"},
	"why.not-https":                 {"it speaks plain HTTP: write the address with http://", "它使用普通 HTTP：请以 http:// 开头书写地址"},
	"usage.server-url":              {"the server address \"{server}\" (from {from}) is not a URL: write it with http:// or https://, such as http://127.0.0.1:8080", "服务器地址“{server}”（来自 {from}）不是 URL：请以 http:// 或 https:// 开头，例如 http://127.0.0.1:8080"},
	// An address that begins with http:// or https:// but does not parse
	// (a port with a letter in it, a space): said without Go's 'parse …:
	// invalid port', and not told to begin with http://, which it does.
	"usage.server-url-bad": {"the server address \"{server}\" (from {from}) is not a valid URL: write it as http://HOST:PORT or https://HOST, the port in digits, such as http://127.0.0.1:8080", "服务器地址“{server}”（来自 {from}）不是有效的 URL：请写成 http://HOST:PORT 或 https://HOST，端口为数字，例如 http://127.0.0.1:8080"},
	// consortium init --org, and a --config file that cannot be read.
	// consortium init's line for a member ends with its API's address, in
	// the language's parentheses.
	"out.init-api":        {"(API {url})", "（API {url}）"},
	"usage.org-spec":      {"--org {value}: want KIND:NAME, KIND one of court, notary or arbitration, such as --org court:\"Hangzhou Internet Court\"", "--org {value}：应为 KIND:NAME，KIND 为 court、notary 或 arbitration 之一，例如 --org court:\"杭州互联网法院\""},
	"usage.org-twice":     {"--org {value}: {name} is named twice", "--org {value}：{name} 出现了两次"},
	"usage.config-unread": {"cannot read the configuration file {path}: {why}; give a member's custos.toml with --config (consortium init writes one in each member's folder)", "无法读取配置文件 {path}：{why}；请用 --config 给出成员的 custos.toml（consortium init 会在每个成员的文件夹中各写一份）"},
	"from.profile":        {"the saved profile", "已保存的配置"},
	"fail.login-refused":  {"the server did not accept the token: {err}", "服务器未接受该令牌：{err}"},
	"why.no-file":         {"no such file", "文件不存在"},
	"why.no-permission":   {"you may not read it (permission denied)", "无权读取（权限不足）"},
	"why.is-folder":       {"it is a folder", "这是一个文件夹"},
	"why.path-not-folder": {"a part of the path is a file, not a folder", "路径中有一段是文件而非文件夹"},
	"why.not-regular":     {"not a regular file (a folder?)", "不是普通文件（是文件夹吗？）"},
	// ^C while a command waits on its server (unreachable, wrapped), in
	// place of Go's 'Get "http://…": interrupt signal received'.
	"fail.interrupted": {"interrupted (Ctrl-C) before {server} answered; a command that changes something may or may not have done it there: check before you run it again",
		"已中断（Ctrl-C），{server} 尚未应答；会作出更改的命令在服务器上可能已完成，也可能未完成：重新运行前请先核实"},
	"why.interrupted": {"interrupted (Ctrl-C)", "已中断（Ctrl-C）"},
	// A server that did not answer in time (timeouts.go): no connection
	// (fail.unreachable's why), no answer, or a transfer whose bytes
	// stopped moving (fail.stalled; why.stalled in fail.transfer).
	"why.no-connection": {"no connection in {after} (a firewall that drops the connection looks the same)", "{after}内未能建立连接（被防火墙丢弃的连接也是如此）"},
	"fail.no-answer": {"the Custos server at {server} took the request but did not answer in {after}: it may be overloaded or stuck (its log says more), or a proxy between holds the request. A command that changes something may or may not have done it there: check before you run it again. $CUSTOS_TIMEOUT gives a slow server longer (such as CUSTOS_TIMEOUT=5m)",
		"Custos 服务器 {server} 已接收请求，但在 {after}内未应答：服务器可能过载或停滞（详见其日志），或中间的代理扣住了请求。会作出更改的命令在服务器上可能已完成，也可能未完成：重新运行前请先核实。可用 $CUSTOS_TIMEOUT 让较慢的服务器多等一会（例如 CUSTOS_TIMEOUT=5m）"},
	"fail.stalled": {"the transfer with the Custos server at {server} stopped: no byte moved in {after}, and it was given up. Check the network and the server (its log says more); a file it had not received whole is not filed. $CUSTOS_TIMEOUT gives a slow link longer (such as CUSTOS_TIMEOUT=5m)",
		"与 Custos 服务器 {server} 的传输已停滞：{after}内没有传输任何字节，已放弃。请检查网络和服务器（详见其日志）；服务器未完整接收的文件不会被提交。可用 $CUSTOS_TIMEOUT 让较慢的链路多等一会（例如 CUSTOS_TIMEOUT=5m）"},
	"why.stalled":       {"no byte moved in {after} (the server or the network stalled; $CUSTOS_TIMEOUT gives it longer)", "{after}内没有传输任何字节（服务器或网络停滞；可用 $CUSTOS_TIMEOUT 延长等待）"},
	"usage.timeout-env": {"$CUSTOS_TIMEOUT is a duration such as 30s, 5m or 0 (no limit), not \"{value}\"", "$CUSTOS_TIMEOUT 须为时长，例如 30s、5m 或 0（不限），而不是 \"{value}\""},
	// custos serve and fsck where a new user meets another node: the
	// address taken (a second make run), the data folder locked by a
	// running node; fsck of a folder with no store. Before, Go's and
	// bbolt's words, in English under a Chinese locale.
	"fail.listen-in-use": {"cannot serve on {addr}: another program uses that address (a custos serve already running?). Stop it, or serve on another address with --listen, such as --listen 127.0.0.1:9090 (make run LISTEN=127.0.0.1:9090), and give the CLI that server with --server or $CUSTOS_SERVER",
		"无法在 {addr} 上提供服务：该地址已被另一程序占用（已有 custos serve 在运行？）。请停止该程序，或用 --listen 换一个地址，例如 --listen 127.0.0.1:9090（make run LISTEN=127.0.0.1:9090），并用 --server 或 $CUSTOS_SERVER 告知命令行客户端该服务器"},
	"fail.data-locked": {"the data folder {dir} is in use by another custos (a node already running on it?): stop that one first, or give this one a folder of its own with --data DIR",
		"数据文件夹 {dir} 正被另一个 custos 使用（已有节点在其上运行？）：请先停止它，或用 --data DIR 为本节点另给一个文件夹"},
	"fail.numbering-locked": {"the data folder {dir} is in use by a running node: stop it first (certificate numbering is set on a stopped node)",
		"数据文件夹 {dir} 正被运行中的节点使用：请先停止节点（公证书编号须在节点停止时设定）"},
	"numbering.held": {"certificate numbering: HELD since {since}: {reason}", "公证书编号：自 {since} 起已暂停（HELD）：{reason}"},
	"numbering.free": {"certificate numbering: not held", "公证书编号：未暂停"},
	"numbering.year": {"  {year}: last number given {last}; next {next}", "  {year} 年：已出具的最后编号 {last}；下一个 {next}"},
	"fail.fsck-locked": {"the data folder {dir} is in use by a running node: stop it first (custos fsck checks a stopped node's store)",
		"数据文件夹 {dir} 正被运行中的节点使用：请先停止该节点（custos fsck 只检查已停止节点的存储）"},
	"fail.no-store": {"{dir} holds no Custos store ({file}: {why}): give the node's data folder with --data DIR, or its configuration with --config FILE",
		"{dir} 中没有 Custos 存储（{file}：{why}）：请用 --data DIR 给出节点的数据文件夹，或用 --config FILE 给出其配置"},
	"fail.submit-interrupted": {"interrupted (Ctrl-C) while filing {path}: it was not filed unless the server finished it just then (custos list shows what was filed); the files after it were not sent",
		"提交 {path} 时已中断（Ctrl-C）：除非服务器恰好已完成，否则未提交（custos list 可列出已提交的证据）；其后的文件均未发送"},

	"fail.record-id": {"refused: the server gave a record the ID {id}, which is not an ID; nothing is written", "已拒绝：服务器给出的证据记录 ID {id} 不是有效的 ID；未写入任何文件"},
	// Values in table cells (cellValue): an item's status, a custody
	// event's type, yes and no. JSON keeps the API's values.
	"val.timestamped": {"timestamped", "已加盖时间戳"},
	"val.anchored":    {"anchored", "已上链"},
	"val.pending":     {"pending", "待处理"},
	"val.created":     {"created", "创建"},
	"val.viewed":      {"viewed", "查看"},
	"val.downloaded":  {"downloaded", "下载"},
	"val.shared":      {"shared", "共享"},
	"val.unshared":    {"unshared", "撤销共享"},
	"val.listed":      {"listed", "列出"},
	"val.certified":   {"certified", "出具公证书"},
	// The other custody and audit event types, as custos verify names them
	// (internal/verifycli eventTypes).
	"val.copyright.registered":         {"copyright.registered", "作品登记"},
	"val.copyright.transfer_offered":   {"copyright.transfer_offered", "提出著作权转让要约"},
	"val.copyright.transferred":        {"copyright.transferred", "著作权已转让"},
	"val.copyright.transfer_declined":  {"copyright.transfer_declined", "著作权转让要约被拒绝"},
	"val.copyright.transfer_withdrawn": {"copyright.transfer_withdrawn", "著作权转让要约已撤回"},
	"val.copyright.transfer_expired":   {"copyright.transfer_expired", "著作权转让要约已过期"},
	"val.copyright.revoked":            {"copyright.revoked", "作品登记已撤销"},
	"val.copyright.certified":          {"copyright.certified", "出具作品登记证书"},
	"val.ers.timestamp_renewed":        {"ers.timestamp_renewed", "证据记录时间戳续期"},
	"val.ers.hashtree_renewed":         {"ers.hashtree_renewed", "证据记录哈希树续期"},
	"val.org.created":                  {"org.created", "机构创建"},
	"val.org.renamed":                  {"org.renamed", "机构更名"},
	"val.org.updated":                  {"org.updated", "机构设置变更"},
	"val.org.name_conflict":            {"org.name_conflict", "机构名称冲突"},
	"val.org.share_notice_dropped":     {"org.share_notice_dropped", "丢弃共享通知"},
	"val.org.share_notices_resent":     {"org.share_notices_resent", "重新发送共享通知"},
	"val.org.integrity_requested":      {"org.integrity_requested", "请求完整性审计"},
	"val.org.upgrade_voted":            {"org.upgrade_voted", "投票升级链"},
	"val.org.audit_read":               {"org.audit_read", "读取审计链"},
	"val.org.keys_listed":              {"org.keys_listed", "列出密钥"},
	"val.key.created":                  {"key.created", "创建密钥"},
	"val.key.revoked":                  {"key.revoked", "撤销密钥"},
	"val.webhook.created":              {"webhook.created", "创建 Webhook"},
	"val.webhook.deleted":              {"webhook.deleted", "删除 Webhook"},
	"val.webhook.adopted":              {"webhook.adopted", "接管 Webhook"},
	"val.copyright.offer_sent":         {"copyright.offer_sent", "发出著作权转让要约"},
	"val.copyright.offer_received":     {"copyright.offer_received", "收到著作权转让要约"},
	"val.copyright.offer_accepted":     {"copyright.offer_accepted", "著作权转让要约已接受"},
	"val.copyright.offer_declined":     {"copyright.offer_declined", "著作权转让要约已拒绝"},
	"val.copyright.offer_withdrawn":    {"copyright.offer_withdrawn", "著作权转让要约已撤回"},
	"val.copyright.offer_expired":      {"copyright.offer_expired", "著作权转让要约已过期"},
	"val.org.name_claimed":             {"org.name_claimed", "机构名称被他人认领"},
	"val.yes":                          {"yes", "是"},
	"val.no":                           {"no", "否"},
	// What a command that writes a file with -o FILE says on standard
	// error (savedNotice); download's notice.saved also gives the digest.
	"notice.saved-file": {"{id} saved as {path} ({size})", "{id} 已保存为 {path}（{size}）"},
	"notice.saved-anon": {"saved as {path} ({size})", "已保存为 {path}（{size}）"},
	// Field names of record views (label): Chinese only, English keeps
	// the JSON name; each dotted part is translated on its own.
	"label.actor":               {"actor", "操作者"},
	"label.anchored":            {"anchored", "已上链"},
	"label.anchored_at":         {"anchored_at", "上链时间"},
	"label.anchored_height":     {"anchored_height", "上链区块高度"},
	"label.applicant":           {"applicant", "申请人"},
	"label.authors":             {"authors", "作者"},
	"label.captured_at":         {"captured_at", "采集时间"},
	"label.case_number":         {"case_number", "案号"},
	"label.case_ref":            {"case_ref", "案件参考号"},
	"label.created":             {"created", "完成日期"},
	"label.created_at":          {"created_at", "创建时间"},
	"label.created_by":          {"created_by", "创建者"},
	"label.date":                {"date", "日期"},
	"label.deposit_holds":       {"deposit_holds", "暂缓上链的存证"},
	"label.deposits":            {"deposits", "存证次数"},
	"label.description":         {"description", "描述"},
	"label.directory":           {"directory", "目录"},
	"label.evidence":            {"evidence", "证据项"},
	"label.expires_at":          {"expires_at", "到期时间"},
	"label.file_name":           {"file_name", "文件名"},
	"label.first_publication":   {"first_publication", "首次发表"},
	"label.former_member":       {"former_member", "已退出成员"},
	"label.height":              {"height", "区块高度"},
	"label.held":                {"held", "暂缓提交"},
	"label.held_deposits":       {"held_deposits", "暂缓上链的存证数"},
	"label.held_since":          {"held_since", "最早暂缓时间"},
	"label.holder":              {"holder", "持有者"},
	"label.holder_member":       {"holder_member", "持有者所在成员"},
	"label.holder_member_name":  {"holder_member_name", "持有者所在成员名称"},
	"label.home_removed_at":     {"home_removed_at", "所在成员移除于区块高度"},
	"label.id":                  {"id", "编号 ID"},
	"label.id_number_masked":    {"id_number_masked", "证件号码（部分隐藏）"},
	"label.id_type":             {"id_type", "证件类型"},
	"label.issued_at":           {"issued_at", "签发时间"},
	"label.items":               {"items", "证据项"},
	"label.key":                 {"key", "密钥"},
	"label.kind":                {"kind", "类型"},
	"label.matter":              {"matter", "案件"},
	"label.matter_title":        {"matter_title", "案件标题"},
	"label.media_type":          {"media_type", "媒体类型"},
	"label.member":              {"member", "成员"},
	"label.member_name":         {"member_name", "成员名称"},
	"label.member_removed_at":   {"member_removed_at", "成员移除于区块高度"},
	"label.name":                {"name", "名称"},
	"label.notary":              {"notary", "公证员"},
	"label.number":              {"number", "登记/证书号"},
	"label.numbered_height":     {"numbered_height", "编号区块高度"},
	"label.office":              {"office", "公证处"},
	"label.org":                 {"org", "机构"},
	"label.org_name":            {"org_name", "机构名称"},
	"label.owner":               {"owner", "所有者"},
	"label.owner_org":           {"owner_org", "所有者机构"},
	"label.owner_org_name":      {"owner_org_name", "所有者机构名称"},
	"label.parties":             {"parties", "当事人"},
	"label.pdf_sha256":          {"pdf_sha256", "PDF 的 SHA-256 摘要"},
	"label.pdf_size":            {"pdf_size", "PDF 大小"},
	"label.permissions":         {"permissions", "权限"},
	"label.place":               {"place", "地点"},
	"label.prefix":              {"prefix", "前缀"},
	"label.readers":             {"readers", "可读机构"},
	"label.registered_at":       {"registered_at", "登记时间"},
	"label.released":            {"released", "已放行未提交"},
	"label.registrant":          {"registrant", "登记人"},
	"label.registrant_org":      {"registrant_org", "登记机构"},
	"label.revoke_reason":       {"revoke_reason", "撤销原因"},
	"label.revoked_at":          {"revoked_at", "撤销时间"},
	"label.revoked_by":          {"revoked_by", "撤销者"},
	"label.role":                {"role", "角色"},
	"label.serial":              {"serial", "序列号"},
	"label.sha256":              {"sha256", "SHA-256 摘要"},
	"label.size":                {"size", "大小"},
	"label.sm3":                 {"sm3", "SM3 摘要"},
	"label.status":              {"status", "状态"},
	"label.time":                {"time", "时间"},
	"label.timestamp":           {"timestamp", "时间戳"},
	"label.timestamps":          {"timestamps", "时间戳"},
	"label.title":               {"title", "标题"},
	"label.transfers":           {"transfers", "转让记录"},
	"label.tsa":                 {"tsa", "时间戳机构 TSA"},
	"label.type":                {"type", "类型"},
	"label.unlisted":            {"unlisted", "不公开列出"},
	"label.paused":              {"paused", "已暂停"},
	"label.paused_reason":       {"paused_reason", "暂停原因"},
	"label.unlisted_by_default": {"unlisted_by_default", "默认不公开列出"},
	"label.url":                 {"url", "网址 URL"},
	"label.verify_token":        {"verify_token", "核验令牌"},
	"label.year":                {"year", "年份"},
	// Field names of the other records the CLI shows as field: value
	// lines (webhook, share, transfer offer, renewal, audit, governance,
	// chain, log, profile...), and of the lists nested in them.
	"label.action":               {"action", "动作"},
	"label.audit_events":         {"audit_events", "审计事件数"},
	"label.bad_deposit_holds":    {"bad_deposit_holds", "有误的暂缓存证"},
	"label.bad_documents":        {"bad_documents", "有误的文书"},
	"label.bad_proofs":           {"bad_proofs", "有误的证明"},
	"label.bad_receipts":         {"bad_receipts", "有误的回执"},
	"label.bad_records":          {"bad_records", "有误的证据记录"},
	"label.bad_tokens":           {"bad_tokens", "有误的时间戳令牌"},
	"label.batches":              {"batches", "批次数"},
	"label.blobs":                {"blobs", "存储对象数"},
	"label.blocked":              {"blocked", "受阻"},
	"label.broken_chains":        {"broken_chains", "断裂的保管链"},
	"label.ca_sha256":            {"ca_sha256", "CA 证书的 SHA-256 摘要"},
	"label.certificates":         {"certificates", "公证书"},
	"label.chain_id":             {"chain_id", "链 ID"},
	"label.checkpoint_height":    {"checkpoint_height", "检查点区块高度"},
	"label.closed":               {"closed", "关闭于区块高度"},
	"label.copyright":            {"copyright", "著作权登记"},
	"label.custody_diverged":     {"custody_diverged", "与链上保管链头不符的证据"},
	"label.copyrights":           {"copyrights", "著作权登记"},
	"label.corrupt_blobs":        {"corrupt_blobs", "损坏的存储对象"},
	"label.current":              {"current", "当前"},
	"label.current_height":       {"current_height", "当前区块高度"},
	"label.deep":                 {"deep", "深度检查"},
	"label.documents":            {"documents", "文书"},
	"label.dry_run":              {"dry_run", "试运行"},
	"label.due_hashtree":         {"due_hashtree", "待续期（哈希树）"},
	"label.due_soon":             {"due_soon", "即将到期"},
	"label.due_timestamp":        {"due_timestamp", "待续期（时间戳）"},
	"label.effective":            {"effective", "生效于区块高度"},
	"label.error":                {"error", "错误"},
	"label.errors":               {"errors", "错误"},
	"label.events":               {"events", "事件"},
	"label.expires":              {"expires", "到期区块高度"},
	"label.file":                 {"file", "文件"},
	"label.findings":             {"findings", "发现的问题数"},
	"label.finished":             {"finished", "结束时间"},
	"label.finished_at":          {"finished_at", "结束时间"},
	"label.first":                {"first", "起始树大小"},
	"label.from":                 {"from", "转让方"},
	"label.from_name":            {"from_name", "转让方名称"},
	"label.grantee":              {"grantee", "被共享方"},
	"label.grantee_name":         {"grantee_name", "被共享方名称"},
	"label.hash":                 {"hash", "哈希算法"},
	"label.hashtree":             {"hashtree", "哈希树续期"},
	"label.heads_since":          {"heads_since", "版本 3 起始日志大小"},
	"label.home_member":          {"home_member", "所在成员"},
	"label.home_member_name":     {"home_member_name", "所在成员名称"},
	"label.interval":             {"interval", "间隔"},
	"label.lang":                 {"lang", "语言"},
	"label.last_run":             {"last_run", "上次运行"},
	"label.latest":               {"latest", "最近一次"},
	"label.latest_state_version": {"latest_state_version", "本节点支持的最新状态版本"},
	"label.matches":              {"matches", "匹配结果"},
	"label.members":              {"members", "成员"},
	"label.missing_blobs":        {"missing_blobs", "缺失的存储对象"},
	"label.missing_events":       {"missing_events", "缺失的事件"},
	"label.missing_items":        {"missing_items", "缺失的证据项"},
	"label.next_at":              {"next_at", "下次运行时间"},
	"label.next_expiry":          {"next_expiry", "最近到期时间"},
	"label.next_validator_set":   {"next_validator_set", "下一验证者集"},
	"label.no_power":             {"no_power", "反对表决权"},
	"label.now":                  {"now", "当前时间"},
	"label.offer":                {"offer", "转让要约"},
	"label.offered_at":           {"offered_at", "要约时间"},
	"label.offered_by":           {"offered_by", "要约发出者"},
	"label.org_ca":               {"org_ca", "机构 CA 证书"},
	"label.orphan_blobs":         {"orphan_blobs", "孤立的存储对象"},
	"label.parked_deposits":      {"parked_deposits", "无法读取而搁置的存证"},
	"label.override":             {"override", "强制"},
	"label.owner_name":           {"owner_name", "所有者名称"},
	"label.passed":               {"passed", "通过于区块高度"},
	"label.pending":              {"pending", "待处理"},
	"label.phash":                {"phash", "感知哈希"},
	"label.phash_skipped":        {"phash_skipped", "未计算感知哈希的原因"},
	"label.power":                {"power", "表决权"},
	"label.proof":                {"proof", "证明"},
	"label.proposal":             {"proposal", "提案"},
	"label.proposals":            {"proposals", "提案"},
	"label.proposer":             {"proposer", "提案者"},
	"label.proven_events":        {"proven_events", "已证明的事件数"},
	"label.reason":               {"reason", "原因"},
	"label.receipt":              {"receipt", "回执"},
	"label.record":               {"record", "证据记录"},
	"label.records":              {"records", "证据记录"},
	"label.renew_before":         {"renew_before", "提前续期期限"},
	"label.renewed":              {"renewed", "已续期"},
	"label.report":               {"report", "报告"},
	"label.retired_hashes":       {"retired_hashes", "已停用的哈希算法"},
	"label.retired_signatures":   {"retired_signatures", "已停用的签名算法"},
	"label.root":                 {"root", "根哈希"},
	"label.running":              {"running", "进行中"},
	"label.second":               {"second", "终止树大小"},
	"label.secret":               {"secret", "签名密钥"},
	"label.server":               {"server", "服务器"},
	"label.server_from":          {"server_from", "服务器来源"},
	"label.settled_at":           {"settled_at", "了结时间"},
	"label.settled_by":           {"settled_by", "了结者"},
	"label.signed_header":        {"signed_header", "已签名区块头"},
	"label.size_mismatch":        {"size_mismatch", "大小不符"},
	"label.started":              {"started", "开始时间"},
	"label.started_at":           {"started_at", "开始时间"},
	"label.state":                {"state", "提案现状"},
	"label.state_root":           {"state_root", "状态根"},
	"label.state_version":        {"state_version", "状态版本"},
	"label.target":               {"target", "对象"},
	"label.threshold":            {"threshold", "阈值"},
	"label.to":                   {"to", "受让方"},
	"label.to_name":              {"to_name", "受让方名称"},
	"label.token":                {"token", "令牌"},
	"label.token_from":           {"token_from", "令牌来源"},
	"label.tokens":               {"tokens", "时间戳令牌数"},
	"label.total_power":          {"total_power", "总表决权"},
	"label.transitions":          {"transitions", "验证者集变更"},
	"label.tree_size":            {"tree_size", "树大小"},
	"label.trigger":              {"trigger", "触发方式"},
	"label.truncated":            {"truncated", "结果已截断"},
	"label.unreadable":           {"unreadable", "无法读取"},
	"label.upgrades":             {"upgrades", "升级"},
	"label.validator_key":        {"validator_key", "验证者公钥"},
	"label.validator_set":        {"validator_set", "验证者集"},
	"label.voted_power":          {"voted_power", "已投票表决权"},
	"label.voters":               {"voters", "投票成员"},
	"label.votes":                {"votes", "投票"},
	"label.webhook":              {"webhook", "网络钩子 Webhook"},
	"label.will_happen":          {"will_happen", "将会执行"},
	"label.yes":                  {"yes", "赞成"},
	"label.yes_power":            {"yes_power", "赞成表决权"},
	"label.ok":                   {"ok", "无问题"},
	"label.by":                   {"by", "要约发出者"},
	"label.at":                   {"at", "时间"},
	"label.accepted_by":          {"accepted_by", "接受者"},
	"label.skipped":              {"skipped", "已跳过（记录损坏）"},
	"label.names":                {"names", "证据编号"},
	"label.since":                {"since", "起始时间"},
	// Values of kind and role fields in tables and record views
	// (cellValue): an organization's kind, a key's role, a share's kind;
	// the words of the web console (web/static/i18n.js). JSON keeps the
	// API's values.
	"val.kind.court":       {"court", "法院"},
	"val.kind.notary":      {"notary", "公证机构"},
	"val.kind.arbitration": {"arbitration", "仲裁机构"},
	"val.kind.lawfirm":     {"lawfirm", "律师事务所"},
	"val.kind.ipowner":     {"ipowner", "权利人"},
	"val.kind.operator":    {"operator", "平台运营方"},
	"val.kind.evidence":    {"evidence", "证据"},
	"val.kind.matter":      {"matter", "案件"},
	"val.role.admin":       {"admin", "管理员"},
	"val.role.submitter":   {"submitter", "提交人"},
	"val.role.viewer":      {"viewer", "查看人"},
	"val.role.examiner":    {"examiner", "审查人"},
	"val.role.notary":      {"notary", "公证员"},
	// A key's permissions (custos me), each as its role grants it.
	"val.permission.admin":    {"admin", "管理机构与密钥"},
	"val.permission.file":     {"file", "提交证据"},
	"val.permission.read":     {"read", "读取证据"},
	"val.permission.share":    {"share", "共享证据"},
	"val.permission.webhooks": {"webhooks", "管理 Webhook"},
	"val.permission.certify":  {"certify", "出具公证书"},
	// What the commands that write a key's request or certificate say on
	// standard error beside savedNotice's line.
	"out.pki-key-token":     {"in the PKCS#11 token ({key})", "位于 PKCS#11 令牌（{key}）"},
	"notice.pki-key-made":   {"made a new key {where}", "已生成新密钥，{where}"},
	"notice.pki-key-reused": {"reused the key {where}", "沿用已有密钥，{where}"},
	"notice.pki-send":       {"send the certificate request to the CA, then: custos pki install --for {purpose} CHAIN.pem", "请将证书请求发给 CA，然后运行：custos pki install --for {purpose} CHAIN.pem"},
	"notice.gov-key-made":   {"made a new governance key (ECDSA P-256) {where}", "已生成新的治理密钥（ECDSA P-256），{where}"},
	"notice.gov-cert-use":   {"the governance certificate for the key {where}, then the organization CA, valid until {until}: sign proposals and votes with --key and --cert {path}", "密钥（{where}）的治理证书及其后的机构 CA 证书，有效期至 {until}：以 --key 和 --cert {path} 签署提案和投票"},
	"notice.join-request":   {"the join request of {name} ({kind}): send it to the holder of the consortium root key, who runs: custos consortium admit --root-dir OFFLINE --request {file} --out ADMISSION", "{name}（{kind}）的加入请求：请发给联盟根密钥的持有者，由其运行：custos consortium admit --root-dir OFFLINE --request {file} --out ADMISSION"},
	"notice.join-offline":   {"keep {dir} (the organization CA key) off the node once the node is complete", "节点完成后，请将 {dir}（机构 CA 密钥）移出节点"},
	// The reports of the commands that write a consortium's folders
	// (consortium init, admit, join --finish), on standard output.
	"out.admit-signed":  {"Organization CA of {name} ({kind}) signed under the consortium root; admission written to {dir}.", "{name}（{kind}）的机构 CA 已由联盟根证书签发；准入材料已写入 {dir}。"},
	"out.admit-give":    {"Give {dir} to the new member: custos consortium join --finish {dir} --out DIR --from MEMBER-PEER-URL", "请将 {dir} 交给新成员：custos consortium join --finish {dir} --out DIR --from MEMBER-PEER-URL"},
	"out.admit-propose": {"A member's administrators then propose the admission (and the members vote on it):", "随后由某一成员的管理员提议准入（再由各成员投票）："},
	"out.join-ready":    {"{dir} is ready: custos serve --config {config}", "{dir} 已就绪：custos serve --config {config}"},
	"out.join-give":     {"Give {admin} (the governance key) to the member's administrators and move {offline} off the node.", "请将 {admin}（治理密钥）交给本成员的管理员，并将 {offline} 移出节点。"},
	"out.init-written":  {"Consortium {name} (chain {chain}) written to {dir}:", "联盟 {name}（链 {chain}）已写入 {dir}："},
	"out.init-trust":    {"Trust bundle for verifiers: {path}", "供核验者使用的信任包：{path}"},
	"out.init-admin":    {"Give each member's administrators {dir} (its governance key, which signs proposals and votes): it does not go on the node.", "请将 {dir}（各成员的治理密钥，用于签署提案和投票）交给各成员的管理员：它不放在节点上。"},
	"out.init-offline":  {"Move {dir} (the root and organization CA keys) off every node: nodes do not need them.", "请将 {dir}（根密钥和各机构 CA 密钥）移出所有节点：节点不需要它们。"},
	"out.notary-abbrev": {"warning: notary member {name} has no --notary-abbrev: its certificate numbers will read （YEAR）{office}证字第N号", "警告：公证成员 {name} 没有 --notary-abbrev：其公证书编号将为（YEAR）{office}证字第N号"},
	"out.pki-installed": {"installed {path}\n  subject {subject}\n  issuer  {issuer}\n  valid until {until}\n  key {key}\nrestart custos serve to use it", "已安装 {path}\n  主体 {subject}\n  签发者 {issuer}\n  有效期至 {until}\n  密钥 {key}\n请重启 custos serve 以启用"},
	"out.matter-titled": {"{title} (ID {id})", "{title}（编号 {id}）"}, // evidence get's matter: line
	// custos peer refused: the share notices other members' nodes refused for good.
	"args.no arguments (or the subcommand resend or drop)": {"no arguments (or the subcommand resend or drop)", "不带参数（或子命令 resend、drop）"},
	"notice.no-refused":   {"no share notice is refused: every notice was delivered or is still queued", "没有被拒绝的共享通知：所有通知均已送达或仍在队列中"},
	"notice.refused-more": {"{shown} of {total} shares shown; --limit N shows more", "共 {total} 项共享，显示了 {shown} 项；用 --limit N 显示更多"},
	"col.SHARE":           {"SHARE", "共享"},
	"col.REFUSED":         {"REFUSED", "拒绝时间"},
	"col.PARKED":          {"PARKED", "暂停的后续通知"},
	"col.DETAIL":          {"DETAIL", "说明"},
	"label.share":         {"share", "共享"},
	"label.grantor":       {"grantor", "共享方"},
	"label.detail":        {"detail", "说明"},
	"label.refused_at":    {"refused_at", "拒绝时间"},
	"label.parked":        {"parked", "暂停的后续通知"},
	"label.notices":       {"notices", "通知数"},
	"label.total":         {"total", "总数"},
	"label.result":        {"result", "结果"},
	// Statuses of copyright registrations, their transfer offers and
	// notarial certificates, in table cells (cellValue) like an item's.
	"val.registered": {"registered", "已登记"},
	"val.revoked":    {"revoked", "已撤销"},
	"val.valid":      {"valid", "有效"},
	"val.accepted":   {"accepted", "已接受"},
	"val.declined":   {"declined", "已拒绝"},
	"val.withdrawn":  {"withdrawn", "已撤回"},
	"val.expired":    {"expired", "已过期"},
	"fail.fsck-no-pki": {"no PKI in {dir}: fsck reads the node's certificates where custos serve does; give the node's configuration file as serve had it (--config FILE, a consortium member's custos.toml), or the --data folder of a node started without one",
		"{dir} 中没有 PKI：fsck 从 custos serve 读取证书的位置读取节点证书；请按 serve 启动时的方式给出节点的配置文件（--config FILE，联盟成员即其 custos.toml），未用配置文件启动的节点则给出其 --data 文件夹"},
	"usage.duration": {"{flag} takes a duration such as 20s, 2m or 1h30m (a number with its unit: ms, s, m, h), not \"{value}\" (see '{cmd} --help')",
		"{flag} 须为带单位的时长，例如 20s、2m 或 1h30m（单位：ms、s、m、h），而不是 \"{value}\"（见 '{cmd} --help'）"},
	// Durations in record views (humanDuration): renew_before, interval.
	"dur.day":     {"{n} day", "{n} 天"},
	"dur.days":    {"{n} days", "{n} 天"},
	"dur.hour":    {"{n} hour", "{n} 小时"},
	"dur.hours":   {"{n} hours", "{n} 小时"},
	"dur.minute":  {"{n} minute", "{n} 分钟"},
	"dur.minutes": {"{n} minutes", "{n} 分钟"},
	"dur.second":  {"{n} second", "{n} 秒"},
	"dur.seconds": {"{n} seconds", "{n} 秒"},
	"notice.list-empty": {"nothing listed; what other consortium members shared with your organization is not in this list: custos share list --received shows it (custos download ID fetches an item)",
		"没有列出证据；其他联盟成员共享给本机构的证据不在此列表中：custos share list --received 可列出（custos download ID 下载证据项）"},
	"custody.relayed": {"{org} ({key} via {member})", "{org}（{key}，经 {member} 转来）"},
	"usage.pki-seal-key-unset": {"{config} names no webhook seal key: set pkcs11.webhook_seal_key (a label) and the token's module, token_label and pin_env or pin_file",
		"{config} 未指定 webhook 密封密钥：请设置 pkcs11.webhook_seal_key（标签）以及令牌的 module、token_label 和 pin_env 或 pin_file"},
	"notice.seal-key-restart": {"restart custos serve: it re-seals the webhook secrets under the token's key; {file} may then be removed, and the node no longer starts without the token",
		"请重启 custos serve：它会以令牌中的密钥重新密封 webhook 密钥；之后可删除 {file}，且节点没有该令牌将无法启动"},
	// custos serve --new-webhook-seal-key with the seal key in the token
	// (sealkey.go), and a start whose token key is missing or wrong.
	"fail.seal-key-token-down": {"--new-webhook-seal-key: the PKCS#11 token did not answer ({err}); nothing was changed. A token that is down is not a lost key: start again once it answers, without the flag if it holds the seal key",
		"--new-webhook-seal-key：PKCS#11 令牌无响应（{err}）；未做任何更改。令牌暂时不可用不等于密钥丢失：待令牌恢复后重新启动；若令牌中仍有密封密钥，请勿带此参数"},
	"fail.seal-key-not-lost": {"--new-webhook-seal-key is refused: the seal key {where} opens the webhook secrets sealed in custos.db, so it is not lost (the flag only replaces a key lost for good): start without the flag",
		"已拒绝 --new-webhook-seal-key：密封密钥 {where} 能打开 custos.db 中密封的 webhook 密钥，并未丢失（此参数只替换永久丢失的密钥）：请不带此参数启动"},
	"fail.seal-key-token-other": {"--new-webhook-seal-key is refused: the PKCS#11 token holds a key ({ref}) that does not open the webhook secrets sealed in custos.db: it is not the key they were sealed under, or the token fails to unseal. The flag makes a new key only where the token holds none, never over a key. If that is the wrong key, fix pkcs11.webhook_seal_key (or webhook_seal_key_id) and start without the flag; if the key they were sealed under is lost for good, set pkcs11.webhook_seal_key to a label the token does not hold, such as \"{next}\" (and webhook_seal_key_id to an ID it does not hold, or remove it), and start again with the flag",
		"已拒绝 --new-webhook-seal-key：PKCS#11 令牌中的密钥（{ref}）打不开 custos.db 中密封的 webhook 密钥：它不是密封时所用的密钥，或令牌解密失败。此参数只在令牌中没有该密钥时生成新密钥，绝不覆盖已有密钥。若是配置了错误的密钥，请更正 pkcs11.webhook_seal_key（或 webhook_seal_key_id）并不带此参数启动；若密封时所用的密钥已永久丢失，请将 pkcs11.webhook_seal_key 设为令牌中没有的标签，例如 \"{next}\"（并将 webhook_seal_key_id 设为令牌中没有的 ID，或删除该项），然后带此参数重新启动"},
	"fail.seal-key-token-undo": {"--new-webhook-seal-key: the new key ({ref}) was made in the PKCS#11 token, but sealing under it failed ({err}), and destroying it again failed too ({undo}): delete that key from the token with the vendor's tool (or pkcs11-tool --delete-object --type secrkey), then start again with the flag",
		"--new-webhook-seal-key：已在 PKCS#11 令牌中生成新密钥（{ref}），但用它密封失败（{err}），再次销毁该密钥也失败（{undo}）：请用厂商工具（或 pkcs11-tool --delete-object --type secrkey）从令牌中删除该密钥，然后带此参数重新启动"},
	"notice.seal-key-token-made": {"made a new webhook seal key in the PKCS#11 token ({ref}) in place of the lost one: the {n} webhook(s) made before fail every delivery (secret unreadable) until their organizations delete and re-create them; start without --new-webhook-seal-key from now on",
		"已在 PKCS#11 令牌中生成新的 webhook 密封密钥（{ref}）取代丢失的密钥：此前创建的 {n} 个 webhook 每次投递均失败（密钥无法读取），直至其机构删除并重新创建；今后请不带 --new-webhook-seal-key 启动"},
	"fail.seal-key-not-in-token": {"webhook seal key: [pkcs11] webhook_seal_key names an AES key ({ref}) that the token does not hold, and the node does not start without it. For a node that has not used it yet, make it: custos pki seal-key (docs/operations.md, Webhook secrets sealed in the token). If custos.db holds webhook secrets sealed under it: fix the label or ID, or restore the key into the token from its backup; if no backup holds it, it is lost for good: start once with custos serve --new-webhook-seal-key, which makes it anew and leaves every webhook made before failing its deliveries (secret unreadable) until its organization re-creates it ({err})",
		"webhook 密封密钥：[pkcs11] webhook_seal_key 指定的 AES 密钥（{ref}）不在令牌中，节点缺少该密钥无法启动。若节点尚未使用过它，请生成：custos pki seal-key（docs/operations.md，Webhook secrets sealed in the token）。若 custos.db 中已有以它密封的 webhook 密钥：请更正标签或 ID，或从备份将该密钥恢复到令牌中；若没有任何备份，则该密钥已永久丢失：请带 custos serve --new-webhook-seal-key 启动一次，它会重新生成密钥，此前创建的 webhook 每次投递均失败（密钥无法读取），直至其机构重新创建（{err}）"},
	"fail.seal-key-token-wrong": {"webhook seal key: the key in the PKCS#11 token that pkcs11.webhook_seal_key names does not open the webhook secrets sealed in custos.db: it is not the key they were sealed under (or the token fails to unseal). Fix the label or ID, or restore the key into the token from its backup; if no backup holds it, it is lost for good: set pkcs11.webhook_seal_key to a label the token does not hold and start once with custos serve --new-webhook-seal-key",
		"webhook 密封密钥：pkcs11.webhook_seal_key 指定的 PKCS#11 令牌密钥打不开 custos.db 中密封的 webhook 密钥：它不是密封时所用的密钥（或令牌解密失败）。请更正标签或 ID，或从备份将该密钥恢复到令牌中；若没有任何备份，则该密钥已永久丢失：请将 pkcs11.webhook_seal_key 设为令牌中没有的标签，并带 custos serve --new-webhook-seal-key 启动一次"},
	// custos serve's first lines (serve.go): the tests read the English
	// ones ("Custos is serving on ", "admin token: ").
	"serve.serving": {"Custos is serving on {url}", "Custos 已在 {url} 上运行"},
	"serve.data":    {"  data folder: {dir}", "  数据文件夹：{dir}"},
	"serve.chain":   {"  chain: {chain} ({n} validator(s))", "  联盟链：{chain}（{n} 个验证者）"},
	"serve.pages":   {"  verification page: {verify}\n  console: {console}", "  核验页面：{verify}\n  工作台：{console}"},
	"serve.no-documents-font": {"  certificates: none issued: no CJK font on this machine to render them (Debian: apt-get install fonts-wqy-microhei, then restart)",
		"  公证书：不出具：本机没有排版所需的中文字体（请安装 Debian 软件包 fonts-wqy-microhei 后重启）"},
	"serve.no-documents-seal": {"  certificates: none issued: the seal image ([notary] seal) is unreadable (mend it, then restart)",
		"  公证书：不出具：印章图片（[notary] seal）无法读取（修正后重启）"},
	"serve.peer":      {"  peer API (mutual TLS, members only): {url}", "  成员间接口（双向 TLS，仅限联盟成员）：{url}"},
	"serve.token-new": {"  admin token: {token}\n  (shown once; also saved to {file}, mode 0600)", "  管理员令牌：{token}\n  （只显示这一次；另已保存到 {file}，权限 0600）"},
	"serve.token-set": {"  admin token: as set on first start (see {file} if it was generated)", "  管理员令牌：首次启动时已设定（若为自动生成，见 {file}）"},
	// A flag's value that strconv refuses (cobrazh.go, parseErrors).
	"flagvalue.out-of-range": {"out of range", "超出范围"},
	"flagvalue.not-integer":  {"not a whole number", "不是整数"},
	"flagvalue.not-unsigned": {"not a whole number of zero or more", "不是非负整数"},
	"flagvalue.not-bool":     {"must be true or false", "须为 true 或 false"},
	"flagvalue.not-number":   {"not a number", "不是数字"},
	// A work's type (copyright.Work), as the registration certificate
	// names it (notary/document).
	"val.type.text":     {"text", "文字作品"},
	"val.type.image":    {"image", "美术、摄影作品"},
	"val.type.audio":    {"audio", "音乐作品、录音制品"},
	"val.type.video":    {"video", "视听作品"},
	"val.type.software": {"software", "计算机软件"},
	"val.type.other":    {"other", "其他作品"},
	// A certificate applicant's kind and identity document.
	"val.kind.org":            {"org", "机构"},
	"val.kind.person":         {"person", "自然人"},
	"val.id_type.resident_id": {"resident_id", "居民身份证"},
	"val.id_type.passport":    {"passport", "护照"},
	// A file the CLI could not read (fileWhy), said as custos verify says it.
	"usage.file-unread": {"{path}: {err}", "读取 {path} 失败：{err}"},
	// consortium vote (governance review finding G1): what is voted on,
	// and a proposal that the member named by --proposer did not make.
	"notice.gov-voting": {"voting {choice} on proposal {id}: {action} of {target} ({params}), proposed by {proposer} at height {height}",
		"对提案 {id} 投{choice}：{action}，对象 {target}（{params}），由 {proposer} 于高度 {height} 提出"},
	"out.gov-yes": {"yes", "赞成票"},
	"out.gov-no":  {"no", "反对票"},
	"usage.gov-proposer": {"proposal {id} was proposed by {proposer}, not by {want} (--proposer): another member's proposal may have taken its ID first; nothing was signed",
		"提案 {id} 由 {proposer} 提出，而非 {want}（--proposer）：其 ID 可能已被另一成员的提案抢先占用；未签署任何内容"},
	// consortium vote at chain state version 9 or later (governance
	// review finding G1): the vote names the proposal's SHA-256.
	"notice.gov-vote-hash": {"the vote names the proposal's SHA-256 {sha256} (chain state version {version}): it counts only for that proposal",
		"该投票写明提案的 SHA-256 {sha256}（链状态版本 {version}）：仅对该提案计票"},
	// A private key's file that other users may read (govkey.go,
	// readPrivateFile).
	"fail.key-mode": {"refusing to use {path}: it holds a private key and other users may read or change it (mode {mode}); make it yours alone with: chmod 600 {path}",
		"拒绝使用 {path}：其中保存着私钥，而其他用户可以读取或修改它（权限 {mode}）；请用以下命令设为仅本人可读写：chmod 600 {path}"},
	// consortium revoke-governance-cert (chain state version 10).
	"usage.revoke-gov-cert":      {"consortium revoke-governance-cert needs CERT, --ca ORG-CA.pem and --ca-key ORG-CA.key", "consortium revoke-governance-cert 需要 CERT、--ca ORG-CA.pem 和 --ca-key ORG-CA.key"},
	"usage.revoke-gov-cert-file": {"{path}: want a PEM file whose first certificate is the governance certificate to revoke", "{path}：须为 PEM 文件，其第一张证书为要撤销的治理证书"},
	"usage.revoke-not-issued":    {"{path} holds no governance certificate that the organization CA in --ca {ca} issued; only the CA that issued a certificate revokes it", "{path} 中没有由 --ca {ca} 中的机构 CA 签发的治理证书；只有签发证书的 CA 才能撤销它"},
	"notice.gov-revoking": {"revoking governance certificate {subject} (SHA-256 {sha256}) of {member}: from its block the chain refuses what it signs, and drops its votes on open proposals",
		"撤销 {member} 的治理证书 {subject}（SHA-256 {sha256}）：自其区块起，联盟链拒绝它签署的一切，并删除它对表决中提案所投的票"},
	"args.the governance certificate to revoke (PEM)": {"the governance certificate to revoke (PEM)", "要撤销的治理证书（PEM）"},
	"label.cert_sha256": {"cert_sha256", "证书 SHA-256"},
	// The TBSCertificate's SHA-256, by which the chain knows a revoked
	// governance certificate in every encoding (state version 10).
	"label.cert_tbs_sha256": {"cert_tbs_sha256", "证书待签部分 SHA-256"},
	// custos download and the saved profiles, failures a clerk meets
	// (session 17: they were English under a Chinese locale).
	"fail.download-record": {"reading the record of {id} for its digest: {err}", "读取 {id} 的记录以取得其摘要失败：{err}"},
	"fail.transfer-stdout": {"{id}: the transfer failed: {err}; what was written to standard output is incomplete",
		"{id} 传输失败：{err}；已写到标准输出的内容不完整"},
	"fail.transfer":      {"{id}: the transfer failed, nothing was saved: {err}", "{id} 传输失败，未保存任何内容：{err}"},
	"fail.profile-read":  {"reading {path}: {err} (fix it, or remove it and log in again)", "读取 {path} 失败：{err}（请修正该文件，或将其删除后重新登录）"},
	"fail.no-config-dir": {"no configuration folder for saved profiles: {err}", "找不到保存配置的文件夹：{err}"},
	// An organization's place in the consortium's directory (org create,
	// org get: directory.status), English as the API has it.
	"val.directory.registered": {"registered", "已登记"},
	"val.directory.pending":    {"pending", "待登记"},
	"val.directory.conflict":   {"conflict", "名称冲突"},
	// A name with what identifies it beside it (a custody event's actor, a
	// consortium member), in each language's parentheses, as the pages'
	// "aside" writes it.
	"aside": {"{text} ({note})", "{text}（{note}）"},
	// custos download into a folder that is missing or not writable.
	"fail.save":     {"cannot save in {dir}: {why}", "无法保存到 {dir}：{why}"},
	"why.no-folder": {"no such folder", "文件夹不存在"},
	"why.no-write":  {"you may not write there (permission denied)", "无权写入（权限不足）"},
	// profile show: where the server and the token came from (resolved).
	"val.from.flag":    {"flag", "命令行选项"},
	"val.from.env":     {"env", "环境变量"},
	"val.from.profile": {"profile", "已保存的配置"},
	"val.from.default": {"default", "默认值"},
	// A member's node moved to a new organization CA (reissue.go).
	"usage.reissue":    {"consortium reissue needs --config FILE, and either --request DIR or both --org-ca CERT and --org-ca-key KEY", "consortium reissue 需要 --config FILE，以及 --request DIR，或同时给出 --org-ca CERT 和 --org-ca-key KEY"},
	"fail.reissue-dev": {"reissue is for a consortium member's node (a configuration with [chain] trust)", "reissue 仅用于联盟成员的节点（配置中有 [chain] trust）"},
	"notice.reissue-request": {"a new organization CA key for {name} ({kind}) is in {key} (keep it off the node once the certificates are issued); send {file} to the holder of the consortium root key, who signs it with custos consortium admit",
		"{name}（{kind}）的新机构 CA 密钥已写入 {key}（证书签发后请移出节点）；请将 {file} 交给联盟根密钥的持有者，由其用 custos consortium admit 签发"},
	"out.admit-reissue": {"This is a new organization CA for an existing member: nothing to propose. The request is signed by the validator key {key}: before giving {dir}/org-ca.pem to the member (who issues its node's certificates under it with custos consortium reissue --org-ca), check that custos consortium members --json lists that key as {name}'s; if not, destroy the folder.",
		"这是现有成员的新机构 CA：无需提议。该请求由验证者密钥 {key} 签名：在将 {dir}/org-ca.pem 交给该成员（由其用 custos consortium reissue --org-ca 在其下签发节点证书）之前，请核对 custos consortium members --json 列出的 {name} 的验证者密钥是否为该密钥；若不是，请销毁该文件夹。"},
	"fail.reissue-key":       {"--org-ca-key {key} is not the key of the organization CA {cert}", "--org-ca-key {key} 不是机构 CA {cert} 的密钥"},
	"fail.reissue-root":      {"refused: the organization CA {cert} ({subject}) is not a CA issued by the consortium root ({root}): have the root holder sign it with custos consortium admit", "拒绝：机构 CA {cert}（{subject}）不是联盟根证书（{root}）签发的 CA：请由根密钥持有者用 custos consortium admit 签发"},
	"fail.reissue-member":    {"refused: the organization CA {cert} is for {got}, this node's member is {want}", "拒绝：机构 CA {cert} 属于 {got}，而本节点的成员是 {want}"},
	"fail.reissue-same":      {"refused: {cert} is already this node's organization CA (pki/org-ca.pem): bring the new one", "拒绝：{cert} 已是本节点的机构 CA（pki/org-ca.pem）：请提供新的机构 CA"},
	"fail.reissue-old-key":   {"refused: {cert} certifies the key of this node's organization CA (pki/org-ca.pem): a new organization CA needs a new key (custos consortium reissue --request)", "拒绝：{cert} 认证的是本节点机构 CA（pki/org-ca.pem）的密钥：新的机构 CA 需要新的密钥（custos consortium reissue --request）"},
	"fail.reissue-expired":   {"refused: the organization CA {cert} is valid from {from} to {to}, not now", "拒绝：机构 CA {cert} 的有效期为 {from} 至 {to}，当前不在有效期内"},
	"fail.reissue-running":   {"{path} is in use: stop the node first (custos serve holds its chain state), then run reissue again", "{path} 正被使用：请先停止节点（custos serve 占用其链状态），再运行 reissue"},
	"fail.reissue-validator": {"refused: this node's validator key {pub} is not the key of a current member in its chain state: a removed member, or a key rotated away, cannot move to a new organization CA", "拒绝：本节点的验证者密钥 {pub} 在其链状态中不是任何现有成员的密钥：已被移除的成员或已轮换掉的密钥不能改用新的机构 CA"},
	"fail.reissue-other":     {"refused: the organization CA is bound to another member, {member} ({id})", "拒绝：该机构 CA 已绑定到另一个成员 {member}（{id}）"},
	"fail.reissue-retired":   {"refused: the organization CA was retired at height {height}: have the root holder sign a new one", "拒绝：该机构 CA 已于高度 {height} 停用：请由根密钥持有者签发新的机构 CA"},
	"fail.reissue-twice":     {"{path} is locked by another custos consortium reissue of this node: let it finish, then run reissue again if it failed", "{path} 已被本节点的另一个 custos consortium reissue 锁定：请等待其完成，若其失败再运行 reissue"},
	"fail.reissue-staged":    {"{path} exists: a reissue was interrupted; start the node (custos serve finishes it) or move the folder aside", "{path} 已存在：上次的重新签发被中断；请启动节点（custos serve 会完成它）或将该文件夹移走"},
	"fail.reissue-backup":    {"{path} exists and holds other files than the node's current ones (kept from an earlier reissue from this organization CA?): move that folder elsewhere to reissue again", "{path} 已存在，且其中的文件与节点当前的文件不同（是此前从该机构 CA 重新签发时留下的吗？）：如需再次签发，请先将该文件夹移到别处"},
	"out.reissue-done":       {"The node's certificates for {name} ({kind}) are issued under the new organization CA, in {pki}; the old ones are in {backup}.", "{name}（{kind}）节点的证书已在新的机构 CA 下签发，位于 {pki}；旧证书保存在 {backup}。"},
	"out.reissue-start":      {"Start the node: its first anchored transaction under the new CA binds the CA to the member.", "请启动节点：它在新 CA 下第一笔上链的交易会把该 CA 绑定到本成员。"},
	"out.reissue-key-off":    {"Once the governance certificates are issued, move {key} off this machine, to where the member keeps its organization CA key offline: the node never needs it.", "治理证书签发后，请将 {key} 移出本机，与本成员离线保存的机构 CA 密钥放在一起：节点运行从不需要它。"},
	"out.reissue-issued-old": {"Warning: {path} (installed with custos pki install) is issued under the retired organization CA and still takes the place of the certificate reissued: have its key certified under the new CA and install that chain (custos pki install), or remove the file, before starting the node.", "警告：{path}（用 custos pki install 安装）是在已停用的机构 CA 下签发的，仍会取代重新签发的证书：请让新 CA 为其密钥签发证书并安装该证书链（custos pki install），或删除该文件，然后再启动节点。"},
	"out.reissue-governance": {"The member's administrators need a governance certificate under the new CA (those under a retired CA no longer count):", "本成员的管理员需要新 CA 下的治理证书（已停用 CA 下的证书不再有效）："},
	// A governance certificate revoked already, in any encoding (review of
	// state version 10, R1-R3).
	"fail.gov-cert-revoked-already": {"governance certificate {subject} (SHA-256 {sha256}) of {member} was revoked already, at height {height}",
		"{member} 的治理证书 {subject}（SHA-256 {sha256}）已于高度 {height} 撤销"},
}
