package receipt_test

import (
	"fmt"
	"log"
	"os"

	"github.com/custos-project/custos/receipt"
)

func ExampleVerify() {
	rb, err := os.ReadFile("testdata/good.json")
	if err != nil {
		log.Fatal(err)
	}
	tb, err := os.ReadFile("testdata/trust.json") // the court's own copy
	if err != nil {
		log.Fatal(err)
	}
	file, err := os.Open("testdata/evidence.txt")
	if err != nil {
		log.Fatal(err)
	}
	defer file.Close()

	r, err := receipt.Parse(rb)
	if err != nil {
		log.Fatal(err)
	}
	trust, err := receipt.ParseTrust(tb)
	if err != nil {
		log.Fatal(err)
	}
	res, err := receipt.Verify(r, file, trust, receipt.Options{})
	if err != nil {
		fmt.Println(err) // a *receipt.VerifyError names the failing step
		return
	}
	fmt.Println("evidence", res.Evidence.ID, "file checked:", res.FileChecked)
	for _, t := range res.Timestamps {
		fmt.Println("stamped", t.Time, "by", t.TSA)
	}
	for _, e := range res.Events {
		fmt.Println("event", e.Seq, e.Type, "at leaf", e.LeafIndex)
	}
	cp := res.Checkpoint
	fmt.Printf("checkpoint %s/%d: %d leaves, %d of %d voting power signed\n",
		cp.ChainID, cp.Height, cp.TreeSize, cp.SignedPower, cp.TotalPower)
	// Output:
	// evidence mfrggzdfmztwq2lknnwg23tpoa file checked: true
	// stamped 2026-11-21 08:30:00 +0000 UTC by Hangzhou Internet Court TSA
	// event 0 created at leaf 3
	// event 1 viewed at leaf 10
	// event 2 downloaded at leaf 17
	// event 3 viewed at leaf 30
	// event 4 viewed at leaf 44
	// checkpoint custos-test-1/12: 45 leaves, 40 of 40 voting power signed
}
