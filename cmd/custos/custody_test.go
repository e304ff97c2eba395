package main

import (
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
)

// TestCustodyTablePendingNames: the reads counted but not yet in the chain
// name their actor's organization as the chain's events do, when an event
// gives that organization's name, and keep the raw actor when none does.
func TestCustodyTablePendingNames(t *testing.T) {
	at := time.Date(2026, 12, 6, 19, 5, 49, 0, time.UTC)
	v := &wire.CustodyView{
		Evidence: "item",
		Events: []wire.CustodyEvent{
			{Event: custody.Event{Seq: 0, Type: "created", Time: at.Format(time.RFC3339Nano), Actor: "firm:k1"}, ActorOrgName: "Zhong Lun Law Firm"},
			{Event: custody.Event{Seq: 1, Type: "listed", Time: at.Format(time.RFC3339Nano), Actor: "court:k2"}, ActorOrgName: "Hangzhou Internet Court"},
		},
		PendingReads: []wire.PendingRead{
			{Type: "viewed", Actor: "court:k3", Subject: "custody", Reads: 2, Since: at, Last: at},
			{Type: "viewed", Actor: "other:k4", Reads: 1, Since: at, Last: at},
		},
	}
	var b strings.Builder
	if err := custodyTable(&b, v); err != nil {
		t.Fatal(err)
	}
	_, pending, ok := strings.Cut(b.String(), "\n\n")
	if !ok {
		t.Fatalf("no table of pending reads in\n%s", b.String())
	}
	for _, want := range []string{"Hangzhou Internet Court (k3)", "other:k4"} {
		if !strings.Contains(pending, want) {
			t.Errorf("pending reads lack %q:\n%s", want, pending)
		}
	}
}
