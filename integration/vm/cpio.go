package vm

import (
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
)

// cpioWriter writes the "newc" (SVR4, no CRC) cpio format the kernel's
// initramfs unpacker reads. The standard library has no writer and shelling
// out to cpio(1) would need a staging directory on disk per run.
type cpioWriter struct {
	w     io.Writer
	n     int64 // bytes written, for 4-byte padding
	ino   uint32
	dirs  map[string]bool
	err   error
	names map[string]bool
}

func newCPIOWriter(w io.Writer) *cpioWriter {
	return &cpioWriter{w: w, ino: 1000, dirs: map[string]bool{"": true, ".": true}, names: map[string]bool{}}
}

func (c *cpioWriter) write(p []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
}

func (c *cpioWriter) pad() {
	if r := c.n % 4; r != 0 {
		c.write(make([]byte, 4-r))
	}
}

// entry writes one header, name and body. mode carries the file type bits
// (0o040000 directory, 0o100000 regular, 0o120000 symlink).
func (c *cpioWriter) entry(name string, mode uint32, body []byte) {
	c.ino++
	nlink := 1
	if mode&0o170000 == 0o040000 {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		c.ino, mode, 0, 0, nlink, 0, len(body), 0, 0, 0, 0, len(name)+1, 0)
	c.write([]byte(hdr))
	c.write([]byte(name))
	c.write([]byte{0})
	c.pad()
	c.write(body)
	c.pad()
}

// mkdirAll writes directory entries for every missing parent of name.
func (c *cpioWriter) mkdirAll(dir string) {
	dir = strings.Trim(dir, "/")
	if c.dirs[dir] {
		return
	}
	if i := strings.LastIndex(dir, "/"); i >= 0 {
		c.mkdirAll(dir[:i])
	}
	c.dirs[dir] = true
	c.entry(dir, 0o040755, nil)
}

func (c *cpioWriter) parent(name string) {
	if i := strings.LastIndex(name, "/"); i >= 0 {
		c.mkdirAll(name[:i])
	}
}

// File adds a regular file; later entries with the same name replace earlier
// ones when the kernel unpacks, but within one archive we refuse duplicates
// because they always mean a bug in the caller.
func (c *cpioWriter) File(name string, perm fs.FileMode, body []byte) error {
	name = strings.Trim(name, "/")
	if c.names[name] {
		return fmt.Errorf("cpio: duplicate entry %q", name)
	}
	c.names[name] = true
	c.parent(name)
	c.entry(name, 0o100000|uint32(perm.Perm()), body)
	return c.err
}

// Symlink adds a symbolic link name -> target.
func (c *cpioWriter) Symlink(name, target string) error {
	name = strings.Trim(name, "/")
	if c.names[name] {
		return fmt.Errorf("cpio: duplicate entry %q", name)
	}
	c.names[name] = true
	c.parent(name)
	c.entry(name, 0o120777, []byte(target))
	return c.err
}

// Dir adds an empty directory.
func (c *cpioWriter) Dir(name string) error {
	c.mkdirAll(name)
	return c.err
}

// Close writes the trailer. It does not close the underlying writer.
func (c *cpioWriter) Close() error {
	c.entry("TRAILER!!!", 0, nil)
	return c.err
}

// sortedKeys returns the keys of m in order, so archives are reproducible.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
