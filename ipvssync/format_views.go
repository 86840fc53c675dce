package ipvssync

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// FormatTimeout writes the kernel's connection timeouts as
// `ipvsadm -L --timeout` prints them.
func FormatTimeout(w io.Writer, c KernelConfig) error {
	_, err := fmt.Fprintf(w, "Timeout (tcp tcpfin udp): %d %d %d\n",
		int(c.TimeoutTCP.Seconds()), int(c.TimeoutTCPFin.Seconds()), int(c.TimeoutUDP.Seconds()))
	return err
}

// ConnFile is where the kernel lists IPVS connections; ipvsadm -c reads
// it too (there is no netlink dump of connections).
const ConnFile = "/proc/net/ip_vs_conn"

// FormatConns writes the kernel's connection list (the contents of
// ConnFile) as `ipvsadm -Lnc` prints it, or with persistent as
// `ipvsadm -Lnc --persistent-conn` (with the persistence engine's name
// and data where the kernel gives them).
func FormatConns(w io.Writer, proc io.Reader, persistent bool) error {
	bw := bufio.NewWriter(w)
	sc := bufio.NewScanner(proc)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return fmt.Errorf("read %s: %w", ConnFile, err)
		}
		return fmt.Errorf("unexpected input from %s", ConnFile)
	}
	fmt.Fprintln(bw, "IPVS connection entries")
	if persistent {
		fmt.Fprintf(bw, "pro expire %-11s %-18s %-18s %-18s %-16s %s\n", "state", "source", "virtual", "destination", "pe name", "pe_data")
	} else {
		fmt.Fprintf(bw, "pro expire %-11s %-18s %-18s %s\n", "state", "source", "virtual", "destination")
	}
	for sc.Scan() {
		c, err := parseConn(sc.Text())
		if err != nil {
			return err
		}
		exp := fmt.Sprintf("%02d:%02d", c.expires/60, c.expires%60)
		if persistent && c.peName != "" {
			fmt.Fprintf(bw, "%-3s %-6s %-11s %-18s %-18s %-16s %-18s %s\n", c.proto, exp, c.state, c.src, c.vip, c.dst, c.peName, c.peData)
		} else {
			fmt.Fprintf(bw, "%-3s %-6s %-11s %-18s %-18s %s\n", c.proto, exp, c.state, c.src, c.vip, c.dst)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", ConnFile, err)
	}
	return bw.Flush()
}

type procConn struct {
	proto, state, src, vip, dst, peName, peData string
	expires                                     int
}

// parseConn reads one line of ConnFile:
//
//	TCP C0000201 D431 C0000232 0050 C0000207 0050 ESTABLISHED 899
//	TCP 2001:0db8:0000:...:0001 D431 ... ESTABLISHED 899 sip callid
//
// IPv4 addresses are hex, IPv6 ones written out; ports are hex.
func parseConn(line string) (procConn, error) {
	f := strings.Fields(line)
	if len(f) < 9 {
		return procConn{}, fmt.Errorf("%s: short line %q", ConnFile, line)
	}
	c := procConn{proto: f[0], state: f[7]}
	var err error
	if c.expires, err = strconv.Atoi(f[8]); err != nil {
		return c, fmt.Errorf("%s: expiry in %q: %w", ConnFile, line, err)
	}
	for i, dst := range []*string{&c.src, &c.vip, &c.dst} {
		if *dst, err = procAddrPort(f[1+2*i], f[2+2*i]); err != nil {
			return c, fmt.Errorf("%s: %q: %w", ConnFile, line, err)
		}
	}
	if len(f) >= 11 {
		c.peName, c.peData = f[9], f[10]
	}
	return c, nil
}

func procAddrPort(addr, port string) (string, error) {
	p, err := strconv.ParseUint(port, 16, 16)
	if err != nil {
		return "", fmt.Errorf("port %q: %w", port, err)
	}
	if strings.Contains(addr, ":") {
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return "", err
		}
		return addrPort(a, uint16(p)), nil
	}
	v, err := strconv.ParseUint(addr, 16, 32)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", addr, err)
	}
	a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	return addrPort(a, uint16(p)), nil
}
