package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestHelpExamples walks the whole command tree: every command a person
// can run has a Short line and an Example for --help.
func TestHelpExamples(t *testing.T) {
	n := 0
	walk(newRoot(), func(c *cobra.Command) {
		if c.Hidden || !c.Runnable() {
			return
		}
		n++
		if strings.TrimSpace(c.Short) == "" {
			t.Errorf("%s has no Short", c.CommandPath())
		}
		if !strings.Contains(c.Example, "custos") {
			t.Errorf("%s has no Example (add one where it is defined, or to examples in examples.go)", c.CommandPath())
		}
		if strings.Contains(c.Long, "\nExample:") {
			t.Errorf("%s keeps an example in its Long text", c.CommandPath())
		}
	})
	if n < 80 {
		t.Errorf("walked %d runnable commands; the tree has more", n)
	}
	for path := range examples { // no stale entries
		if c := findCommand(t, path); c == nil {
			t.Errorf("examples names %q, which is no command", path)
		}
	}
}

// findCommand is the command at a path such as "custos org list", or nil.
func findCommand(t *testing.T, path string) *cobra.Command {
	t.Helper()
	root := newRoot()
	c, rest, err := root.Find(strings.Fields(path)[1:])
	if err != nil || len(rest) != 0 || c.CommandPath() != path {
		return nil
	}
	return c
}

func TestCompletionScripts(t *testing.T) {
	for shell, marker := range map[string]string{
		"bash":       "__start_custos",
		"zsh":        "#compdef custos",
		"fish":       "complete -c custos",
		"powershell": "Register-ArgumentCompleter",
	} {
		out, err := runCustos(t, "completion", shell)
		if err != nil || !strings.Contains(out, marker) {
			t.Errorf("custos completion %s: %v; %d bytes without %q", shell, err, len(out), marker)
		}
	}
}

// TestUsageExitCodes: unknown commands and flags, and missing arguments,
// exit 2 (docs/cli.md, "Exit status").
func TestUsageExitCodes(t *testing.T) {
	for _, args := range [][]string{
		{"bogus"},
		{"--no-such-flag"},
		{"profile"},
		{"consortium"},
		{"log"},
		{"document"},
		{"completion"},
		{"completion", "tcsh"},
		{"profile", "use"},
		{"log", "consistency", "a", "b"},
		{"trust", "--pem", "other"},
		{"evidence", "get"},
		{"me", "extra"},
		{"consortium", "vote", "p1", "--key", "k", "--cert", "c"},
		{"consortium", "vote", "p1", "--yes"},
		{"consortium", "propose", "frob", "x", "--key", "k", "--cert", "c"},
		{"consortium", "propose", "power", "x", "--key", "k", "--cert", "c"},
		{"consortium", "proposal"},
		{"consortium", "revoke-governance-cert"},
		{"consortium", "revoke-governance-cert", "governance.pem"},
	} {
		_, err := runCustosEnv(t, []string{"CUSTOS_SERVER=http://127.0.0.1:1"}, args...)
		if code := exitCode(err); code != 2 {
			t.Errorf("custos %s: exit %d, want 2 (%v)", strings.Join(args, " "), code, err)
		}
	}
}

// apiCommands maps every operation of api/openapi.json to the command
// that reaches it, or to why none does (noCLI).
var apiCommands = map[string]string{
	"createEvidence":           "custos submit",
	"listEvidence":             "custos list",
	"getEvidence":              "custos evidence get",
	"getEvidenceContent":       "custos download",
	"getEvidenceCustody":       "custos custody",
	"getEvidenceReceipt":       "custos receipt",
	"getEvidenceRecord":        "custos evidence-record",
	"getEvidenceTimestamp":     "custos evidence timestamp",
	"revokeKey":                "custos key revoke",
	"getCheckpoint":            "custos log checkpoint",
	"getConsistencyProof":      "custos log consistency",
	"lookupDigest":             "custos lookup",
	"createMatter":             "custos matter create",
	"listMatters":              "custos matter list",
	"getMatter":                "custos matter get",
	"getMe":                    "custos me",
	"createOrg":                "custos org create",
	"listOrgs":                 "custos org list",
	"getOrg":                   "custos org get",
	"updateOrg":                "custos org update",
	"getOrgAudit":              "custos org audit",
	"createKey":                "custos key create",
	"listKeys":                 "custos key list",
	"createShare":              "custos share",
	"listShares":               "custos share list",
	"revokeShare":              "custos share revoke",
	"getTrust":                 "custos trust",
	"getTrustRootPEM":          "custos trust",
	"getTrustTSAChainPEM":      "custos trust",
	"createWebhook":            "custos webhook create",
	"listWebhooks":             "custos webhook list",
	"deleteWebhook":            "custos webhook delete",
	"adoptWebhook":             "custos webhook adopt",
	"listWebhookDeliveries":    "custos webhook deliveries",
	"registerCopyright":        "custos copyright register",
	"listCopyrights":           "custos copyright list",
	"searchCopyrightsByDigest": "custos copyright search",
	"searchCopyrightsByFile":   "custos copyright search",
	"getCopyright":             "custos copyright get",
	"getCopyrightCertificate":  "custos copyright pdf",
	"revokeCopyright":          "custos copyright revoke",
	"createCertificate":        "custos certificate issue",
	"listCertificates":         "custos certificate list",
	"getCertificate":           "custos certificate get",
	"getCertificatePDF":        "custos certificate pdf",
	"getIntegrity":             "custos integrity status",
	"startIntegrity":           "custos integrity run",
	"checkDocument":            "custos document check",
	"getChainStatus":           "custos consortium status",
	"voteUpgrade":              "custos consortium upgrade",
	"offerTransfer":            "custos copyright transfer",
	"listTransferOffers":       "custos copyright offers",
	"getTransferOffer":         "custos copyright offer",
	"acceptTransfer":           "custos copyright accept",
	"declineTransfer":          "custos copyright decline",
	"withdrawTransfer":         "custos copyright withdraw",
	"listDirectory":            "custos directory list",
	"getDirectoryEntry":        "custos directory get",
	"listConsortiumMembers":    "custos consortium members",
	"listProposals":            "custos consortium proposals",
	"getProposal":              "custos consortium proposal",
	"createProposal":           "custos consortium propose",
	"voteProposal":             "custos consortium vote",
	"getEvidenceRecordStatus":  "custos evidence-record status",
	"renewEvidenceRecords":     "custos evidence-record renew",
	"getCopyrightRecords":      "custos evidence-record copyright",
	"getCertificateRecords":    "custos evidence-record certificate",
	"listRefusedNotices":       "custos peer refused",
	"resendRefusedNotice":      "custos peer refused resend",
	"dropRefusedNotice":        "custos peer refused drop",
	"revokeGovernanceCert":     "custos consortium revoke-governance-cert",
}

// noCLI are the operations with no command, and why.
var noCLI = map[string]string{
	"getOpenAPI":     "the API's own description, for tools; the same file is api/openapi.json in the source",
	"getConsolePage": "a web page for a browser (the console)",
	"getVerifyPage":  "a web page for a browser; 'custos verify' is its command-line counterpart",
	"getStaticFile":  "the web pages' scripts and styles",
	"getHealth":      "a liveness probe for load balancers and supervisors",
	"timestamp":      "the RFC 3161 protocol itself, spoken by any RFC 3161 client (openssl ts, the TSA clients of signing tools); submit time-stamps every item",
	"redirectRoot":   "a browser's way in to the verification page (getVerifyPage)",
}

func TestAPICoverage(t *testing.T) {
	b, err := os.ReadFile("../../api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, methods := range doc.Paths {
		for m, raw := range methods {
			if !slices.Contains([]string{"get", "post", "put", "patch", "delete"}, m) {
				continue
			}
			var op struct {
				OperationID string `json:"operationId"`
			}
			if err := json.Unmarshal(raw, &op); err != nil || op.OperationID == "" {
				t.Errorf("an operation of api/openapi.json has no operationId (%v)", err)
				continue
			}
			ops = append(ops, op.OperationID)
		}
	}
	for _, id := range ops {
		path, mapped := apiCommands[id]
		_, skipped := noCLI[id]
		switch {
		case mapped && skipped:
			t.Errorf("%s is both mapped to %q and listed without a command", id, path)
		case skipped:
		case !mapped:
			t.Errorf("operation %s has no CLI command: add one and map it in apiCommands, or say why not in noCLI", id)
		case findCommand(t, path) == nil:
			t.Errorf("operation %s maps to %q, which is no command", id, path)
		}
	}
	for id := range apiCommands {
		if !slices.Contains(ops, id) {
			t.Errorf("apiCommands maps %s, which api/openapi.json does not declare", id)
		}
	}
	for id := range noCLI {
		if !slices.Contains(ops, id) {
			t.Errorf("noCLI lists %s, which api/openapi.json does not declare", id)
		}
	}
}

// TestCompleteProfiles: completion offers the saved profiles' names for
// 'profile use' and --profile.
func TestCompleteProfiles(t *testing.T) {
	isolateConfig(t)
	saveProfiles(t, "work", map[string]*profile{"work": {Server: "https://a.example"}, "法院": {Server: "https://b.example"}})
	for _, args := range [][]string{{"__complete", "profile", "use", ""}, {"__complete", "list", "--profile", ""}} {
		out, err := runCustos(t, args...)
		if err != nil || !strings.Contains(out, "work\n法院\n") {
			t.Errorf("custos %s = %q, %v; want both profiles", strings.Join(args, " "), out, err)
		}
	}
}
