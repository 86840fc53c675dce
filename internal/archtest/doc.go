// Package archtest holds no code: its test checks the import rules of
// docs/ARCHITECTURE.md against the tree, so a domain package that starts
// importing another fails the build's tests instead of a review.
package archtest
