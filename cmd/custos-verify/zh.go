package main

import (
	"flag"
	"regexp"
)

// The command's own words in Chinese, for a Chinese locale (the report's
// come from verifycli): the same as custos verify's help and messages.
const (
	usageZH = "用法：custos-verify --receipt 回执文件 [--file 证据文件] --trust 信任包 [--transitions 文件] [--evidence-record 文件] [--json]\n" +
		"      custos-verify --pdf 证书文件 [--trust 信任包] [--roots 根证书文件] [--json]\n\n" +
		"离线核验 Custos 回执或证书 PDF。退出码：0 有效，1 无效，2 用法错误。"
	needsZH    = "custos-verify 需要 --receipt FILE 和 --trust BUNDLE（见 'custos-verify --help'）"
	pdfAloneZH = "custos-verify --pdf 只检查证书 PDF 本身：不接受 --receipt、--file、--transitions、--evidence-record 或参数"
	pdfRootsZH = "custos-verify --pdf 需要 --trust BUNDLE、--roots PEM 或两者（见 'custos-verify --help'）"
)

// flagsZH are the flags' descriptions in Chinese; the word in backquotes
// names the flag's value (the flag package's "string" in English).
var flagsZH = map[string]string{
	"receipt":         "回执 JSON `文件`",
	"file":            "与回执核对的证据`文件`（可选）",
	"trust":           "信任包 JSON `文件`（请自行保存一份）",
	"transitions":     "验证者更换后所出回执的验证者集合变更记录`文件`：JSON 列表，或版本 2 的信任包",
	"evidence-record": "证据的 RFC 4998 证据记录`文件`（DER），对照文件或回执所载 SHA-256 检查（可选）",
	"json":            "以一个 JSON 对象输出结果",
	"pdf":             "检查 Custos 签发的证书 PDF `文件`而非回执：检查其签名、时间戳和证书链（加 --trust、--roots 或两者）",
	"roots":           "与 --pdf 一起使用：另外信任的根证书 PEM `文件`，例如为公证处和时间戳服务签发证书的外部 CA",
}

// flagErrorsZH are the flag package's parse errors, matched by their
// English text, in Chinese.
var flagErrorsZH = []struct {
	re *regexp.Regexp
	zh string
}{
	{regexp.MustCompile(`^flag provided but not defined: (.+)$`), "未知选项：$1"},
	{regexp.MustCompile(`^flag needs an argument: (.+)$`), "选项需要参数：$1"},
	{regexp.MustCompile(`^invalid boolean value (.+) for (.+): .*$`), "选项 $2 的值 $1 无效：须为 true 或 false"},
	{regexp.MustCompile(`^invalid boolean flag (.+): .*$`), "选项 $1 的值无效：须为 true 或 false"},
}

// speakChinese puts fs's flags' descriptions into Chinese.
func speakChinese(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if s, ok := flagsZH[f.Name]; ok {
			f.Usage = s
		}
	})
}

// flagErrorZH is the flag package's error in Chinese, or as it is.
func flagErrorZH(err error) string {
	for _, e := range flagErrorsZH {
		if e.re.MatchString(err.Error()) {
			return e.re.ReplaceAllString(err.Error(), e.zh)
		}
	}
	return err.Error()
}
