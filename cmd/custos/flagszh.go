package main

// The usage of --server and --token, defined on each command that talks to
// a server.
const (
	serverZH = "Custos 服务器的 URL（默认：$CUSTOS_SERVER、配置中的服务器，否则为 http://127.0.0.1:8080）"
	tokenZH  = "API 令牌（默认：$CUSTOS_TOKEN，否则为配置中的令牌）"
)

// flagsZH are the flags' descriptions in Chinese, by the path of the
// command that defines the flag and its name ("custos list --limit"); a
// persistent flag once, under the command that defines it. cobra's own
// --help and --version take theirs in speakChinese. TestFlagsZH fails on a
// flag without one, and on an entry for no such flag.
var flagsZH = map[string]string{
	"custos --json":    "在终端上也输出 JSON（管道输出本就是 JSON）",
	"custos --profile": "使用这个已保存的配置（默认：$CUSTOS_PROFILE，否则为当前配置）",

	"custos certificate --server":                  serverZH,
	"custos certificate --token":                   tokenZH,
	"custos certificate issue --applicant-id":      "申请人的身份证件号码（与 --applicant-name 一起使用）",
	"custos certificate issue --applicant-id-type": "resident_id（默认：中华人民共和国居民身份证号码）或 passport（护照）",
	"custos certificate issue --applicant-name":    "申请人为此姓名的自然人（与 --applicant-id 一起使用）",
	"custos certificate issue --applicant-org":     "申请人为此机构，按名称或 ID（例如 \"杭州西湖律师事务所\"）；默认：证据的所有者",
	"custos certificate issue --evidence":          "证据 ID，以逗号分隔（至多 100 个）",
	"custos certificate issue --lang":              "公证书正文的语言：zh（默认）或 en",
	"custos certificate issue --matter":            "一个案件，按名称或 ID：其中你可查看的每项证据",
	"custos certificate pdf --output":              "将 PDF 写入 FILE 而非标准输出",

	"custos completion bash --no-descriptions":       "不生成补全说明",
	"custos completion fish --no-descriptions":       "不生成补全说明",
	"custos completion powershell --no-descriptions": "不生成补全说明",
	"custos completion zsh --no-descriptions":        "不生成补全说明",

	"custos consistency --new":    "较新的回执或检查点",
	"custos consistency --old":    "较旧的回执或检查点",
	"custos consistency --proof":  "一致性证明，保存自 GET /api/v1/log/consistency",
	"custos consistency --server": "向其获取证明的 Custos 节点（默认：$CUSTOS_SERVER，否则为配置中的服务器）",
	"custos consistency --trust":  "联盟的信任包",

	"custos consortium init --api-port":      "第一个成员的 API 端口；其余成员依次加一",
	"custos consortium init --chain-id":      "链 ID（默认：custos-<随机值>）",
	"custos consortium init --host":          "各成员节点监听及互相连接的地址（成员在不同机器上时，请分别编辑各自的 custos.toml）",
	"custos consortium init --name":          "联盟的名称，写入其根证书",
	"custos consortium init --notary-abbrev": "公证处成员在公证书编号中的简称，例如（2026）浙杭钱证字第1号中的 \"浙杭钱\"",
	"custos consortium init --notary-name":   "公证处成员的公证员姓名，写入其文书签名证书并印在每份公证书上（默认：\"NAME Notary\"）",
	"custos consortium init --notary-office": "公证处成员印出的公证处名称，例如 \"浙江省杭州市钱塘公证处\"（默认：其 --org NAME）；有多个公证处成员时写作 MEMBER=VALUE",
	"custos consortium init --org":           "一个成员，写作 KIND:NAME（KIND 为 court、notary 或 arbitration）；每个成员重复一次",
	"custos consortium init --out":           "写入联盟的文件夹（须不存在或为空）",
	"custos consortium init --p2p-port":      "第一个成员的 p2p 端口；其余成员依次加一",
	"custos consortium init --peer-port":     "第一个成员的对等 API 端口（成员间双向 TLS），其余成员依次加一（默认：api-port+100）",
	"custos consortium init --seal":          "公证处成员的印章图像（PNG 或 JPEG），复制到其 custos.toml 旁（默认：绘制的含公证处名称的红色印章）",
	"custos consortium init --state-version": "起始的链状态版本；仅在演练升级时用 1（见 docs/operations.md）",

	"custos consortium members --server":        serverZH,
	"custos consortium proposal --server":       serverZH,
	"custos consortium proposals --server":      serverZH,
	"custos consortium proposals --status":      "只列出此状态的提案：open、passed、applied、failed、rejected、expired",
	"custos consortium propose --server":        serverZH,
	"custos consortium propose --cert":          "其证书，然后是机构 CA（PEM；OUT/admin/SLUG/governance.pem）",
	"custos consortium propose --expires-in":    "自现在起的区块数，此后提案不能再通过",
	"custos consortium propose --id":            "提案的 ID（默认：操作名加随机后缀）",
	"custos consortium propose --key":           "成员的治理密钥（PEM；'consortium init' 生成的 OUT/admin/SLUG/governance.key）",
	"custos consortium propose --member":        "签署成员的 ID（默认：成员列表中机构 CA 所属的成员）",
	"custos consortium propose --override":      "允许变更使验证者少于 4 个或没有法院",
	"custos consortium propose --wait":          "等待交易进入区块的时长（0：不等待）",
	"custos consortium status --server":         serverZH,
	"custos consortium status --token":          tokenZH,
	"custos consortium upgrade --server":        serverZH,
	"custos consortium upgrade --token":         tokenZH,
	"custos consortium upgrade --height":        "新状态版本开始运行的区块高度（须与其他成员商定）",
	"custos consortium upgrade --state-version": "要转到的状态版本（默认：链当前版本的下一个）",
	"custos consortium vote --server":           serverZH,
	"custos consortium vote --cert":             "其证书，然后是机构 CA（PEM；OUT/admin/SLUG/governance.pem）",
	"custos consortium vote --key":              "成员的治理密钥（PEM；'consortium init' 生成的 OUT/admin/SLUG/governance.key）",
	"custos consortium vote --member":           "签署成员的 ID（默认：成员列表中机构 CA 所属的成员）",
	"custos consortium vote --no":               "投反对票",
	"custos consortium vote --wait":             "等待交易进入区块的时长（0：不等待）",
	"custos consortium vote --yes":              "投赞成票",

	"custos copyright --server":                   serverZH,
	"custos copyright --token":                    tokenZH,
	"custos copyright offer --server":             serverZH,
	"custos copyright offer --token":              tokenZH,
	"custos copyright offers --status":            "只列出处于此状态的要约：pending、accepted、declined、withdrawn 或 expired",
	"custos copyright pdf --lang":                 "证书正文的语言：zh（默认）或 en；两者各为一份独立的证书",
	"custos copyright pdf --output":               "将 PDF 写入 FILE",
	"custos copyright register --metadata":        "作品的元数据（JSON）",
	"custos copyright register --wait":            "等待登记号的时长（0：不等待）",
	"custos copyright revoke --reason":            "撤销的理由",
	"custos copyright search --number":            "登记号（联盟的，或旧有的）",
	"custos copyright search --sha256":            "文件的 SHA-256（十六进制）",
	"custos copyright transfer --expires-in-days": "要约等待答复的天数（默认 14，1 至 90）",
	"custos copyright transfer --to":              "接收方机构（本节点的），按名称或 ID（例如 \"西湖传媒有限公司\"）",

	"custos custody --server": serverZH,
	"custos custody --token":  tokenZH,

	"custos directory --server":    serverZH,
	"custos directory --token":     tokenZH,
	"custos directory list --name": "只列出持有此名称的机构",

	"custos document --server": serverZH,

	"custos download --output": "写到哪里：FILE、DIR，或 - 表示标准输出（默认：证据的文件名）",
	"custos download --quiet":  "不显示进度条",
	"custos download --server": serverZH,
	"custos download --token":  tokenZH,

	"custos evidence --server":           serverZH,
	"custos evidence --token":            tokenZH,
	"custos evidence timestamp --output": "将应答写入 FILE 而非标准输出",
	"custos evidence timestamp --tsa":    "哪个令牌：0 为节点自己的时间戳服务，1… 为记录中依次列出的外部时间戳服务",

	"custos fsck --config": "配置文件（TOML）",
	"custos fsck --data":   "数据文件夹",
	"custos fsck --deep":   "重新读取每个数据块并重新计算其 SHA-256",
	"custos fsck --peer":   "联盟成员的 API 地址：将本成员的链状态（chain/app.db）与该成员的检查点比对（可重复给出）",
	"custos fsck --repair": "丢弃未完成上传的暂存内容（serve 启动时也会丢弃）；不作其他任何改动",

	"custos integrity --server":   serverZH,
	"custos integrity --token":    tokenZH,
	"custos integrity run --wait": "等待审计完成并输出其报告",

	"custos key --server":         serverZH,
	"custos key --token":          tokenZH,
	"custos key create --expires": "密钥失效的时间（RFC 3339）；默认永不失效",
	"custos key create --name":    "密钥的用途",
	"custos key create --org":     "机构，按名称或 ID（例如 \"中伦律师事务所\"）",
	"custos key create --role":    "admin、submitter、viewer、examiner 或 notary",
	"custos key list --org":       "机构，按名称或 ID",

	"custos list --all":    "沿游标列出每一页",
	"custos list --cursor": "从此游标继续",
	"custos list --limit":  "每页的项数，1 至 500（默认：服务器的，50）",
	"custos list --matter": "只列出归入此案件的证据，按名称或 ID",
	"custos list --sha256": "只列出具有此 SHA-256（十六进制）的证据",
	"custos list --title":  "只列出标题包含此文字的证据",
	"custos list --server": serverZH,
	"custos list --token":  tokenZH,

	"custos log --server":            serverZH,
	"custos log checkpoint --height": "此区块高度的检查点",

	"custos login --token-stdin": "从标准输入读取令牌",
	"custos login --server":      serverZH,
	"custos login --token":       tokenZH,

	"custos lookup --sha256": "SHA-256 摘要，64 位小写十六进制数字",
	"custos lookup --sm3":    "SM3 摘要，64 位小写十六进制数字",
	"custos lookup --server": serverZH,

	"custos matter --server":             serverZH,
	"custos matter --token":              tokenZH,
	"custos matter create --case-number": "法院的案号",
	"custos matter create --party":       "一方当事人（每方重复一次）",
	"custos matter create --title":       "案件名称",
	"custos matter get --server":         serverZH,
	"custos matter get --token":          tokenZH,

	"custos me --server": serverZH,
	"custos me --token":  tokenZH,

	"custos org --server":                     serverZH,
	"custos org --token":                      tokenZH,
	"custos org create --kind":                "court、notary、arbitration、lawfirm、ipowner 或 operator",
	"custos org create --name":                "机构名称",
	"custos org create --unlisted-by-default": "机构上传的证据默认不列入联盟的摘要索引和公开查询，除非上传时另有说明",
	"custos org get --server":                 serverZH,
	"custos org get --token":                  tokenZH,
	"custos org update --name":                "新名称（须在联盟目录中未被占用）",
	"custos org update --unlisted-by-default": "机构上传的证据默认不列入联盟的摘要索引和公开查询，除非上传时另有说明",

	"custos pki install --config":  "配置文件（TOML）；使用其中的 pki 文件夹和 [pkcs11] 表",
	"custos pki install --data":    "数据文件夹（无 --config 时）；PKI 文件夹为 DATA/pki",
	"custos pki install --for":     "证书的用途：tsa 或 notary",
	"custos pki request --cn":      "通用名称（CN）：公证员的名称，或时间戳服务的名称",
	"custos pki request --config":  "配置文件（TOML）；使用其中的 pki 文件夹和 [pkcs11] 表",
	"custos pki request --country": "国家代码（C），例如 CN",
	"custos pki request --data":    "数据文件夹（无 --config 时）；PKI 文件夹为 DATA/pki",
	"custos pki request --for":     "证书的用途：tsa 或 notary",
	"custos pki request --org":     "组织（O）",
	"custos pki request --ou":      "组织单位（OU）",
	"custos pki request --output":  "证书请求写到哪里（默认 PKI/issued/PURPOSE.csr）",

	"custos profile show --server": serverZH,
	"custos profile show --token":  tokenZH,

	"custos receipt --output": "将回执写入 FILE 而非标准输出",
	"custos receipt --wait":   "等待证据上链的最长时间（至多 60s）",
	"custos receipt --server": serverZH,
	"custos receipt --token":  tokenZH,

	"custos serve --config": "配置文件（TOML）",
	"custos serve --data":   "数据文件夹",
	"custos serve --listen": "监听的地址",

	"custos share --evidence":      "要共享的证据 ID",
	"custos share --expires":       "访问权限终止的时间（RFC 3339）；默认直至撤销",
	"custos share --matter":        "要共享的案件，按名称或 ID（其全部证据，包括以后归入的），例如 \"张三诉李四\"",
	"custos share --org":           "与之共享的机构，按名称或 ID，例如 杭州互联网法院",
	"custos share --server":        serverZH,
	"custos share --token":         tokenZH,
	"custos share list --received": "列出其他机构与本机构的共享",

	"custos submit --case":        "每个文件的案件编号",
	"custos submit --description": "每个文件的说明",
	"custos submit --matter":      "将每个文件归入本机构的此案件，按名称或 ID（例如 \"张三诉李四\"）",
	"custos submit --quiet":       "不显示进度条",
	"custos submit --title":       "每个文件的标题",
	"custos submit --unlisted":    "不列入联盟的摘要索引和公开查询（--unlisted=false：列入）；不加此选项时，依机构的 unlisted_by_default 设置",
	"custos submit --server":      serverZH,
	"custos submit --token":       tokenZH,

	"custos trust --output": "写入 FILE 而非标准输出",
	"custos trust --pem":    "以 PEM 格式输出一份证书而非信任包：root 或 tsa-chain",
	"custos trust --server": serverZH,

	"custos verify --file":        "与回执核对的证据文件（可选）",
	"custos verify --json":        "以一个 JSON 对象输出结果",
	"custos verify --node":        "对照其链确认回执的成员节点（你自己的）",
	"custos verify --node-wait":   "--node 尚未到达回执所在区块时的等待时长",
	"custos verify --pdf":         "检查 Custos 签发的证书 PDF 而非回执：检查其签名、时间戳和证书链（加 --trust、--roots 或两者）",
	"custos verify --receipt":     "回执 JSON 文件",
	"custos verify --roots":       "与 --pdf 一起使用：另外信任的根证书 PEM 文件，例如为公证处和时间戳服务签发证书的外部 CA（custos pki install）",
	"custos verify --transitions": "验证者更换后所出回执的验证者集合变更记录：JSON 列表，或版本 2 的信任包",
	"custos verify --trust":       "信任包 JSON 文件（请自行保存一份）",

	"custos webhook --server":           serverZH,
	"custos webhook --token":            tokenZH,
	"custos webhook create --event":     "evidence.timestamped、evidence.anchored、evidence.shared 或 copyright.transfer（每个重复一次）",
	"custos webhook create --url":       "接收方的 https URL",
	"custos webhook deliveries --limit": "至多列出这么多条投递记录",
}
