// Package archtest holds docs/architecture.md to the code: its test parses
// the "Packages" table and the arrows block of "Dependencies" and compares
// them with what `go list` reports of the module's packages, and checks the
// layer rules the document states. It also holds the Chinese catalogs to
// docs/glossary.md: no term that the glossary says to avoid. The package
// has no code of its own.
package archtest
