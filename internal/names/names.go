// Package names compares organization names as people read them: two
// names whose confusable skeletons (Unicode TS #39 §4, "Confusable
// Detection") are equal look alike, such as "Hangzhou Internet Court"
// and "Hangzh0u Internet Court", or the same with a Cyrillic "о".
//
// It is a node's policy, not a rule of the chain: the consortium's
// directory compares names by anchor.NameKey only.
package names

import (
	"slices"

	"github.com/mtibben/confusables"

	"github.com/custos-project/custos/anchor"
)

// maxRounds bounds the rounds of Skeleton. Real names reach a fixed point
// in two or three rounds.
const maxRounds = 16

// round is one round of Skeleton: NameKey's normalization, the TS #39
// skeleton, and the normalization again.
func round(s string) string {
	return anchor.NameKey(confusables.Skeleton(anchor.NameKey(s)))
}

// Skeleton is the confusable skeleton of name: anchor.NameKey's
// normalization (Unicode NFKC, case folding, white space), then the TS #39
// skeleton (NFD, each character mapped to its prototype, NFD), then
// NameKey again. A round may uncover a character that maps further (a
// prototype in capitals folds to lower case, which may have a prototype of
// its own), so rounds repeat until one changes nothing. A few strings
// never settle but cycle (case folding is not idempotent for some scripts,
// Cherokee among them): Skeleton is then the least string of the cycle, so
// that Skeleton(Skeleton(x)) == Skeleton(x) always. Two names look alike
// when their skeletons are equal.
//
// The skeleton is for comparing only, never for showing: it is not the
// name, and may not even read as one.
func Skeleton(name string) string {
	seen := []string{name}
	for range maxRounds {
		next := round(seen[len(seen)-1])
		for i, s := range seen {
			if s == next {
				return slices.Min(seen[i:])
			}
		}
		seen = append(seen, next)
	}
	return seen[len(seen)-1]
}
