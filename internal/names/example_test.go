package names_test

import (
	"fmt"

	"github.com/custos-project/custos/internal/names"
)

func ExampleLookAlike() {
	fmt.Println(names.LookAlike("Hangzhou Internet Court", "Hangzh0u Internet Court"))
	fmt.Println(names.LookAlike("Hangzhou Internet Court", "HANGZHOU internet court")) // the same name
	fmt.Println(names.Skeleton("Hangzh\u043eu Internet Court") == names.Skeleton("Hangzhou Internet Court"))
	// Output:
	// true
	// false
	// true
}
