// Package discovery lets units find the venue broker with no
// configuration: the unit running it announces it with DNS-SD over
// multicast DNS (RFC 6762/6763) as an _mqtt._tcp service whose TXT record
// says pitwall=1, and kiosks and other tracksides whose broker URL is
// empty or "auto" look for it. It works on a bare switch with DHCP or
// link-local (169.254/16) addresses and no default route: queries go out on
// every multicast-capable interface, and the answer's source address is
// the broker's address, so no host name resolution is needed (a static Go
// binary resolves .local names through files and DNS only, never mDNS).
//
// Only the small subset pitwall needs is implemented, on
// golang.org/x/net/dns/dnsmessage (already a dependency): answering PTR,
// SRV, TXT and A questions for the one service, and a one-shot browser.
// Announcements are authenticated when both sides know the event secret:
// the TXT record carries auth=HMAC(secret, address|port), so a stranger's
// box on the same switch cannot pose as the broker and collect the units'
// derived broker passwords (they would still be refused logins by the real
// broker; discovery never bypasses them).
package discovery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Service is the DNS-SD service type announced.
const Service = "_mqtt._tcp.local."

// mdnsGroup is the IPv4 mDNS group and port.
var mdnsGroup = &net.UDPAddr{IP: net.IPv4(224, 0, 0, 251), Port: 5353}

// Broker is a broker found on the network.
type Broker struct {
	Addr      netip.AddrPort // where to connect: the answer's source address and the SRV port
	Instance  string         // "pitwall-trackside-a1b2c3._mqtt._tcp.local."
	Authentic bool           // the TXT proof matched the event secret
}

// URL is the MQTT URL of the broker.
func (b Broker) URL() string { return "tcp://" + b.Addr.String() }

// proof is the TXT auth value for a broker at addr:port: only holders of
// the event secret can compute it, and it is bound to the address, so it
// cannot be replayed from another box.
func proof(secret []byte, addr netip.Addr, port uint16) string {
	m := hmac.New(sha256.New, secret)
	fmt.Fprintf(m, "pitwall-mdns-v1|%s|%d", addr, port)
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// multicastInterfaces are the up, multicast-capable interfaces with an
// IPv4 address; with loopback, also loopback interfaces (tests on one
// host).
func multicastInterfaces(loopback bool) []net.Interface {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []net.Interface
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagUp == 0 {
			continue
		}
		if ifi.Flags&net.FlagLoopback != 0 {
			if !loopback {
				continue
			}
		} else if ifi.Flags&net.FlagMulticast == 0 {
			continue
		}
		if len(ipv4Nets(&ifi)) > 0 {
			out = append(out, ifi)
		}
	}
	return out
}

func ipv4Nets(ifi *net.Interface) []netip.Prefix {
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil
	}
	var out []netip.Prefix
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if p, err := netip.ParsePrefix(n.String()); err == nil && p.Addr().Is4() {
				out = append(out, p)
			}
		}
	}
	return out
}

// txtValue returns key's value among DNS-SD TXT strings ("key=value").
func txtValue(txt []string, key string) (string, bool) {
	for _, s := range txt {
		if k, v, ok := strings.Cut(s, "="); ok && strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}

// portString formats a port for messages.
func portString(p uint16) string { return strconv.Itoa(int(p)) }
