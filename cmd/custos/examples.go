package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// examples are the Example sections of the commands that do not set one
// where they are defined, by command path. TestHelpExamples fails on a
// runnable command with none.
var examples = map[string]string{
	"custos certificate": `  custos certificate issue --evidence nqihfudftxfyqo6okr4h7myh4i --applicant-org 杭州某某律师事务所
  custos certificate list`,
	"custos certificate get": `  custos certificate get fylrqlfqqhnh2uvep6dxycqyia`,
	"custos certificate issue": `  custos certificate issue --matter vwy5d5k6gak64misbwcxxhpb4i --applicant-org 杭州某某律师事务所
  custos certificate issue --evidence nqihfudftxfyqo6okr4h7myh4i --applicant-name 张三 --applicant-id 330106199001011234`,
	"custos certificate list": `  custos certificate list
  custos certificate list --json | jq -r '.items[].number'`,
	"custos certificate pdf": `  custos certificate pdf fylrqlfqqhnh2uvep6dxycqyia -o certificate.pdf
  custos verify --pdf certificate.pdf --trust trust.json`,
	"custos completion": `  custos completion bash > /etc/bash_completion.d/custos
  custos completion zsh > "${fpath[1]}/_custos"`,
	"custos completion bash": `  source <(custos completion bash)
  custos completion bash > /etc/bash_completion.d/custos`,
	"custos completion fish":       `  custos completion fish > ~/.config/fish/completions/custos.fish`,
	"custos completion powershell": `  custos completion powershell | Out-String | Invoke-Expression`,
	"custos completion zsh":        `  custos completion zsh > "${fpath[1]}/_custos"`,
	"custos consistency":           `  custos consistency --old old-receipt.json --new checkpoint.json --trust trust.json --server https://custos.court.example`,
	"custos consortium": `  custos consortium init --out consortium --org court:杭州互联网法院 --org notary:杭州市钱塘公证处 --org arbitration:杭州仲裁委员会
  custos consortium status`,
	"custos consortium init": `  custos consortium init --out consortium --org court:杭州互联网法院 --org notary:杭州市钱塘公证处 --org arbitration:杭州仲裁委员会`,
	"custos copyright": `  custos copyright register --metadata work.json photo.png
  custos copyright search photo.png`,
	"custos copyright accept":  `  custos copyright accept pcchmvvid6bmeymwm62rtxtxpm`,
	"custos copyright decline": `  custos copyright decline pcchmvvid6bmeymwm62rtxtxpm`,
	"custos copyright get":     `  custos copyright get rgpypogoglbdgarhd5wedlxek4`,
	"custos copyright list": `  custos copyright list
  custos copyright list --json | jq -r '.items[].number'`,
	"custos copyright offers": `  custos copyright offers --status pending`,
	"custos copyright pdf": `  custos copyright pdf rgpypogoglbdgarhd5wedlxek4 -o registration.pdf
  custos verify --pdf registration.pdf --trust trust.json`,
	"custos copyright revoke":   `  custos copyright revoke rgpypogoglbdgarhd5wedlxek4 --reason "registered in error"`,
	"custos copyright transfer": `  custos copyright transfer rgpypogoglbdgarhd5wedlxek4 --to 3bx3iqjcvry7slzy5pphuou3n4 --expires-in-days 14`,
	"custos copyright withdraw": `  custos copyright withdraw pcchmvvid6bmeymwm62rtxtxpm`,
	"custos evidence":           `  custos evidence get nqihfudftxfyqo6okr4h7myh4i`,
	"custos help":               `  custos help submit`,
	"custos fsck": `  custos fsck --data /var/lib/custos
  custos fsck --data /var/lib/custos --deep`,
	"custos key": `  custos key create --org 3bx3iqjcvry7slzy5pphuou3n4 --role submitter --name "scanner at reception"
  custos key list --org 3bx3iqjcvry7slzy5pphuou3n4`,
	"custos key create": `  custos key create --org 3bx3iqjcvry7slzy5pphuou3n4 --role submitter --name "scanner at reception" --expires 2027-06-30T00:00:00Z`,
	"custos key list":   `  custos key list --org 3bx3iqjcvry7slzy5pphuou3n4`,
	"custos key revoke": `  custos key revoke k7x2m4q9r1t5v8w3y6z0a2b4c6`,
	"custos list": `  custos list
  custos list --matter vwy5d5k6gak64misbwcxxhpb4i --all
  custos list --all | jq -r 'select(.status == "anchored") | .id'`,
	"custos matter": `  custos matter create --title "Zhang v. Li" --party 张三 --party 李四
  custos matter list`,
	"custos matter create": `  custos matter create --title "Zhang v. Li" --party 张三 --party 李四 --case-number "(2026)浙0192民初123号"`,
	"custos matter list":   `  custos matter list`,
	"custos org": `  custos org create --kind lawfirm --name 杭州某某律师事务所
  custos org list`,
	"custos org audit":  `  custos org audit 3bx3iqjcvry7slzy5pphuou3n4 --json | jq -r '.events[].type'`,
	"custos org create": `  custos org create --kind court --name 杭州互联网法院`,
	"custos org list":   `  custos org list`,
	"custos org update": `  custos org update 3bx3iqjcvry7slzy5pphuou3n4 --name 杭州市某某律师事务所
  custos org update 3bx3iqjcvry7slzy5pphuou3n4 --unlisted-by-default=true`,
	"custos pki": `  custos pki request --config custos.toml --for notary --cn 张三 --org 杭州市互联网公证处 --country CN`,
	"custos evidence-record": `  custos evidence-record nqihfudftxfyqo6okr4h7myh4i -o contract.ers
  custos verify --receipt contract.receipt.json --file contract.pdf --trust trust.json --evidence-record contract.ers`,
	"custos receipt": `  custos receipt nqihfudftxfyqo6okr4h7myh4i --wait 20s -o contract.receipt.json
  custos verify --receipt contract.receipt.json --file contract.pdf --trust trust.json`,
	"custos serve": `  custos serve
  custos serve --config custos.toml --data /var/lib/custos --listen :8080`,
	"custos share": `  custos share --evidence nqihfudftxfyqo6okr4h7myh4i --org 3bx3iqjcvry7slzy5pphuou3n4
  custos share --matter vwy5d5k6gak64misbwcxxhpb4i --org 3bx3iqjcvry7slzy5pphuou3n4 --expires 2027-06-30T00:00:00Z`,
	"custos share list": `  custos share list
  custos share list --received`,
	"custos share revoke": `  custos share revoke h6q6wfacyls6iz4n6gmays3jci`,
	"custos submit": `  custos submit contract.pdf --title "Supply contract" --matter vwy5d5k6gak64misbwcxxhpb4i
  custos submit scans/*.pdf | jq -r .id`,
	"custos webhook": `  custos webhook create --url https://hooks.firm.example/custos --event evidence.anchored
  custos webhook list`,
	"custos webhook adopt":      `  custos webhook adopt xddsl3l7nvtncupor35hj474zi`,
	"custos webhook create":     `  custos webhook create --url https://hooks.firm.example/custos --event evidence.anchored --event evidence.shared`,
	"custos webhook delete":     `  custos webhook delete xddsl3l7nvtncupor35hj474zi`,
	"custos webhook deliveries": `  custos webhook deliveries xddsl3l7nvtncupor35hj474zi --limit 20`,
	"custos webhook list":       `  custos webhook list`,
	"custos evidence-record copyright": `  custos evidence-record copyright mfrtjqx7hauuiq2l3v7cxv6k7u -d records/
  custos verify --receipt chapter1.receipt.json --file chapter1.txt --trust trust.json --evidence-record records/nqihfudftxfyqo6okr4h7myh4i.ers`,
	"custos evidence-record certificate": `  custos evidence-record certificate kmcl7x3mjjf3tsnmot6jesprgu -d records/
  custos evidence-record certificate kmcl7x3mjjf3tsnmot6jesprgu --json | jq -r '.[] | select(.status != "ready") | .id'`,
}

// setExamples gives every command its example: its own, else the one in
// examples, else the one its Long text ends with ("Example:" and
// indented lines), moved to the Example section where --help shows it.
func setExamples(root *cobra.Command) {
	walk(root, func(c *cobra.Command) {
		if before, after, ok := strings.Cut(c.Long, "\nExample:\n"); ok && c.Example == "" {
			c.Long, c.Example = strings.TrimRight(before, "\n"), strings.TrimRight(after, "\n")
		}
		if c.Example == "" {
			c.Example = examples[c.CommandPath()]
		}
	})
}

// walk calls f on c and every command under it.
func walk(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, s := range c.Commands() {
		walk(s, f)
	}
}
