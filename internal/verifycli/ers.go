package verifycli

import (
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/receipt"
)

// stepERS is the step of the evidence record (--evidence-record).
const stepERS = "evidence-record"

// ERSReport is what the evidence record proved, or why it did not.
type ERSReport struct {
	Valid bool `json:"valid"`
	// Of is what the record was checked against: "file" (the SHA-256 of
	// --file) or "receipt" (the SHA-256 the receipt gives, without --file).
	Of     string     `json:"of"`
	SHA256 string     `json:"sha256"`
	Time   *time.Time `json:"time,omitempty"` // the data existed then: the first time-stamp's genTime
	Stamps []ERSStamp `json:"stamps,omitempty"`
	Step   string     `json:"step,omitempty"` // the failing step of ers.Verify
	Want   string     `json:"expected,omitempty"`
	Got    string     `json:"computed,omitempty"`
	Error  string     `json:"error,omitempty"`
	// ErrorZH says in Chinese why the record is refused (ersReasonsZH).
	ErrorZH string `json:"error_zh,omitempty"`
}

// ersReasonsZH say in Chinese what ers's sentinel errors mean.
var ersReasonsZH = []struct {
	err error
	zh  string
}{
	{ers.ErrMalformed, "证据记录格式有误：不是严格的 DER 编码的 RFC 4998 证据记录"},
	{ers.ErrUnsupported, "证据记录含有不支持的部分"},
	{ers.ErrTooLarge, "证据记录或其中一部分超出大小限制"},
	{ers.ErrMissingHash, "缺少证据记录所用哈希算法的数据摘要：哈希树更新后须给出文件本身（--file）"},
	{ers.ErrMismatch, "证据记录与数据不符：数据摘要不在哈希树中，或时间戳、续期所覆盖的值不一致"},
	{ers.ErrBadToken, "时间戳令牌无效：其签名未通过验证"},
	{ers.ErrUntrusted, "时间戳机构的证书未链接到信任根，或在须有效之时已经失效（续期过迟）"},
}

// ersReasonZH is the Chinese reason for an evidence record's refusal err.
func ersReasonZH(err error) string {
	for _, r := range ersReasonsZH {
		if errors.Is(err, r.err) {
			return r.zh
		}
	}
	return ""
}

// ERSStamp is one verified ArchiveTimeStamp of the record.
type ERSStamp struct {
	Chain int       `json:"chain"`
	Index int       `json:"index"`
	Hash  string    `json:"hash"`
	Time  time.Time `json:"time"`
	TSA   string    `json:"tsa"`
}

// fileHashes hash the file for the evidence record: every hash a record
// may use, since a hash-tree renewal (RFC 4998 §5.3) adds chains of
// another hash than SHA-256.
type fileHashes map[crypto.Hash]hash.Hash

func (f fileHashes) writer() io.Writer {
	ws := make([]io.Writer, 0, len(f))
	for _, h := range f {
		ws = append(ws, h)
	}
	return io.MultiWriter(ws...)
}

func (f fileHashes) sums() ers.Hashes {
	out := ers.Hashes{}
	for k, h := range f {
		out[k] = h.Sum(nil)
	}
	return out
}

// checkERS verifies the DER evidence record der (RFC 4998) against sums,
// the data's hashes (only its SHA-256 from a receipt without the file: a
// record with a chain of another hash then needs --file), with the TSA roots of the trust bundle: its root
// and its further TSA roots, as for the receipt's tokens, and its TSA
// chain as intermediates.
func checkERS(der []byte, sums ers.Hashes, of string, trust *receipt.Trust) (*ERSReport, error) {
	rep := &ERSReport{Of: of, SHA256: hex.EncodeToString(sums[crypto.SHA256])}
	roots, inter, err := tsaTrust(trust)
	if err != nil {
		return nil, err
	}
	rec, err := ers.Decode(der)
	if err != nil {
		rep.Step, rep.Error, rep.ErrorZH = "decode", err.Error(), ersReasonZH(err)
		return rep, nil
	}
	res, err := ers.Verify(rec, sums, ers.VerifyOptions{Roots: roots, Intermediates: inter})
	var ve *ers.VerifyError
	switch {
	case errors.As(err, &ve):
		rep.Step, rep.Want, rep.Got, rep.Error, rep.ErrorZH = ve.Step, ve.Want, ve.Got, ve.Err.Error(), ersReasonZH(err)
		return rep, nil
	case err != nil:
		rep.Error, rep.ErrorZH = err.Error(), ersReasonZH(err)
		return rep, nil
	}
	rep.Valid, rep.Time = true, &res.Time
	for _, s := range res.Stamps {
		rep.Stamps = append(rep.Stamps, ERSStamp{Chain: s.Chain, Index: s.Index, Hash: s.Hash.String(), Time: s.Time, TSA: s.TSA})
	}
	return rep, nil
}

// tsaTrust is the trust bundle's TSA roots (RootPEM and TSARootsPEM) and
// intermediates (TSAChain), as receipt.NewVerifier reads them.
func tsaTrust(t *receipt.Trust) (*x509.CertPool, []*x509.Certificate, error) {
	pool := x509.NewCertPool()
	for _, p := range []string{t.RootPEM, t.TSARootsPEM} {
		if p == "" {
			continue
		}
		cs, err := certs.ParsePEM([]byte(p))
		if err != nil {
			return nil, nil, fmt.Errorf("trust bundle: TSA roots: %w", err)
		}
		for _, c := range cs {
			pool.AddCert(c)
		}
	}
	var inter []*x509.Certificate
	if t.TSAChain != "" {
		var err error
		if inter, err = certs.ParsePEM([]byte(t.TSAChain)); err != nil {
			return nil, nil, fmt.Errorf("trust bundle: TSA chain: %w", err)
		}
	}
	return pool, inter, nil
}

// printERS prints the record's step.
func printERS(p printer, r *ERSReport) {
	if !r.Valid {
		p.failed(stepERS)
		what := r.Error
		if r.Step != "" {
			what = r.Step + ": " + what
		}
		p.raw("  %s", what)
		if p.chinese && r.ErrorZH != "" {
			p.raw("  原因：%s", r.ErrorZH)
		}
		if r.Want != "" {
			p.line("expected", r.Want)
		}
		if r.Got != "" {
			p.line("computed", r.Got)
		}
		return
	}
	p.line("ers-"+r.Of, r.Time.UTC().Format(time.RFC3339), len(r.Stamps))
	for _, s := range r.Stamps {
		tsa := s.TSA
		if tsa == "" {
			tsa = p.say("unnamed-tsa")
		}
		p.line("ers-stamp", s.Time.UTC().Format(time.RFC3339), tsa, s.Hash)
	}
}
