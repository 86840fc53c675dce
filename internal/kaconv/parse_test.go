package kaconv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []*node
	}{
		{
			name: "one-line list block keeps the entry's words together",
			src:  "virtual_ipaddress { 192.0.2.50/24 dev eth0 label eth0:1 }\n",
			want: []*node{{Name: "virtual_ipaddress", Block: true, Line: 1, Children: []*node{
				{Name: "192.0.2.50/24", Args: args("dev", "eth0", "label", "eth0:1"), Line: 1},
			}}},
		},
		{
			name: "brace on the next line, comments and blank lines",
			src:  "! header\nvrrp_instance VI_1   # trailing\n\n{\n  state MASTER ! why\n  nopreempt\n}\n",
			want: []*node{{Name: "vrrp_instance", Args: args("VI_1"), Block: true, Line: 2, Children: []*node{
				{Name: "state", Args: args("MASTER"), Line: 5},
				{Name: "nopreempt", Line: 6},
			}}},
		},
		{
			name: "quotes keep spaces, comment characters and escaped quotes",
			src:  "script \"killall -0 # haproxy\" \"say \\\"hi\\\" \\\\\"\r\n",
			want: []*node{{Name: "script", Args: []arg{{Text: "killall -0 # haproxy", Quoted: true}, {Text: `say "hi" \`, Quoted: true}}, Line: 1}},
		},
		{
			// keepalived 2.2.7's decomment: outside quotes '#' and '!'
			// start a comment anywhere, even inside a word; "\#" is a '#'.
			name: "outside quotes # starts a comment even inside a word",
			src:  "script a#b c\nweight 5!x\nname a\\#b\n",
			want: []*node{{Name: "script", Args: args("a"), Line: 1}, {Name: "weight", Args: args("5"), Line: 2}, {Name: "name", Args: args("a#b"), Line: 3}},
		},
		{
			name: "braces need no spaces; nested blocks",
			src:  "real_server 192.0.2.7 80{\nHTTP_GET{url{path /}}\n}",
			want: []*node{{Name: "real_server", Args: args("192.0.2.7", "80"), Block: true, Line: 1, Children: []*node{
				{Name: "HTTP_GET", Block: true, Line: 2, Children: []*node{
					{Name: "url", Block: true, Line: 2, Children: []*node{{Name: "path", Args: args("/"), Line: 2}}},
				}},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := parseBytes([]byte(tt.src), "k.conf")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(node{}, "File"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("parse (-want +got):\n%s", diff)
			}
		})
	}
}

func args(s ...string) []arg {
	out := make([]arg, len(s))
	for i, t := range s {
		out[i] = arg{Text: t}
	}
	return out
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"stray close", "global_defs {\n}\n}\n", "k.conf:3: '}' without a matching '{'"},
		{"unclosed block names its line", "global_defs {\n router_id a\nvrrp_instance X {\n}\n", `k.conf:1: block "global_defs" is not closed`},
		{"unclosed inner block", "a {\n b {\n  c\n}\n", `k.conf:1: block "a" is not closed`},
		{"unterminated quote", "a {\n script \"x y\n}\n", "k.conf:2: unterminated quoted string"},
		{"brace without keyword", "{\n}\n", "k.conf:1: '{' without a keyword"},
		{"include without file", "include\n", "k.conf:1: include needs exactly one file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseBytes([]byte(tt.src), "k.conf")
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("err = %v, want ErrSyntax", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestConvertErrors(t *testing.T) {
	if _, _, err := Convert(filepath.Join("testdata", "loop_a.conf")); !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("include loop: err = %v, want ErrSyntax about nesting", err)
	}
	if _, _, err := Convert(filepath.Join("testdata", "no-such.conf")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.conf"), []byte("vrrp_instance VI_1 {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Convert(filepath.Join(dir, "bad.conf")); !errors.Is(err, ErrSyntax) {
		t.Errorf("unclosed block: err = %v, want ErrSyntax", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dev.conf"), []byte("include /dev/null\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Convert(filepath.Join(dir, "dev.conf")); !errors.Is(err, ErrNotRegular) {
		t.Errorf("include of a device: err = %v, want ErrNotRegular", err)
	}
	if _, _, err := Convert(dir); !errors.Is(err, ErrNotRegular) {
		t.Errorf("directory: err = %v, want ErrNotRegular", err)
	}
}

// format writes nodes back as keepalived syntax, quoting every word so
// that the round trip does not depend on which words needed quotes.
func format(b *strings.Builder, nodes []*node) {
	q := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	for _, n := range nodes {
		b.WriteString(q(n.Name))
		for _, a := range n.Args {
			b.WriteString(" " + q(a.Text))
		}
		if n.Block {
			b.WriteString(" {\n")
			format(b, n.Children)
			b.WriteString("}")
		}
		b.WriteString("\n")
	}
}

// FuzzParse checks that any input either fails with ErrSyntax or parses
// into a tree that survives a round trip, and that converting that tree
// always yields syntactically valid HCL.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.conf"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("a \"b\\\"c\" {\n d { e }\n}\n"))
	f.Add([]byte("$A=1\n$M= \\\n x ${A} \\\n y\n@h $B=2\n@^h k $A $B ${A}x a\\#b\n$M\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		// Includes must not reach the real file system.
		l := &lexer{glob: func(string) ([]string, error) { return nil, nil }, read: func(string) ([]byte, error) { return nil, fs.ErrNotExist }}
		nodes, _, err := l.parse(src, "fuzz.conf")
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error does not wrap ErrSyntax: %v", err)
			}
			return
		}
		var b strings.Builder
		format(&b, nodes)
		again, _, err := parseBytes([]byte(b.String()), "fuzz.conf")
		if err != nil {
			t.Fatalf("reparsing %q: %v", b.String(), err)
		}
		opts := []cmp.Option{cmpopts.IgnoreFields(node{}, "File", "Line"), cmpopts.IgnoreFields(arg{}, "Quoted"), cmpopts.EquateEmpty()}
		if diff := cmp.Diff(nodes, again, opts...); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}

		c := newConverter("fuzz.conf", Options{})
		out := c.convert(nodes)
		if _, diags := hclsyntax.ParseConfig(out, "out.hcl", hcl.InitialPos); diags.HasErrors() {
			t.Fatalf("converted output is not valid HCL: %v\n%s", diags, out)
		}
	})
}

// TestIncludeTotals: includes that stay within the depth limit can
// still expand without bound (31 files, each including the next twice,
// is 2^30 reads and reached 700 MB before the totals were bounded); the
// conversion stops with ErrTooLarge after a bounded read.
func TestIncludeTotals(t *testing.T) {
	t.Run("doubling includes", func(t *testing.T) {
		dir := t.TempDir()
		for i := range 31 {
			body := fmt.Sprintf("include m%02d.conf\ninclude m%02d.conf\nglobal_defs {\n router_id r\n}\n", i+1, i+1)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("m%02d.conf", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		l := newLexer()
		read := l.read
		var total int
		l.read = func(name string) ([]byte, error) {
			b, err := read(name)
			total += len(b)
			return b, err
		}
		var toks []token
		err := l.file(filepath.Join(dir, "m00.conf"), 0, &toks)
		if !errors.Is(err, ErrTooLarge) || !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "more than 4096 files") {
			t.Fatalf("err = %v, want ErrTooLarge about files", err)
		}
		if l.files != maxIncludeFiles+1 || total > (maxIncludeFiles+1)*100 {
			t.Errorf("read %d files, %d bytes before stopping", l.files, total)
		}
	})
	t.Run("mutual includes", func(t *testing.T) {
		// Every file includes every file twice: the depth limit or the
		// totals stop it, after a bounded number of reads.
		dir := t.TempDir()
		for i := range 31 {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("m%02d.conf", i)), []byte("include m*.conf\ninclude m*.conf\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, _, err := Convert(filepath.Join(dir, "m05.conf"))
		if !errors.Is(err, ErrSyntax) {
			t.Fatalf("err = %v, want ErrSyntax", err)
		}
		t.Logf("mutual includes: %v", err)
	})
	t.Run("bytes", func(t *testing.T) {
		big := strings.Repeat("! padding to make the file large\n", 1<<15) // 1 MiB
		l := &lexer{glob: func(p string) ([]string, error) { return []string{p}, nil }, read: func(string) ([]byte, error) {
			return []byte("include next.conf\n" + big), nil
		}}
		_, _, err := l.parse([]byte("include next.conf\n"), "top.conf")
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than 16 MiB") {
			t.Fatalf("err = %v, want ErrTooLarge about bytes", err)
		}
		if l.bytes > maxIncludeBytes+len(big)+100 {
			t.Errorf("read %d bytes before stopping", l.bytes)
		}
	})
}

// keepalived's include variants read files like include.
func TestIncludeVariants(t *testing.T) {
	for _, kw := range []string{"include", "includer", "includem", "includew", "includeb", "includea"} {
		l := newLexer()
		l.glob = func(p string) ([]string, error) { return []string{p}, nil }
		l.read = func(string) ([]byte, error) { return []byte("router_id x\n"), nil }
		got, unmatched, err := l.parse([]byte(kw+" other.conf\n"), "k.conf")
		if err != nil || len(unmatched) != 0 {
			t.Fatalf("%s: %v, unmatched %v", kw, err, unmatched)
		}
		if len(got) != 1 || got[0].Name != "router_id" {
			t.Errorf("%s: got %+v, want the included router_id", kw, got)
		}
	}
}
