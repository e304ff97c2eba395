package main

// longsZH are the commands' long help texts (Long) in Chinese, by command
// path; the English ones stay where each command is defined (docs/cli.md
// is generated from them). TestLongsZH fails on a command with a Long and
// no Chinese one, and on an entry for no such command.
var longsZH = map[string]string{
	"custos certificate numbering": `读取已停止节点的存储（与 fsck 相同），列出其每年出具的最后一个公证书编号，以及编号是否已暂停。
节点发现其存储早于联盟链时（常见于从备份恢复之后）会暂停编号：它可能在该备份之后出具过公证书，
其编号现在会被再次使用，因此在运营方将公证处的登记簿与这些编号核对之前，它不出具公证书。
给出 --year 和 --next 时，设定该节点当年出具下一份公证书所用的编号（须在其已出具的所有编号之后：
编号绝不重复使用），并解除暂停。见 docs/operations.md 中恢复成员的一节。`,
	"custos": `Custos 保全电子证据，使任何一方都能查验证据是什么、何时已经存在，以及此后它经历的一切。

与服务器通信的命令使用 --server 和 --token，否则使用 $CUSTOS_SERVER 和 $CUSTOS_TOKEN，
再否则使用 'custos login' 保存的配置。在终端上输出表格；管道输出或加 --json 时输出 JSON。
参考文档为 docs/cli.md，其中列有各退出码。`,

	"custos certificate issue": `issue 就逐一指定的证据或一个案件中的证据申请公证书。公证书上印的申请人默认为证据的所有者（此时证据须同属一个机构）；可用 --applicant-org 指定另一机构，或用 --applicant-name 和 --applicant-id 指定自然人（居民身份证号码，或加 --applicant-id-type passport 时为护照号码）。PDF 上印的证件号码经过遮蔽。--matter 接受案件名称或 ID，--applicant-org 接受机构名称或 ID。`,

	"custos webhook adopt": `adopt 使您的 API 密钥成为该 webhook 的创建者（created_by）。注册 webhook 的 API 密钥被撤销、过期或已不存在时，
该 webhook 暂停：其事件照常排队，但不投递。接管（adopt）后即恢复，暂停期间排队的事件立即投递。
webhook 同时换用新的签名密钥（secret），只在此显示一次：原 API 密钥的持有者知道旧的签名密钥，旧的不再用于签名。
请把新的签名密钥配置到接收方。需要具有 webhooks 权限的 API 密钥。`,

	"custos completion": `为指定的 shell 生成 custos 的自动补全脚本。
生成的脚本如何使用，见各子命令的帮助。
`,

	"custos completion bash": `为 bash 生成自动补全脚本。

此脚本依赖 'bash-completion' 软件包。
如尚未安装，可用操作系统的包管理器安装。

在当前 shell 会话中加载补全：

	source <(custos completion bash)

为以后的每个会话加载补全，执行一次：

#### Linux：

	custos completion bash > /etc/bash_completion.d/custos

#### macOS：

	custos completion bash > $(brew --prefix)/etc/bash_completion.d/custos

需要新开一个 shell，设置才生效。
`,

	"custos completion fish": `为 fish 生成自动补全脚本。

在当前 shell 会话中加载补全：

	custos completion fish | source

为以后的每个会话加载补全，执行一次：

	custos completion fish > ~/.config/fish/completions/custos.fish

需要新开一个 shell，设置才生效。
`,

	"custos completion powershell": `为 powershell 生成自动补全脚本。

在当前 shell 会话中加载补全：

	custos completion powershell | Out-String | Invoke-Expression

为以后的每个会话加载补全，将上面命令的输出加入
您的 powershell 配置文件。
`,

	"custos completion zsh": `为 zsh 生成自动补全脚本。

如果环境中尚未启用 shell 补全，需要先启用。可执行一次：

	echo "autoload -U compinit; compinit" >> ~/.zshrc

在当前 shell 会话中加载补全：

	source <(custos completion zsh)

为以后的每个会话加载补全，执行一次：

#### Linux：

	custos completion zsh > "${fpath[1]}/_custos"

#### macOS：

	custos completion zsh > $(brew --prefix)/share/zsh/site-functions/_custos

需要新开一个 shell，设置才生效。
`,

	"custos consistency": `FILE 为回执或检查点（GET /api/v1/log/checkpoint）。先用信任包验证两个检查点，再验证二者树大小之间的
RFC 6962 一致性证明；证明从 --server 获取，或从 --proof 读取（GET /api/v1/log/consistency 的 JSON）；
二者都未给出时，从 $CUSTOS_SERVER 或配置中的服务器获取。
退出码：0 一致，1 不一致，2 用法错误。`,

	"custos consortium join": `在新成员的机器上运行。第一次运行：生成节点的 CometBFT 节点密钥和验证者密钥、本机构 CA 密钥
（DIR/offline/org-ca.key，应移出节点）和一份申请（DIR/join-request.json：本机构 CA 的 PKCS#10 证书
请求、验证者公钥、节点 ID 和地址）。把申请交给联盟根密钥的持有者，由其运行 custos consortium admit。
加入 sm 套件的联盟（其信任包指明 sm 套件）时加 --crypto sm：本机构 CA 密钥为 SM2，请求以 SM2/SM3 签名。
加 --finish ADMISSION（admit 写出的文件夹）时：检查它，在新的本机构 CA 下为节点签发时间戳服务、节点
和治理证书，并写出 custos.toml。加 --from（某成员节点的节点间 API URL）时，先以新的节点证书经双向 TLS
向该节点询问各成员节点的地址，按该节点链上的现有成员核对后，写为新节点的对等节点（[consortium.peers]，
以及 [chain] peers，附于准入文件中的对等节点之后）。见 docs/operations.md“加入联盟”（Joining the consortium）。`,
	"custos consortium admit": `在持有联盟根密钥的机器上运行（OFFLINE：consortium init 写出的 root.pem 和 root.key）。检查加入
申请，在根证书下签发其本机构 CA（仅此一项：新成员在其下自行签发其余证书），并写出 ADMISSION：
admission.json、org-ca.pem、genesis.json 和 trust.json。把 ADMISSION 交给新成员（custos consortium
join --finish），把打印出的 propose 命令交给某一成员的管理员。见 docs/operations.md“加入联盟”。`,
	"custos consortium rotate-key": `在节点旁写出新的 Ed25519 验证者密钥（chain/config/priv_validator_key.next.json，0600），节点暂不使用，
并用本成员的机构 CA 密钥为其签发节点证书（pki/node.next.pem）。打印应提交的提案：custos consortium propose
rotate。各成员投票、提案生效（applied）后重启节点：custos serve 启动时看到链上成员名单已含新密钥，即改用它
（旧密钥文件被替换）。此前节点仍以旧密钥签名。在节点所在机器上运行，节点运行与否均可；机构 CA 密钥
（--org-ca-key，来自 offline 文件夹）只在这一步带来。见 docs/operations.md“轮换成员的密钥”（Rotating a member's key）。`,
	"custos consortium init": `为每个成员写一个文件夹（同一联盟根证书下的本机构 CA、时间戳服务证书和节点证书、
CometBFT 密钥、共同的创世文件和一份 custos.toml），并写出联盟的信任包。
KIND 为 court（法院）、notary（公证处）或 arbitration（仲裁机构）。之后每个成员运行：custos serve --config DIR/<member>/custos.toml

根 CA 的密钥写在 DIR/offline/root.key：请将它移出所有节点（只有接纳新成员时才需要它）。

--crypto sm 使根证书、各机构 CA 以及 TSA 和公证处的密钥采用 SM2（签名为 SM2 与 SM3，GM/T 0003）：
时间戳令牌和证明文书 PDF 随之以 SM2 签名。验证者密钥仍为 Ed25519（CometBFT 只用 Ed25519 签署共识），
成员之间节点 TLS 也由它签名（Go 的 TLS 不支持 SM2）；治理密钥仍为 ECDSA P-256；它们均由 SM2 机构 CA 认证。
信任包写明所用算法套件。`,

	"custos consortium governance-cert": `在持有成员本机构 CA 密钥的机器上运行（consortium init 的 OUT/offline/SLUG-org-ca.key，
或 consortium join 的 DIR/offline/org-ca.key）。为成员的治理密钥（签署其提案和投票）签发证书：KEY 为
PKCS#11 URI（pkcs11:token=LABEL;object=KEY-LABEL?module-path=MODULE）时，令牌中尚无该密钥对则在其中生成
（ECDSA P-256，永不可导出）；KEY 为 PEM 文件时，文件不存在则生成。将证书及其后的机构 CA 写入 -o。
链上无需任何交易：链检查治理证书到成员机构 CA 的路径。PIN 来自 --pin-env 或 --pin-file，绝不写在命令行上。
见 docs/operations.md 的“Certificates from an outside CA, keys in a token”一节。`,

	"custos consortium propose": `生成一项治理提案，在本机以成员的治理密钥签署（密钥不离开本机），并通过某个成员的节点提交。
超过 2/3 的表决权投赞成票后，变更在两个区块之后生效（custos consortium vote）；提出提案不等于投票。

  admit ORG-CA.pem VALIDATOR-KEY POWER   接纳成员：其机构 CA（由根 CA 签发）、其节点的
                                         Ed25519 验证者密钥、其表决权
  remove MEMBER                          移除成员及其验证者
  rotate MEMBER VALIDATOR-KEY            更换成员的验证者密钥
  power MEMBER POWER                     设定成员的表决权（1..1000000）
  retire-ca MEMBER CA.pem|SHA256         不再接受成员的某个机构 CA

MEMBER 为成员 ID 或成员名称（custos consortium members）。VALIDATOR-KEY 为 CometBFT 的
priv_validator_key.json，或其 base64 公钥。会使验证者少于 4 个或没有法院的变更将被拒绝，
自链状态版本 9 起，会使某一验证者持有总表决权三分之一或以上的变更（除非已有验证者如此且变更不提高最大份额）亦被拒绝，
除非加 --override（此时由各成员对其表决）。
密钥为 PEM 文件，或由 URI（pkcs11:token=LABEL;object=KEY-LABEL?module-path=MODULE）指定的 PKCS#11
令牌中的密钥对，其 PIN 来自 --pin-env 或 --pin-file（custos consortium governance-cert 为这样的密钥签发证书）。
见 docs/governance.md 和 docs/operations.md 的“Changing the consortium”一节。`,

	"custos consortium upgrade": `提交本节点的投票（以节点密钥签名）：自区块 H 起，将联盟链转到下一个状态版本。
如到 H 时，拥有超过 2/3 表决权的验证者已对同一版本和高度投票，变更在 H 发生；否则不作任何变更。
在任何成员投票之前，每个成员都必须运行支持新版本的软件：本节点会先（通过节点间 API）询问每个成员的节点
运行哪些版本，只要有一个不支持新版本或无法答复，就不发送投票（409 upgrade-not-ready，列出这些成员）。
--force 跳过此项检查。见 docs/operations.md 的“Upgrading the chain state”一节。`,

	"custos consortium vote": `在本机以本成员的治理密钥签署其对提案 ID 的投票（密钥不离开本机），并通过某个成员的节点提交。
每个成员只投一次票，以第一次投票为准。超过 2/3 的表决权投赞成票时提案通过，1/3 投反对票时提案被否决。
密钥为 PEM 文件，或由 URI（pkcs11:token=LABEL;object=KEY-LABEL?module-path=MODULE）指定的 PKCS#11
令牌中的密钥对，其 PIN 来自 --pin-env 或 --pin-file。

一个 ID 属于联盟链在其下记录的第一个提案，无论由谁提出。签署之前，vote 从节点读取该提案，
并在标准错误输出中说明所投的内容：其操作、对象、参数和提出者。使用 --proposer MEMBER（请求投票的成员，名称或 ID）时，
除非该成员提出了该提案，否则不签署任何内容。自链状态版本 9 起，投票还写明其所示提案的 SHA-256（在本机据所示内容计算），
联盟链仅对该提案计票；低于 9 时投票只写明 ID。`,

	"custos copyright register": `register 从 WORK.json 读取作品的元数据（title、type、authors、owner、created、first_publication），并在同一请求中与文件一起上传；每个文件成为本机构的一项证据。在联盟链上，登记在最终确认时（通常在一秒内）由链编号：register 最多等待 --wait 指定的时间以获取登记号；超时则将登记显示为待定，登记号分配后可用 ` + "`custos copyright get ID`" + ` 查看。`,

	"custos custody": `custody 显示一项证据的保管链（GET /api/v1/evidence/{id}/custody）：自创建起的每个事件，
及其时间、类型、行为人和对象，以及已计数但尚未并入保管链的读取。在终端上输出表格；
标准输出为管道或文件时输出 API 的 JSON（因此可接 '| jq'），在终端上加 --json 也输出 JSON。
各事件见 docs/custody-events.md。

退出码：0 已输出；1 服务器拒绝（例如 404：无此证据，或您的令牌无权查看）或无法连接；2 用法错误。`,

	"custos download": `download 获取一项证据的内容（GET /api/v1/evidence/{id}/content；服务器记录一个
“downloaded”保管事件），写入目标旁的临时文件；只有收到内容的 SHA-256 与证据记录的摘要
（服务器随内容发送的 ETag；未发送时，为证据记录中的摘要）一致时，才将其改为目标文件名。
摘要不符或传输中断时，删除临时文件，不会以目标文件名写入任何内容。

不加 -o 时，文件以证据的文件名（仅基本名）命名，否则以其 ID 命名，存于当前文件夹；
-o DIR 将其以该名称存入 DIR；该处已有的文件从不被替换：下载内容另存为“名称 (1).扩展名”（其后为 (2)、…），
并在提示中说明。-o FILE 指定文件名（已有文件将被替换）。
-o - 将内容边接收边写到标准输出；最后仍核对摘要，不符时在标准错误上报告，退出码为 1
（此时已写出的内容须丢弃）。标准错误为终端时，在其上显示进度条（字节数、百分比、速率）。

退出码：0 已下载且摘要一致；1 摘要不符、传输失败或服务器拒绝（例如 404：无此证据，
或您的令牌无权查看）；2 用法错误。`,

	"custos help": `为本程序的任一命令提供帮助。
输入 custos help [命令路径] 查看完整说明。`,

	"custos list": `list 列出本机构可见的证据（本机构的以及与本机构共享的），最新的在前：在终端上为表格，管道输出（或加 --json）时每项一行 JSON。不加 --all 时只输出一页；如还有更多，在标准错误上给出下一页的游标。每项被列出的证据都会记录一个“listed”保管事件。`,

	"custos login": `login 向服务器核验 API 令牌（GET /api/v1/me），并将服务器和令牌保存为一个配置
（默认名为“default”），该配置成为当前配置：之后的命令无需 --server 和 --token。
加 --token-stdin 时从标准输入读取令牌，否则从 $CUSTOS_TOKEN 或 --token 读取，
再否则在终端上不回显地询问。配置保存在您的配置文件夹（os.UserConfigDir()/custos）的
config.json 中，仅您本人可读。服务器只保存令牌的校验值；'custos logout' 在本机删除令牌
（密钥在用 'custos key revoke' 撤销之前仍然有效）。`,

	"custos logout": `logout 从本机删除一个配置（--profile、$CUSTOS_PROFILE，否则为当前配置）及其令牌。
密钥本身在管理员撤销（'custos key revoke'）之前，在服务器上仍然有效。`,

	"custos lookup": `lookup 不用令牌询问节点：是否有某文件摘要的证据已存证并上链，以及何时：在该节点上，
或在联盟链运行状态版本 4 之后，在任一成员处（联盟的摘要索引），并给出最先存证的成员。
给出 FILE（在本机计算其 SHA-256，文件不会发送），或用 --sha256 或 --sm3 给出摘要。
输出答复（在终端上为表格；管道输出或加 --json 时为 JSON）；不透露证据所有者或元数据的任何信息。

退出码：0 已上链；1 未上链（未知，或尚未上链）；2 用法错误。`,

	"custos pki": `为内置时间戳服务和公证处的文书签名使用外部经认可 CA 的证书，
密钥存于文件或 PKCS#11 令牌中（custos.toml 中的 [pkcs11]）。

  1. custos pki request --for notary --cn NAME   生成密钥和 PKCS#10 证书请求（PEM）
  2. 将请求发给 CA；CA 返回证书及其证书链
  3. custos pki install --for notary CHAIN.pem   检查并安装；重启 custos serve

节点证书和验证者证书仍在联盟根证书之下。`,

	"custos pki install": `检查证书链（先是证书，再是各签发者，以 CA 的根证书结束），并将其安装为
PKI/issued/PURPOSE.pem：证书须对应请求的密钥，适合其用途（TSA：扩展密钥用法仅为
timeStamping，且为关键扩展；notary：签名密钥用法，列有扩展密钥用法时须含 emailProtection），
当前有效，且每张证书都由下一张签发。重启 custos serve 后生效。`,

	"custos pki request": `生成密钥（[pkcs11] 为此用途指定了令牌时生成于令牌中，否则为文件
PKI/issued/PURPOSE.key）以及由其签名的证书请求。已有密钥会被沿用，因此续期时密钥不变；
如需新密钥，请删除密钥文件（或令牌中的密钥）。
在 sm 套件的联盟中（PKI/root.pem 为 SM2），密钥文件为 SM2，请求以 SM2/SM3 签名
（GM/T 0009 默认用户标识）。

请求的密钥用法为 digitalSignature；TSA 另请求唯一的扩展密钥用法 timeStamping，并标记为
关键扩展（RFC 3161 §2.3）；公证处另请求 contentCommitment、emailProtection 和 documentSigning。
由 CA 决定授予什么；install 检查其授予的内容。`,

	"custos profile show": `show 显示命令在此将使用的服务器和令牌，各取第一个给出者：
--server/--token、$CUSTOS_SERVER/$CUSTOS_TOKEN、配置（--profile、$CUSTOS_PROFILE，否则为
当前配置），服务器最后为 http://127.0.0.1:8080。配置中的令牌只发送给该配置自己的服务器。
令牌以遮蔽形式显示，从不完整显示。`,

	"custos share": `share 授予另一机构读取一项证据或整个案件的权限。--org 接受机构名称或 ID：本节点的机构，或联盟目录登记在其他成员处的机构。--matter 接受案件名称或 ID。名称经 Unicode NFKC 规范化和大小写折叠后比较；一个名称对应多个机构，或看似另一机构的名称时，请求被拒绝，并列出候选机构的 ID 以供选择。`,

	"custos trust": `trust 获取节点的信任包（GET /api/v1/trust），即 'custos verify --trust' 和
'custos consistency --trust' 读取的 JSON；或加 --pem 获取其中一份证书：root（联盟根 CA）
或 tsa-chain（时间戳服务的证书链，供 'openssl ts -verify' 使用）。请通过您信任的渠道获取一次
并妥善保存：验证的可靠程度取决于此文件。无需令牌。`,

	"custos verify": `verify 不需要任何服务器或网络即可检查 Custos 回执：证据文件的摘要（加 --file 时）、
保管事件及其哈希链、RFC 3161 时间戳令牌、每个事件在证据日志中的包含证明，以及由信任包
所列联盟验证者签名的检查点。

加 --node URL 时，再请该成员节点（例如法院自己的节点）对照其自身的链确认回执：该节点最新的
检查点须在同一信任包下验证通过，且该节点的 RFC 6962 一致性证明须表明回执的日志是该节点日志
的前缀。节点无法证明的内容一概不予信任；节点尚未到达回执所在区块时，在 --node-wait 时间内重新询问。

联盟更换验证者后，回执由信任包未列出的验证者集合签名：回执带有从信任包（创世）集合起的
变更记录（回执版本 4），或由 --transitions FILE 给出：变更记录的 JSON 列表，或版本 2 的信任包
（GET /api/v1/trust?transitions=1）。从信任包自身的验证者开始逐一核对，每项变更须由其前一集合
超过 2/3 的验证者签名。

加 --evidence-record FILE 时，还检查该证据的 RFC 4998 证据记录（'custos evidence-record'）：
其精简哈希树须从文件的 SHA-256（未给 --file 时为回执所载的）通向其时间戳所覆盖的根，且每个
时间戳须验证通过，并在其自身时间链接到信任包的时间戳根证书。证据记录验证不通过时，结论为 INVALID。
版本 5 的回执自带证据记录，与回执一并检查。

加 --pdf FILE 时改为检查证书 PDF：其 PAdES 签名、签名的时间戳，以及签名者到信任包根证书
或到 --roots PEM 中根证书（外部 CA 的，用于以 'custos pki install' 安装的证书）的证书链。
给出 --trust 时，还检查 PDF 内附的各份回执及其证据记录。有效但有警告的 PDF（标有 ! 的行，
如认证之后的版本在认证页面上新增的可见内容）退出码仍为 0，结论为“VALID 有效, with warnings”。

退出码：0 回执有效（加 --node 时并已确认）；1 回执无效，或节点的链与之矛盾（输出失败的步骤
及预期值和计算值）；2 用法错误（缺少选项、文件不可读或信任包不可用）；3 离线验证有效，
但节点无法确认（无法连接，或尚未到达回执所在区块）。`,
	"custos evidence-record renew": `立即续期本节点到期的 RFC 4998 证据记录，与定时任务相同（custos.toml 的 [evidence_records]）：
先对链的哈希算法已停用的证据，按其存储的原始字节做哈希树续期（RFC 4998 §5.3），
再对最后一个时间戳的证书将在 renew_before 内到期、或签名算法已停用的链做时间戳续期（§5.2）。
每个被续期的证据都会记录一条保管事件。加 --dry-run 时不请求 TSA，不作任何更改。
有到期内容未能续期时退出码为 1（errors 说明原因：需轮换的 TSA 证书、与记录不符的存储字节）。`,
	"custos evidence-record copyright": `获取著作权登记各文件的 RFC 4998 证据记录（仅限登记机构和现权利人机构），
按登记中的顺序逐份写为 DIR/<证据 ID>.ers，并逐行列出：证据 ID、SHA-256、状态和文件。
每份记录都可用 'custos verify --receipt R --file F --trust T --evidence-record E' 对照其文件离线验证。
尚未生成的记录（pending：证据尚未上链，或其批次尚未生成）不写文件；有这种记录时退出码为 1，请稍后再运行。`,
	"custos evidence-record certificate": `获取公证书各证据的 RFC 4998 证据记录（仅限可查看该公证书的机构），
以及公证书签名 PDF 的 SHA-256 的证据记录，逐份写为 DIR/<证据 ID>.ers，PDF 的写为 DIR/<公证书 ID>.pdf.ers，
并逐行列出：种类、ID、SHA-256、状态和文件。PDF 的记录使签名 PDF 在其签名的 TSA 证书到期后仍可证明：
可用任何 RFC 4998 实现（如 Bouncy Castle 的 ERSEvidenceRecord）和信任包中的 TSA 根证书对照 PDF 的字节验证。
尚未生成的记录（pending：节点在出具公证书后不久为 PDF 生成）不写文件；有这种记录时退出码为 1，请稍后再运行。`,

	"custos peer refused": `其他成员的节点永久拒绝的共享通知（其节点就通知本身答复 409、403、422、400 或 413）会离开发件队列，该共享此后的通知暂停在其后、不予发送（PARKED，暂停的后续通知）。按 DETAIL（说明）排除原因后，'refused resend SHARE' 按原顺序重新排队发送；'refused drop SHARE' 永久放弃这些通知，并记入共享方的审计链。`,

	"custos pki seal-key": `在 custos.toml 的 [pkcs11] 表所指定的令牌中生成 pkcs11.webhook_seal_key（和/或 webhook_seal_key_id）
所指定的 AES-256 密钥，敏感且不可导出；已有的密钥保持不变。custos serve 下次启动时以该密钥而不是文件密钥
PKI/webhook-seal.key 密封 webhook 密钥，并重新密封以文件密钥密封的那些；之后可删除文件密钥，节点没有该令牌将无法启动。`,

	"custos consortium revoke-governance-cert": `在持有成员本机构 CA 密钥的机器上运行（consortium init 的 OUT/offline/SLUG-org-ca.key，
或 consortium join 的 DIR/offline/org-ca.key）。撤销治理证书 CERT（PEM 文件，其第一张证书即被撤销者，例如 governance.pem），
该证书须由此机构 CA 签发；机构 CA 本身不停用。自记录撤销的区块起，联盟链拒绝以该证书签署的一切提案和投票，
并删除该成员以该证书对仍在表决中的提案所投的票，以便成员用新密钥重新投票（custos consortium 的 governance-cert 命令）。
撤销交易在本机以机构 CA 密钥签署（只从其他用户不能读取或修改的文件读取），经成员节点提交。
联盟链按 CA 所签署的部分（TBSCertificate）识别证书，因此撤销涵盖该证书的每一种编码。成员已撤销的证书再次撤销时报错。
联盟链自状态版本 10 起接受撤销。见 docs/operations.md“治理密钥被盗”（A stolen governance key）。`,
	"custos consortium reissue": `用于机构 CA 已被停用（propose retire-ca）或要改用新机构 CA 的成员。在成员节点所在的机器上运行。
带 --request DIR（节点可在运行）：生成新机构 CA 的密钥（DIR/org-ca.key，0600）和本成员的 DIR/join-request.json（其类型、名称和验证者密钥，并由该密钥签名）；
联盟根密钥的持有者对照成员列表核对该密钥后，用 custos consortium admit 签发，写出 org-ca.pem。
带 --org-ca 和 --org-ca-key（节点须已停止）：检查该 CA 由联盟根证书签发、指名本成员、与密钥相符、使用新密钥、未被停用且不属于其他成员，
并检查节点的验证者密钥是现有成员的密钥；然后在其下为节点现有的验证者密钥签发节点证书（pki/node.pem），
并以新密钥签发 TSA 证书（pki/tsa.pem、tsa.key）以及公证处的文书签名证书（pki/notary.pem、notary.key），连同 pki/org-ca.pem 一并替换。
旧文件保存在 pki/retired-ca-HASH/。随后启动节点：它在新 CA 下第一笔上链的交易会把该 CA 绑定到本成员。
见 docs/operations.md“停用的机构 CA”（A retired organization CA）。`,
}
