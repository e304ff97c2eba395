package receipt

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/custos-project/custos/ers"
)

// vectorRecord is the DER evidence record of a batch of one item, data,
// whose time-stamp is reply (an inputs.json token over data's SHA-256):
// deterministic, since the token is committed.
func vectorRecord(t testing.TB, data []byte, token string) []byte {
	t.Helper()
	reply, err := base64.StdEncoding.DecodeString(token)
	check(t, err)
	sum := sha256.Sum256(data)
	batch, err := ers.Build(context.Background(), crypto.SHA256, [][]byte{sum[:]},
		func(context.Context, crypto.Hash, []byte) ([]byte, error) { return reply, nil })
	check(t, err)
	return batch.AppendRecord(nil, 0)
}

// v5Receipt builds the version-3 receipt of v3-complete, embeds the
// record edit makes of the item's record, and encodes it.
func v5Receipt(edit func(t testing.TB, b *vectorBase, der []byte) []byte) func(testing.TB, *vectorBase) []byte {
	return func(t testing.TB, b *vectorBase) []byte {
		r := b.receipt(t, receiptOpts{v3: true, since: 2})
		der := edit(t, b, vectorRecord(t, vectorArtifact, b.inputs.Token))
		r5, err := r.WithRecord(der)
		check(t, err)
		return encode(t, r5)
	}
}

// recordVectorCases are the version-5 vectors (docs/receipt.md §9):
// receipts that embed the item's evidence record.
func recordVectorCases() []vectorCase {
	const ev = "evidence.txt"
	same := func(_ testing.TB, _ *vectorBase, der []byte) []byte { return der }
	return []vectorCase{
		{"v5-evidence-record", ev, "", "version 5: v3-complete with the item's evidence record (a batch of one: the token over the item's SHA-256)",
			v5Receipt(same)},
		{"v5-evidence-record-without-file", "", "", "version 5: as v5-evidence-record, checked without the file (the record against the receipt's SHA-256)",
			v5Receipt(same)},
		{"v5-evidence-record-other-data", ev, StepRecord, "version 5: the embedded record is a valid record of other data (a token of the trusted TSA over another hash)",
			v5Receipt(func(t testing.TB, b *vectorBase, _ []byte) []byte {
				return vectorRecord(t, []byte(b.inputs.OtherData), b.inputs.OtherToken)
			})},
		{"v5-evidence-record-signature-altered", ev, StepRecord, "version 5: the last byte of the record's token (its signature) changed",
			v5Receipt(func(_ testing.TB, _ *vectorBase, der []byte) []byte {
				der = append([]byte(nil), der...)
				der[len(der)-1] ^= 0x01
				return der
			})},
		{"v5-evidence-record-trailing-byte", ev, StepRecord, "version 5: a byte after the record's DER (ers.Decode refuses it)",
			v5Receipt(func(_ testing.TB, _ *vectorBase, der []byte) []byte { return append(der, 0) })},
		{"v5-without-record", ev, StepFormat, "version 5 without evidence_record",
			func(t testing.TB, b *vectorBase) []byte {
				r := b.receipt(t, receiptOpts{v3: true, since: 2})
				enc := encode(t, r)
				return []byte(string(enc[:len(`{"version":`)]) + "5" + string(enc[len(`{"version":3`):]))
			}},
		{"v3-with-record", ev, StepFormat, "version 3 carrying evidence_record (only version 5 may)",
			func(t testing.TB, b *vectorBase) []byte {
				r := b.receipt(t, receiptOpts{v3: true, since: 2})
				r5, err := r.WithRecord(vectorRecord(t, vectorArtifact, b.inputs.Token))
				check(t, err)
				enc := encode(t, r5)
				return []byte(string(enc[:len(`{"version":`)]) + "3" + string(enc[len(`{"version":5`):]))
			}},
	}
}
