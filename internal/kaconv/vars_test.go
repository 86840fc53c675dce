package kaconv

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The rules of keepalived 2.2.7's lib/parser.c read_line, decomment,
// check_definition and replace_param, one case each.
func TestExpand(t *testing.T) {
	tests := []struct {
		name string
		id   string
		src  string
		want []*node
	}{
		{name: "@id line applies to that id only", id: "lb1",
			src:  "@lb1 priority 150\n@lb2 priority 100\n",
			want: []*node{{Name: "priority", Args: args("150"), Line: 1}}},
		{name: "@^id line applies to every other id", id: "lb1",
			src:  "@^lb1 a 1\n@^lb2 b 2\n",
			want: []*node{{Name: "b", Args: args("2"), Line: 2}}},
		{name: "without a config id no @id line applies and every @^id does", id: "",
			src:  "@lb1 a 1\n@^lb1 b 2\n",
			want: []*node{{Name: "b", Args: args("2"), Line: 2}}},
		{name: "an @id alone on its line is dropped", id: "lb1",
			src:  "@lb1\nx 1\n",
			want: []*node{{Name: "x", Args: args("1"), Line: 2}}},
		{name: "$NAME followed by a blank or the end, ${NAME} anywhere",
			src:  "$A=10.0\n$B=eth0\nx ${A}.1/24 dev $B\ny $Bx $B,\n",
			want: []*node{{Name: "x", Args: args("10.0.1/24", "dev", "eth0"), Line: 3}, {Name: "y", Args: args("$Bx", "eth0,"), Line: 4}}},
		{name: "undefined names and $( stay as written",
			src:  "script \"kill -0 $(cat /run/x.pid) $UNDEF ${NOPE}\"\n",
			want: []*node{{Name: "script", Args: []arg{{Text: "kill -0 $(cat /run/x.pid) $UNDEF ${NOPE}", Quoted: true}}, Line: 1}}},
		{name: "substitution is recursive and uses the value at the time of use",
			src:  "$BASE=10.2.${SUB}\n$SUB=0\na ${BASE}.100\n$SUB=10\nb ${BASE}.100\n",
			want: []*node{{Name: "a", Args: args("10.2.0.100"), Line: 3}, {Name: "b", Args: args("10.2.10.100"), Line: 5}}},
		{name: "a blank before = makes it no definition",
			src:  "$A =1\n",
			want: []*node{{Name: "$A", Args: args("=1"), Line: 1}}},
		{name: "a conditional definition",
			id:   "lb2",
			src:  "@lb1 $P=150\n@lb2 $P=100\npriority $P\n",
			want: []*node{{Name: "priority", Args: args("100"), Line: 3}}},
		{name: "a substituted line is matched against the config id again",
			id:   "lb1",
			src:  "$IF_MAIN=@lb1\n$IF_BACKUP=@lb2\n$IF_MAIN priority 240\n$IF_BACKUP priority 100\n",
			want: []*node{{Name: "priority", Args: args("240"), Line: 3}}},
		{name: "a multiline definition expands where it ends the line",
			src: "$BLK= \\\n  a { \\\n    b ${N} \\\n  }\n$N=1\n$BLK\n$N=2\n$BLK\n",
			want: []*node{
				{Name: "a", Block: true, Line: 6, Children: []*node{{Name: "b", Args: args("1"), Line: 6}}},
				{Name: "a", Block: true, Line: 8, Children: []*node{{Name: "b", Args: args("2"), Line: 8}}},
			}},
		{name: "predefined _HASH and _BANG",
			src:  "x a${_BANG}b\n",
			want: []*node{{Name: "x", Args: args("a"), Line: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLexer()
			l.configID = tt.id
			got, _, err := l.parse([]byte(tt.src), "k.conf")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(node{}, "File"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpandErrors(t *testing.T) {
	for _, src := range []string{
		"$A=$A\nx $A\n",
		"~SEQ(N, 1, 3) x $N\n",
		"x ${_RANDOM}\n",
		"$A=${A}${A}\nx $A\n", // doubles on every substitution
	} {
		if _, _, err := newLexer().parse([]byte(src), "k.conf"); !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: got %v, want an ErrSyntax", src, err)
		}
	}
}
