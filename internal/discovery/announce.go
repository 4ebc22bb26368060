package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// Announcement is the broker a unit announces.
type Announcement struct {
	Host   string // host name without .local: "pitwall-trackside-a1b2c3"
	Port   uint16 // the broker's plain MQTT port, 1883
	Secret []byte // the event secret: adds the auth proof to the TXT record; nil: none
	// Loopback also answers on loopback interfaces (tests on one host).
	Loopback bool
	Log      *slog.Logger
}

// ttl of the records, as RFC 6762 recommends for host and service records.
const ttl = 120

// Announce answers mDNS questions for the broker until ctx ends. It shares
// port 5353 with any other responder on the host (SO_REUSEPORT, as Avahi
// does) and re-joins the group on interfaces that come up later.
func Announce(ctx context.Context, a Announcement) error {
	log := a.Log
	if log == nil {
		log = slog.Default()
	}
	if a.Host == "" || strings.ContainsAny(a.Host, ". ") {
		return fmt.Errorf("discovery: host name %q: want one DNS label", a.Host)
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
				return
			}
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(ctx, "udp4", "0.0.0.0:5353")
	if err != nil {
		return fmt.Errorf("discovery: listen udp4 :5353: %w", err)
	}
	defer pc.Close()
	conn := pc.(*net.UDPConn)
	p := ipv4.NewPacketConn(conn)
	joined := map[string]bool{}
	join := func() {
		for _, ifi := range multicastInterfaces(a.Loopback) {
			if joined[ifi.Name] {
				continue
			}
			if err := p.JoinGroup(&ifi, &net.UDPAddr{IP: mdnsGroup.IP}); err != nil && !errors.Is(err, unix.EADDRINUSE) {
				log.Warn("discovery: join the mDNS group", "interface", ifi.Name, "err", err)
				continue
			}
			joined[ifi.Name] = true
			log.Info("discovery: announcing the broker", "interface", ifi.Name, "service", a.Host+"."+Service, "port", a.Port)
		}
	}
	join()
	go func() {
		<-ctx.Done()
		conn.Close()
	}()
	instance := a.Host + "." + Service
	host := a.Host + ".local."
	buf := make([]byte, 9000)
	lastJoin := time.Now()
	for {
		if time.Since(lastJoin) > 5*time.Second {
			join() // DHCP or link-local addresses arrive after boot
			lastJoin = time.Now()
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, src, err := conn.ReadFromUDPAddrPort(buf)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return fmt.Errorf("discovery: read: %w", err)
		}
		resp, unicast, ok := a.answer(buf[:n], src, instance, host)
		if !ok {
			continue
		}
		dst := mdnsGroup
		if unicast {
			dst = net.UDPAddrFromAddrPort(src)
		} else if ifi := interfaceFor(src.Addr()); ifi != nil {
			p.SetMulticastInterface(ifi)
		}
		if _, err := conn.WriteToUDP(resp, dst); err != nil {
			log.Debug("discovery: answer", "to", dst, "err", err)
		}
	}
}

// answer builds the response to one query, or ok false when it asks
// nothing of ours. unicast: answer the querier directly (a one-shot
// querier from a port other than 5353, or the QU bit).
func (a *Announcement) answer(pkt []byte, src netip.AddrPort, instance, host string) (resp []byte, unicast, ok bool) {
	var p dnsmessage.Parser
	h, err := p.Start(pkt)
	if err != nil || h.Response {
		return nil, false, false
	}
	qs, err := p.AllQuestions()
	if err != nil {
		return nil, false, false
	}
	addr := localAddrFor(src.Addr(), a.Loopback)
	if !addr.IsValid() {
		return nil, false, false
	}
	svc := dnsmessage.MustNewName(Service)
	inst := dnsmessage.MustNewName(instance)
	hostName := dnsmessage.MustNewName(host)
	txt := []string{"pitwall=1", "role=venue-broker"}
	if a.Secret != nil {
		txt = append(txt, "auth="+proof(a.Secret, addr, a.Port))
	}
	hdr := func(name dnsmessage.Name, typ dnsmessage.Type) dnsmessage.ResourceHeader {
		// The cache-flush bit (class top bit) on the unique records.
		class := dnsmessage.ClassINET
		if typ != dnsmessage.TypePTR {
			class |= 1 << 15
		}
		return dnsmessage.ResourceHeader{Name: name, Type: typ, Class: class, TTL: ttl}
	}
	var answers, extra []dnsmessage.Resource
	srv := dnsmessage.Resource{Header: hdr(inst, dnsmessage.TypeSRV), Body: &dnsmessage.SRVResource{Port: a.Port, Target: hostName}}
	txtR := dnsmessage.Resource{Header: hdr(inst, dnsmessage.TypeTXT), Body: &dnsmessage.TXTResource{TXT: txt}}
	aR := dnsmessage.Resource{Header: hdr(hostName, dnsmessage.TypeA), Body: &dnsmessage.AResource{A: addr.As4()}}
	var echo []dnsmessage.Question
	for _, q := range qs {
		if q.Class&(1<<15) != 0 {
			unicast = true
		}
		name := strings.ToLower(q.Name.String())
		switch {
		case name == Service && (q.Type == dnsmessage.TypePTR || q.Type == dnsmessage.TypeALL):
			answers = append(answers, dnsmessage.Resource{Header: hdr(svc, dnsmessage.TypePTR), Body: &dnsmessage.PTRResource{PTR: inst}})
			extra = append(extra, srv, txtR, aR)
		case name == strings.ToLower(instance) && (q.Type == dnsmessage.TypeSRV || q.Type == dnsmessage.TypeTXT || q.Type == dnsmessage.TypeALL):
			answers = append(answers, srv, txtR)
			extra = append(extra, aR)
		case name == strings.ToLower(host) && (q.Type == dnsmessage.TypeA || q.Type == dnsmessage.TypeALL):
			answers = append(answers, aR)
		default:
			continue
		}
		echo = append(echo, q)
	}
	if len(answers) == 0 {
		return nil, false, false
	}
	if src.Port() != 5353 {
		unicast = true
	}
	m := dnsmessage.Message{
		Header:      dnsmessage.Header{Response: true, Authoritative: true},
		Answers:     answers,
		Additionals: extra,
	}
	if src.Port() != 5353 {
		// A legacy one-shot querier wants its ID and questions back.
		m.Header.ID = h.ID
		m.Questions = echo
	}
	out, err := m.Pack()
	if err != nil {
		return nil, false, false
	}
	return out, unicast, true
}

// localAddrFor is this host's IPv4 address on the subnet of peer (what
// the querier can reach), or the first usable one.
func localAddrFor(peer netip.Addr, loopback bool) netip.Addr {
	var first netip.Addr
	for _, ifi := range multicastInterfaces(loopback) {
		for _, n := range ipv4Nets(&ifi) {
			if n.Contains(peer) {
				return n.Addr()
			}
			if !first.IsValid() {
				first = n.Addr()
			}
		}
	}
	return first
}

// interfaceFor is the interface on peer's subnet, or nil.
func interfaceFor(peer netip.Addr) *net.Interface {
	for _, ifi := range multicastInterfaces(true) {
		for _, n := range ipv4Nets(&ifi) {
			if n.Contains(peer) {
				return &ifi
			}
		}
	}
	return nil
}
