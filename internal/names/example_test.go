package names_test

import (
	"fmt"

	"github.com/custos-project/custos/internal/names"
)

func ExampleSkeleton() {
	court := names.Skeleton("Hangzhou Internet Court")
	fmt.Println(names.Skeleton("Hangzh0u Internet Court") == court)      // digit zero
	fmt.Println(names.Skeleton("Hangzh\u043eu Internet Court") == court) // Cyrillic о
	fmt.Println(names.Skeleton("Hangzhou Internet Courts") == court)
	// Output:
	// true
	// true
	// false
}
