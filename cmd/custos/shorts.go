package main

import (
	"cmp"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	prob "github.com/custos-project/custos/internal/problem"
)

// shortsZH are the commands' one-line descriptions (Short) in Chinese, by
// command path; the English ones stay where each command is defined.
// TestShortsZH fails on a command without one.
var shortsZH = map[string]string{
	"custos":                       "Custos：司法电子证据保全与公证",
	"custos certificate":           "签发和获取公证书",
	"custos certificate get":       "显示一份公证书记录",
	"custos certificate issue":     "就证据签发公证书（公证处或管理员密钥）",
	"custos certificate list":      "列出本机构可读取的公证书，最新的在前",
	"custos certificate pdf":       "下载公证书的已签名 PDF（可用 'custos verify --pdf' 或 pdfsig 检查，用 pdfdetach 取出回执）",
	"custos completion":            "生成指定 shell 的自动补全脚本",
	"custos completion bash":       "生成 bash 的自动补全脚本",
	"custos completion fish":       "生成 fish 的自动补全脚本",
	"custos completion powershell": "生成 powershell 的自动补全脚本",
	"custos completion zsh":        "生成 zsh 的自动补全脚本",
	"custos consistency":           "证明旧检查点的日志是新检查点日志的前缀（历史未被改写）",
	"custos consortium":            "建立由法院、公证处和仲裁机构组成的联盟链",
	"custos consortium init":       "为每个成员生成密钥、证书、创世文件、配置和信任包",
	"custos consortium join":       "准备新成员的节点及须由联盟根签署的申请；获准入后完成配置",
	"custos consortium admit":      "在联盟根证书下签发加入成员的本机构 CA（在根密钥所在机器上运行）",
	"custos consortium rotate-key": "为本成员的节点准备新的验证者密钥，待以 propose rotate 表决通过",
	"custos consortium members":    "列出联盟成员：名称、类型、表决权、在登记编号中的位次",
	"custos consortium proposal":   "显示一项治理提案及其投票",
	"custos consortium proposals":  "列出治理提案（可按状态筛选）",
	"custos consortium propose":    "以本成员的治理密钥签署并提交一项变更提案",
	"custos consortium vote":       "以本成员的治理密钥对提案投赞成或反对票",
	"custos consortium status":     "显示链的高度、状态版本、升级投票和暂缓上链的存证（节点运维者使用）",
	"custos consortium upgrade":    "以本成员身份投票：自区块 H 起运行下一个链状态版本",
	"custos copyright":             "登记作品并检索著作权登记簿",
	"custos copyright accept":      "接受发给本机构的转让要约",
	"custos copyright decline":     "拒绝发给本机构的转让要约",
	"custos copyright get":         "显示一项登记",
	"custos copyright list":        "列出本机构的登记",
	"custos copyright offer":       "显示本机构发出或收到的一项转让要约",
	"custos copyright offers":      "列出本机构发出或收到的转让要约",
	"custos copyright pdf":         "保存已签名的登记证书（PDF）",
	"custos copyright register":    "以作品文件登记作品；显示登记记录（含登记号）",
	"custos copyright revoke":      "撤销一项登记",
	"custos copyright search":      "列出包含某文件的登记（所有成员的，先登记的在前；图片也查近似重复）",
	"custos copyright transfer":    "向另一机构发出登记转让要约（对方接受后转移）",
	"custos copyright withdraw":    "撤回本机构发出的转让要约",
	"custos custody":               "显示证据的保管链：谁在何时对它做了什么",
	"custos directory":             "查询联盟各成员的机构",
	"custos directory get":         "显示联盟机构目录中的一个机构",
	"custos directory list":        "列出联盟的机构（或按名称查找）",
	"custos document":              "对照节点核验纸质公证书或登记证书",
	"custos document check":        "凭二维码中的核验令牌核验已签名的证书（公开）",
	"custos download":              "下载证据内容，并与记录的 SHA-256 核对",
	"custos evidence":              "读取证据记录及其时间戳令牌",
	"custos evidence get":          "显示证据记录：文件、大小、摘要、时间戳和上链情况",
	"custos evidence timestamp":    "保存证据的 RFC 3161 时间戳应答（DER），可用 'openssl ts -reply' 检查",
	"custos certificate numbering": "查看已停止节点的公证书编号，或设定某年的下一个编号并解除暂停",
	"custos fsck":                  "检查已停止节点的存储：数据块、保管链、令牌、孤立项、证书（JSON 报告；有问题时退出码为 1）",
	"custos help":                  "任一命令的帮助",
	"custos integrity":             "对照记录和日志审计节点存储的证据（管理员）",
	"custos integrity run":         "立即开始完整性审计（管理员）；加 --wait 等待报告，发现问题时退出码为 1",
	"custos integrity status":      "显示完整性审计的计划和最近一次报告（管理员）",
	"custos key":                   "管理 API 密钥",
	"custos key create":            "创建 API 密钥（管理员）；令牌只显示一次",
	"custos key list":              "列出机构的密钥（管理员）",
	"custos key revoke":            "立即撤销 API 密钥（管理员）",
	"custos list":                  "列出本机构可见的证据，最新的在前（管道输出时每项一行 JSON）",
	"custos log":                   "读取证据日志的检查点和一致性证明（公开）",
	"custos log checkpoint":        "显示证据日志最新的已签名检查点（或某区块高度的检查点）",
	"custos log consistency":       "显示两个树大小之间的 RFC 6962 一致性证明（可用 'custos consistency' 检查）",
	"custos login":                 "向服务器核验 API 令牌，并将二者保存为配置",
	"custos logout":                "删除一个已保存的配置及其令牌（默认为当前配置）",
	"custos lookup":                "查询某文件是否已在本节点或联盟任一成员处存证并上链",
	"custos matter":                "管理案件",
	"custos matter create":         "为本机构新建案件",
	"custos matter get":            "显示本机构拥有或被共享的案件",
	"custos matter list":           "列出本机构的案件",
	"custos me":                    "显示您的密钥、所属机构及其权限",
	"custos org":                   "管理机构",
	"custos org audit":             "显示机构的审计链",
	"custos org create":            "创建机构（管理员）",
	"custos org get":               "显示机构及其在联盟目录中的状态（管理员）",
	"custos org list":              "列出所有机构（管理员）",
	"custos org update":            "重命名机构或修改其设置（管理员）",
	"custos pki":                   "为时间戳服务和公证处文书签名使用外部 CA 的证书",
	"custos pki install":           "检查并安装外部 CA 为请求签发的证书链",
	"custos pki request":           "为外部 CA 生成密钥和证书请求（PKCS#10，PEM）",
	"custos profile":               "列出、选择和显示已保存的配置（'custos login' 可保存配置）",
	"custos profile list":          "列出已保存的配置（令牌已遮蔽）",
	"custos profile show":          "显示命令将使用的服务器和（已遮蔽的）令牌及其来源",
	"custos profile use":           "将一个已保存的配置设为当前配置",
	"custos receipt":               "获取证据的回执（其规范字节），供 'custos verify' 使用",
	"custos evidence-record":       "获取证据的 RFC 4998 证据记录（DER），供 'custos verify --evidence-record' 使用",
	"custos serve":                 "运行 Custos 节点（内置默认：本地文件夹、bbolt、内置时间戳服务、开发用 PKI）",
	"custos share":                 "与另一机构共享证据或案件；'share list'、'share revoke ID'",
	"custos share list":            "列出本机构发出（或收到）的共享",
	"custos share revoke":          "立即撤销一项共享",
	"custos submit":                "提交证据：将每个文件流式上传到 Custos 服务器并显示记录（管道输出时为 JSON 行）",
	"custos trust":                 "保存节点的信任包（供 'custos verify --trust' 使用）或其 PEM 证书",
	"custos verify":                "离线验证回执（摘要、保管事件、时间戳、包含证明和联盟检查点），或离线验证公证书、登记证书的 PDF",
	"custos webhook":               "管理本机构的 webhook",
	"custos webhook adopt":         "接管 webhook：使您的 API 密钥成为其创建者以恢复投递，并换用新的签名密钥（只显示一次）",
	"custos webhook create":        "注册 webhook（其签名密钥只显示一次）",
	"custos webhook delete":        "删除 webhook 及其待投递的消息",
	"custos webhook deliveries":    "显示 webhook 的投递记录，最新的在前",
	"custos webhook list":          "列出本机构的 webhook",

	"custos consortium governance-cert":        "在成员的本机构 CA 下为 PKCS#11 令牌或文件中的密钥签发治理证书",
	"custos evidence-record renew":             "立即续期本节点到期的证据记录（管理员）；加 --dry-run 只报告将续期的内容",
	"custos evidence-record status":            "按状态显示本节点的证据记录：有效、即将到期、到期、已续期；以及最近一次续期（管理员）",
	"custos evidence-record copyright":         "获取著作权登记各文件的 RFC 4998 证据记录，逐份写为 DIR/<id>.ers",
	"custos evidence-record certificate":       "获取公证书各证据及其签名 PDF 的 RFC 4998 证据记录，逐份写为 DIR/<id>.ers",
	"custos peer":                              "本节点发给联盟其他成员的共享通知（管理员）",
	"custos peer refused":                      "列出其他成员节点永久拒绝的共享通知，最新的在前；'refused resend SHARE'、'refused drop SHARE'（管理员）",
	"custos peer refused resend":               "排除原因后，按原顺序重新排队发送某项共享被拒绝的通知（管理员）",
	"custos peer refused drop":                 "放弃某项共享被拒绝的通知：不再发送，并记入共享方的审计链（管理员）",
	"custos pki seal-key":                      "在 PKCS#11 令牌中生成密封 webhook 密钥的密钥",
	"custos consortium revoke-governance-cert": "以本机构 CA 密钥签署，撤销本成员的一张治理证书",
	"custos consortium reissue":                "让本成员的节点改用新的机构 CA：先申请，再在其下签发节点的证书",
}

// speakChinese gives the tree's commands their Chinese one-line
// descriptions, long help texts and flag descriptions, and cobra's help
// its Chinese headings. Examples stay as they are (docs/cli.md,
// "Language").
func speakChinese(root *cobra.Command) {
	root.InitDefaultVersionFlag()
	walk(root, func(c *cobra.Command) {
		path := c.CommandPath()
		if s, ok := shortsZH[path]; ok {
			c.Short = s
		}
		if s, ok := longsZH[path]; ok {
			c.Long = s
		}
		c.InitDefaultHelpFlag() // cobra's "help for NAME", here rather than at Execute
		for key, s := range flagsZH {
			if name, ok := strings.CutPrefix(key, path+" --"); ok && !strings.Contains(name, " ") {
				if f := c.LocalFlags().Lookup(name); f != nil {
					f.Usage = s
				}
			}
		}
		if f := c.Flags().Lookup("help"); f != nil {
			f.Usage = "显示 " + c.DisplayName() + " 的帮助"
		}
	})
	if f := root.Flags().Lookup("version"); f != nil {
		f.Usage = "显示 " + root.DisplayName() + " 的版本"
	}
	cobra.AddTemplateFunc("defaultsZH", defaultsZH)
	cobra.AddTemplateFunc("useLineZH", useLineZH)
	root.SetUsageTemplate(usageZH.Replace(root.UsageTemplate()))
	// The help: the Chinese line first, then the Chinese Long if any.
	root.SetHelpTemplate(`{{with .Short}}{{. | trimTrailingWhitespaces}}

{{end}}{{with .Long}}{{. | trimTrailingWhitespaces}}

{{end}}{{if or .Runnable .HasSubCommands}}{{.UsageString}}{{end}}`)
}

// usageZH translates the headings of cobra's usage template.
var usageZH = strings.NewReplacer(
	"Usage:", "用法：",
	"Aliases:", "别名：",
	"Examples:", "示例：",
	"Available Commands:", "可用命令：",
	"Additional Commands:", "其他命令：",
	"Global Flags:", "全局选项：",
	"Flags:", "选项：",
	"Additional help topics:", "其他帮助主题：",
	"FlagUsages | trimTrailingWhitespaces", "FlagUsages | defaultsZH | trimTrailingWhitespaces",
	`Use "{{.CommandPath}} [command] --help" for more information about a command.`,
	`运行 "{{.CommandPath}} [命令] --help" 查看命令的详细信息。`,
	"{{.UseLine}}", "{{.UseLine | useLineZH}}",
	"{{.CommandPath}} [command]", "{{.CommandPath}} [命令]",
)

// useLineZH is a usage line with cobra's "[flags]" placeholder in
// Chinese, as the usage's "选项：" heading names them.
func useLineZH(line string) string {
	if s, ok := strings.CutSuffix(line, " [flags]"); ok {
		return s + " [选项]"
	}
	return line
}

// flagDefault is pflag's " (default X)" at the end of a flag's line.
var flagDefault = regexp.MustCompile(`(?m) \(default (.*)\)$`)

// defaultsZH puts pflag's flag usages' "(default X)" and value types
// ("--limit int") into Chinese, the descriptions again in one column.
func defaultsZH(usages string) string {
	return flagTypesZH(flagDefault.ReplaceAllString(usages, "（默认：$1）"))
}

// flagLine is one flag of pflag's usages: the flag, its value's type if
// it takes one, the spaces that align the descriptions, the description.
var flagLine = regexp.MustCompile(`^(\s*(?:-\S, )?--[\w-]+)(?: (\w+))?( {2,})(.*)$`)

// typesZH are pflag's names of the value types of the CLI's flags.
var typesZH = map[string]string{
	"string": "文本", "stringArray": "文本", "stringSlice": "文本", "strings": "文本",
	"int": "整数", "int64": "整数", "uint": "整数", "uint64": "整数",
	"duration": "时长", "float64": "数字",
}

// flagTypesZH rewrites the value types of pflag's usages in Chinese and
// aligns the descriptions again (three spaces after the widest flag, as
// pflag does); a line that is not a flag's stays as it is.
func flagTypesZH(usages string) string {
	lines := strings.Split(usages, "\n")
	heads := make([]string, len(lines))
	widest := 0
	for i, l := range lines {
		m := flagLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		heads[i] = m[1]
		if m[2] != "" {
			heads[i] += " " + cmp.Or(typesZH[m[2]], m[2])
		}
		widest = max(widest, displayWidth(heads[i]))
	}
	for i, h := range heads {
		if h != "" {
			lines[i] = h + strings.Repeat(" ", widest-displayWidth(h)+3) + flagLine.FindStringSubmatch(lines[i])[4]
		}
	}
	return strings.Join(lines, "\n")
}

// inChinese reports whether the CLI speaks Chinese.
func inChinese() bool { return lang == prob.Chinese }
