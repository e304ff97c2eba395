package main

import (
	"testing"
)

// TestFsckConsortiumMember runs `custos fsck --config member/custos.toml`
// on consortium members' fresh stores: fsck loads the member's PKI as
// serve does (certificates and the TSA key, no CA keys), instead of the
// development PKI a member does not have. Each member is started once,
// alone (its chain makes no blocks without the others), to make its
// store, and stopped, since fsck needs the node stopped.
func TestFsckConsortiumMember(t *testing.T) {
	if testing.Short() {
		t.Skip("starts consortium members")
	}
	ms := consortiumMembers(initConsortium(t))
	for _, m := range []*member{ms[0], ms[2]} { // a court, and the notary (with a notary certificate)
		t.Run(m.slug, func(t *testing.T) {
			m.start(t)
			m.p.Stop()
			out, err := runCustos(t, "fsck", "--config", m.cfg)
			if err != nil {
				t.Fatalf("custos fsck --config %s: %v\n%s", m.cfg, err, out)
			}
			var rep struct {
				Records *int `json:"records"`
			}
			mustJSON(t, []byte(out), &rep)
			if rep.Records == nil || *rep.Records != 0 {
				t.Errorf("fsck report = %s; want a report of a store with 0 records", out)
			}
		})
	}
}
