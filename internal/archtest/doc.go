// Package archtest holds docs/architecture.md to the code: its test parses
// the "Packages" table and the arrows block of "Dependencies" and compares
// them with what `go list` reports of the module's packages, and checks the
// layer rules the document states. It also holds the Chinese catalogs to
// docs/glossary.md: no term that the glossary says to avoid; and every test,
// fuzz target or benchmark that README.md or docs/ names to the module's
// tests. The package has no code of its own.
package archtest
