package discovery

import (
	"net/netip"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

var fuzzSecret = []byte("fuzz-secret-0123456789abcdef0123")

// sampleQuery is a finder's question; sampleAnswer the announcer's reply.
func sampleQuery() []byte {
	b, _ := (&dnsmessage.Message{Questions: []dnsmessage.Question{{
		Name: dnsmessage.MustNewName(Service), Type: dnsmessage.TypePTR, Class: dnsmessage.ClassINET | 1<<15,
	}}}).Pack()
	return b
}

func sampleAnswer() []byte {
	a := Announcement{Host: "pitwall-trackside-1", Port: 1883, Secret: fuzzSecret, Loopback: true}
	resp, _, _ := a.answer(sampleQuery(), netip.MustParseAddrPort("127.0.0.1:40000"), "pitwall-trackside-1."+Service, "pitwall-trackside-1.local.")
	return resp
}

// FuzzParseAnswer: any packet from the network is refused or accepted
// without panicking, and an accepted one has a usable address.
func FuzzParseAnswer(f *testing.F) {
	f.Add(sampleAnswer())
	f.Add(sampleQuery())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		b, ok, _ := parseAnswer(pkt, netip.MustParseAddr("169.254.1.2"), fuzzSecret)
		if ok && (!b.Addr.IsValid() || b.Addr.Port() == 0) {
			t.Fatalf("accepted %+v", b)
		}
		parseAnswer(pkt, netip.MustParseAddr("169.254.1.2"), nil)
	})
}

// FuzzAnswer: any question packet gets no answer or a well-formed one.
func FuzzAnswer(f *testing.F) {
	f.Add(sampleQuery())
	f.Add(sampleAnswer())
	f.Add([]byte{})
	a := Announcement{Host: "pitwall-trackside-1", Port: 1883, Secret: fuzzSecret, Loopback: true}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		resp, _, ok := a.answer(pkt, netip.MustParseAddrPort("127.0.0.1:5353"), "pitwall-trackside-1."+Service, "pitwall-trackside-1.local.")
		if !ok {
			return
		}
		var m dnsmessage.Message
		if err := m.Unpack(resp); err != nil || !m.Header.Response || len(m.Answers) == 0 {
			t.Fatalf("answer %x: %v", resp, err)
		}
	})
}

// TestAnswerRoundTrip: the announcer's answer to the finder's question is
// accepted with the right secret only.
func TestAnswerRoundTrip(t *testing.T) {
	from := netip.MustParseAddr("127.0.0.1")
	b, ok, why := parseAnswer(sampleAnswer(), from, fuzzSecret)
	if !ok || b.URL() != "tcp://127.0.0.1:1883" || !b.Authentic {
		t.Fatalf("parse: %+v %v %q", b, ok, why)
	}
	if _, ok, _ := parseAnswer(sampleAnswer(), from, []byte("another-secret-0123456789abcdef0")); ok {
		t.Fatal("accepted with another secret")
	}
	// Replayed from another address: the proof is bound to the address.
	if _, ok, _ := parseAnswer(sampleAnswer(), netip.MustParseAddr("127.0.0.2"), fuzzSecret); ok {
		t.Fatal("accepted a replay from another address")
	}
}
