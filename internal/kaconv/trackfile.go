package kaconv

import (
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// trackFile converts keepalived's vrrp_track_file (track_file in some
// versions) into lbhad's top-level track_file, which reads the file the
// same way: a number multiplied by the weight.
func (c *converter) trackFile(parent *hclwrite.Body, t *node) {
	body := parent.AppendNewBlock("track_file", []string{t.Args[0].Text}).Body()
	c.carry(t, "as track_file")
	for _, n := range t.Children {
		switch n.Name {
		case "file":
			c.setString(body, "file", n)
		case "weight":
			if c.reverseWeight(body, n) {
				continue
			}
			c.setNumber(body, "weight", n)
		case "init_file":
			// keepalived: init_file [VALUE] [overwrite]; lbhad creates a
			// missing file holding 0 and never overwrites.
			if len(n.Args) == 0 || (len(n.Args) == 1 && n.Args[0].Text == "0") {
				body.SetAttributeValue("init_file", cty.True)
				c.carry(n, "as init_file = true")
				continue
			}
			c.drop(body, n, n.Text(), "lbhad's init_file creates a missing file holding 0 and never overwrites one")
		default:
			c.dropNode(body, n)
		}
	}
}

// instanceTrackFiles converts an instance's track_file { NAME [weight N] }.
func (c *converter) instanceTrackFiles(parent *hclwrite.Body, blk *node) {
	c.trackBlocks(parent, blk, "track_file", c.trackFiles, "no vrrp_track_file of this name is defined", "this file is already tracked")
}

// isReverseWord reports keepalived's words after a weight: reverse, and
// the spellings of its default, noreverse and no_reverse.
func isReverseWord(s string) bool {
	return s == "reverse" || s == "noreverse" || s == "no_reverse"
}

// reverseWeight carries a definition's "weight W reverse|noreverse"
// (vrrp_script, vrrp_track_file) as weight and reverse; it reports
// whether n had that form.
func (c *converter) reverseWeight(body *hclwrite.Body, n *node) bool {
	if len(n.Args) != 2 || !isReverseWord(n.Args[1].Text) {
		return false
	}
	c.setNumberText(body, "weight", n, n.Args[0].Text)
	if n.Args[1].Text == "reverse" {
		body.SetAttributeValue("reverse", cty.True)
	}
	return true
}
