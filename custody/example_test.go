package custody_test

import (
	"fmt"
	"strings"

	"github.com/custos-project/custos/custody"
)

// Every custody event has exactly one encoding; anything else is refused.
func ExampleDecode() {
	b := []byte(`{"v":1,"evidence":"aaaaaaaaaaaaaaaaaaaaaaaaaa","seq":1,"type":"viewed","time":"2026-11-21T08:31:00.000000000Z","actor":"admin","prev":"cba69aac687a625d1ddc8172b070dc5c6f4ffc0a4cc953cb641b8bc7cad0a135"}`)
	e, err := custody.Decode(b)
	fmt.Println(e.Type, e.Actor, err)

	_, err = custody.Decode([]byte(strings.Replace(string(b), `"seq":1`, `"seq": 1`, 1)))
	fmt.Println(err)
	// Output:
	// viewed admin <nil>
	// custody: malformed custody event: not in canonical form
}
