package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyFailedStepZH: when a receipt is not valid, custos verify's
// last word on standard error names the failed step in the CLI's
// language, as custos-verify does (custody（保管链） in Chinese).
func TestVerifyFailedStepZH(t *testing.T) {
	vectors := filepath.Join("..", "..", "receipt", "testdata", "vectors")
	args := []string{"verify", "--receipt", filepath.Join(vectors, "invalid", "custody-chain-broken.json"), "--trust", filepath.Join(vectors, "trust.json")}
	for _, tc := range []struct{ locale, want string }{
		{"C.UTF-8", "the receipt is NOT valid: the custody check failed"},
		{"zh_CN.UTF-8", "custody（保管链） 检查未通过"},
	} {
		_, err := runCustosEnv(t, []string{"LC_ALL=" + tc.locale}, args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LC_ALL=%s custos verify of a broken chain = %v; want %q on standard error", tc.locale, err, tc.want)
		}
	}
}
