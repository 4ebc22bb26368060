package discovery

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/net/ipv4"
	"pitwall/mqtt"
)

// Query says what to look for.
type Query struct {
	// Secret is the event secret: only brokers whose TXT proof matches it
	// are accepted. nil accepts any pitwall broker (Authentic false).
	Secret   []byte
	Loopback bool          // also ask on loopback interfaces (tests)
	Every    time.Duration // how often the question is sent again; 0: 1 s
	Log      *slog.Logger
}

// ErrNotFound is returned when ctx ends before a broker answered.
var ErrNotFound = errors.New("discovery: no pitwall broker answered on the local network (_mqtt._tcp with TXT pitwall=1)")

// Find asks the local network for the venue broker until one answers or
// ctx ends, and returns the first acceptable answer.
func Find(ctx context.Context, q Query) (Broker, error) {
	log := q.Log
	if log == nil {
		log = slog.Default()
	}
	every := q.Every
	if every <= 0 {
		every = time.Second
	}
	pc, err := net.ListenPacket("udp4", "0.0.0.0:0")
	if err != nil {
		return Broker{}, fmt.Errorf("discovery: listen udp4: %w", err)
	}
	defer pc.Close()
	conn := pc.(*net.UDPConn)
	p := ipv4.NewPacketConn(conn)
	p.SetMulticastTTL(255)
	query, err := (&dnsmessage.Message{Questions: []dnsmessage.Question{{
		Name: dnsmessage.MustNewName(Service), Type: dnsmessage.TypePTR,
		Class: dnsmessage.ClassINET | 1<<15, // QU: answer me directly
	}}}).Pack()
	if err != nil {
		return Broker{}, err
	}
	buf := make([]byte, 9000)
	var lastSend time.Time
	refused := map[netip.Addr]bool{}
	for {
		if ctx.Err() != nil {
			return Broker{}, ErrNotFound
		}
		if time.Since(lastSend) >= every {
			lastSend = time.Now()
			sent := 0
			for _, ifi := range multicastInterfaces(q.Loopback) {
				if err := p.SetMulticastInterface(&ifi); err != nil {
					continue
				}
				if _, err := conn.WriteToUDP(query, mdnsGroup); err == nil {
					sent++
				}
			}
			if sent == 0 {
				log.Debug("discovery: no interface to ask on yet")
			}
		}
		deadline := lastSend.Add(every)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		conn.SetReadDeadline(deadline)
		n, src, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return Broker{}, fmt.Errorf("discovery: read: %w", err)
		}
		b, ok, why := parseAnswer(buf[:n], src.Addr().Unmap(), q.Secret)
		if !ok {
			if why != "" && !refused[src.Addr()] {
				refused[src.Addr()] = true
				log.Warn("discovery: answer ignored", "from", src.Addr(), "why", why)
			}
			continue
		}
		return b, nil
	}
}

// parseAnswer reads a response for a pitwall broker. why says why an
// answer naming our service was refused ("" when it was not one).
func parseAnswer(pkt []byte, from netip.Addr, secret []byte) (b Broker, ok bool, why string) {
	var m dnsmessage.Message
	if err := m.Unpack(pkt); err != nil || !m.Header.Response {
		return Broker{}, false, ""
	}
	var instances []string
	ports := map[string]uint16{}
	txts := map[string][]string{}
	for _, r := range append(m.Answers, m.Additionals...) {
		name := strings.ToLower(r.Header.Name.String())
		switch body := r.Body.(type) {
		case *dnsmessage.PTRResource:
			if name == Service {
				instances = append(instances, strings.ToLower(body.PTR.String()))
			}
		case *dnsmessage.SRVResource:
			ports[name] = body.Port
		case *dnsmessage.TXTResource:
			txts[name] = body.TXT
		}
	}
	for _, inst := range instances {
		port, hasPort := ports[inst]
		txt := txts[inst]
		if v, _ := txtValue(txt, "pitwall"); v != "1" {
			why = "an _mqtt._tcp service without TXT pitwall=1 (not a pitwall broker)"
			continue
		}
		if !hasPort || port == 0 {
			why = "no SRV port"
			continue
		}
		auth, hasAuth := txtValue(txt, "auth")
		authentic := hasAuth && secret != nil && hmac.Equal([]byte(auth), []byte(proof(secret, from, port)))
		if secret != nil && !authentic {
			why = "its TXT auth proof does not match this unit's event secret (another event's broker, or an impostor)"
			continue
		}
		return Broker{Addr: netip.AddrPortFrom(from, port), Instance: inst, Authentic: authentic}, true, ""
	}
	return Broker{}, false, why
}

// Placeholder stands for a broker to be discovered when a config is
// checked before start.
const Placeholder = "tcp://discovered.invalid:1883"

// Wanted reports whether a configured broker URL asks for discovery:
// empty or "auto". A configured address always wins.
func Wanted(url string) bool {
	return url == "" || strings.EqualFold(strings.TrimSpace(url), "auto")
}

// Resolve returns url when it names a broker (a configured address always
// wins); for "" or "auto" it looks for the venue broker for up to wait,
// accepting only brokers proven by secretFile's event secret when one is
// configured.
func Resolve(ctx context.Context, url, secretFile string, wait time.Duration, log *slog.Logger) (string, error) {
	if !Wanted(url) {
		return url, nil
	}
	var secret []byte
	if secretFile != "" {
		s, err := mqtt.ReadSecret(secretFile)
		if err != nil {
			return "", fmt.Errorf("broker.secret_file: %w", err)
		}
		secret = s
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	b, err := Find(ctx, Query{Secret: secret, Log: log})
	if err != nil {
		return "", fmt.Errorf("broker.url is %q: %w; is the trackside running the venue broker on, and on the same network switch?", url, err)
	}
	if log != nil {
		log.Info("discovery: venue broker found", "url", b.URL(), "instance", b.Instance, "authentic", b.Authentic)
	}
	return b.URL(), nil
}
