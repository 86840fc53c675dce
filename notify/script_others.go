//go:build !unix

package notify
