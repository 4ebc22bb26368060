package broker_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/internal/mosquittotest"
	"pitwall/mqtt"
	"pitwall/mqtt/broker"
	"pitwall/mqtt/brokerfiles"
	"pitwall/mqtt/client"
)

// The role matrix, one table for both brokers: the venue Mosquitto running
// the shipped packaging/mosquitto/pitwall.conf with the password file and
// ACL trackside -broker-files generates from the shipped users list, and
// the embedded broker of the demo and the tests.

// target is a running broker under test.
type target struct {
	url, tlsURL string
	ca          *x509.CertPool
	caFile      string
	secret      []byte
}

func (tg target) password(user string) string { return mqtt.DerivePassword(tg.secret, user) }

var testSecret = []byte("0123456789abcdef0123456789abcdef-role-matrix")

// brokers runs fn against each broker kind as a subtest.
func brokers(t *testing.T, fn func(t *testing.T, tg target)) {
	t.Run("mosquitto", func(t *testing.T) { fn(t, startMosquitto(t)) })
	t.Run("embedded", func(t *testing.T) { fn(t, startEmbedded(t)) })
}

func startEmbedded(t *testing.T) target {
	dir := t.TempDir()
	ca := writeCerts(t, dir)
	b, err := broker.Start(broker.Config{Secret: testSecret, Logger: quiet, TLSAddr: "127.0.0.1:0",
		CertFile: filepath.Join(dir, "server.crt"), KeyFile: filepath.Join(dir, "server.key")})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return target{url: b.URL(), tlsURL: b.TLSURL(), ca: ca, caFile: filepath.Join(dir, "ca.crt"), secret: testSecret}
}

// shippedConfig is packaging/mosquitto/pitwall.conf with only the ports,
// bind address and paths changed, and its TLS lines enabled.
func shippedConfig(dir string, port, tlsPort int) (string, error) {
	conf, err := os.ReadFile("../../packaging/mosquitto/pitwall.conf")
	if err != nil {
		return "", err
	}
	s := string(conf)
	for _, must := range []string{"\nlistener 1883\n", "\nallow_anonymous false\n", "\n#tls listener 8883\n",
		"\npassword_file /etc/mosquitto/pitwall/pitwall.passwd\n", "\nacl_file /etc/mosquitto/pitwall/pitwall.acl\n"} {
		if !strings.Contains(s, must) {
			return "", fmt.Errorf("pitwall.conf has no line %q", strings.TrimSpace(must))
		}
	}
	s = strings.ReplaceAll(s, "\n#tls ", "\n")
	s = strings.Replace(s, "\nlistener 1883\n", fmt.Sprintf("\nlistener %d 127.0.0.1\n", port), 1)
	s = strings.Replace(s, "\nlistener 8883\n", fmt.Sprintf("\nlistener %d 127.0.0.1\n", tlsPort), 1)
	s = strings.ReplaceAll(s, "/etc/mosquitto/pitwall/tls/", dir+"/")
	s = strings.ReplaceAll(s, "/etc/mosquitto/pitwall/", dir+"/")
	return s, nil
}

func startMosquitto(t *testing.T) target {
	users, err := brokerfiles.ReadUsers("../../packaging/mosquitto/mqtt-users.txt")
	if err != nil {
		t.Fatal(err)
	}
	var ca *x509.CertPool
	var caFile string
	b := mosquittotest.StartWith(t, mosquittotest.Options{Config: func(dir string, port, tlsPort int) (string, error) {
		if err := brokerfiles.Write(dir, testSecret, users); err != nil {
			return "", err
		}
		ca, caFile = writeCerts(t, dir), filepath.Join(dir, "ca.crt")
		return shippedConfig(dir, port, tlsPort)
	}})
	return target{url: b.URL(), tlsURL: fmt.Sprintf("ssl://127.0.0.1:%d", b.TLSPort()), ca: ca, caFile: caFile, secret: testSecret}
}

// writeCerts makes a CA and a server certificate for 127.0.0.1 and
// localhost signed by it: dir/ca.crt, dir/server.crt, dir/server.key. It
// returns the CA.
func writeCerts(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pitwall test event CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "pitwall-trackside-1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "server.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "server.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool
}

// dial connects once (no retry) and reports the broker's refusal.
func dial(url, user, password string, will *mqtt.Message, tlsConf *tls.Config) (paho.Client, error) {
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(client.UniqueID("roles")).
		SetUsername(user).SetPassword(password).SetCleanSession(true).
		SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5 * time.Second).
		SetOrderMatters(true)
	if will != nil {
		opts.SetBinaryWill(will.Topic, will.Payload, 1, will.Retained)
	}
	if tlsConf != nil {
		opts.SetTLSConfig(tlsConf)
	}
	c := paho.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return nil, fmt.Errorf("no CONNACK within 10s")
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	return c, nil
}

func login(t *testing.T, tg target, user string) paho.Client {
	t.Helper()
	c, err := dial(tg.url, user, tg.password(user), nil, nil)
	if err != nil {
		t.Fatalf("%s with its derived password: %v", user, err)
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// inbox collects what one subscriber receives, in order.
type inbox struct {
	mu  sync.Mutex
	got []paho.Message
	new chan struct{}
}

func subscribe(t *testing.T, c paho.Client, filters ...string) *inbox {
	t.Helper()
	in := &inbox{new: make(chan struct{}, 1)}
	for _, f := range filters {
		// One SUBSCRIBE per filter: a broker may refuse one (SUBACK
		// 0x80) without affecting the others.
		tok := c.Subscribe(f, 1, func(_ paho.Client, m paho.Message) {
			in.mu.Lock()
			in.got = append(in.got, m)
			in.mu.Unlock()
			select {
			case in.new <- struct{}{}:
			default:
			}
		})
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("subscribe %s: %v", f, tok.Error())
		}
	}
	return in
}

// until waits (up to 10 s) for a message on topic with payload and returns
// everything received before it.
func (in *inbox) until(t *testing.T, topic, payload string) []paho.Message {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		in.mu.Lock()
		for i, m := range in.got {
			if m.Topic() == topic && string(m.Payload()) == payload {
				before := append([]paho.Message(nil), in.got[:i]...)
				in.mu.Unlock()
				return before
			}
		}
		in.mu.Unlock()
		select {
		case <-in.new:
		case <-deadline:
			t.Fatalf("no %q on %s within 10s", payload, topic)
		}
	}
}

func publish(t *testing.T, c paho.Client, topic, payload string) {
	t.Helper()
	tok := c.Publish(topic, 1, false, payload)
	// A denied publish is acknowledged all the same (MQTT 3.1.1).
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: no PUBACK: %v", topic, tok.Error())
	}
}

// delivery is one cell of the matrix: pub publishes on topic; reader,
// subscribed to topic, receives it or not. Non-delivery is observed
// without waiting for a silence: after the publish, pub sends marker
// (a topic it may write and reader may read) on the same connection, and
// the broker delivers in order, so once the marker is in, the message
// would be too.
type delivery struct {
	name   string
	pub    string
	topic  string
	reader string
	marker string // "": the case expects delivery and needs none
	want   bool
}

var (
	t1, t2 = "trackside-1", "trackside-2"
	k1     = "kiosk-1"
	adm    = "admin"
)

var matrix = []delivery{
	{"trackside writes its own track", t1, mqtt.TrackStandings("1"), adm, "", true},
	{"trackside-1 cannot publish into track 2", t1, mqtt.TrackStandings("2"), adm, mqtt.TrackStatus("1"), false},
	{"trackside-1 cannot fake track 2 offline", t1, mqtt.TrackStatus("2"), adm, mqtt.TrackStatus("1"), false},
	{"trackside-1 cannot send track 2 admin requests", t1, mqtt.AdminReq("2"), adm, mqtt.TrackStatus("1"), false},
	{"trackside cannot send event admin requests", t1, mqtt.EventAdminReq, adm, mqtt.TrackStatus("1"), false},
	{"trackside cannot write a kiosk status", t1, mqtt.KioskStatus("1"), adm, mqtt.TrackStatus("1"), false},
	{"kiosk writes its own status", k1, mqtt.KioskStatus("1"), adm, "", true},
	{"kiosk cannot write another kiosk's status", k1, mqtt.KioskStatus("2"), adm, mqtt.KioskStatus("1"), false},
	{"kiosk cannot write standings", k1, mqtt.TrackStandings("1"), adm, mqtt.KioskStatus("1"), false},
	{"kiosk cannot write track status", k1, mqtt.TrackStatus("1"), adm, mqtt.KioskStatus("1"), false},
	{"kiosk cannot write race", k1, mqtt.TrackRace("1"), adm, mqtt.KioskStatus("1"), false},
	{"kiosk cannot write laps", k1, mqtt.TrackLaps("1"), adm, mqtt.KioskStatus("1"), false},
	{"kiosk cannot send admin requests", k1, mqtt.AdminReq("1"), adm, mqtt.KioskStatus("1"), false},
	{"kiosk cannot send event admin requests", k1, mqtt.EventAdminReq, adm, mqtt.KioskStatus("1"), false},
	{"kiosk cannot forge admin replies", k1, mqtt.AdminResp("1"), adm, mqtt.KioskStatus("1"), false},
	{"admin cannot write standings", adm, mqtt.TrackStandings("1"), adm, mqtt.AdminReq("1"), false},
	{"kiosk reads standings", t1, mqtt.TrackStandings("1"), k1, "", true},
	{"kiosk reads laps", t1, mqtt.TrackLaps("1"), k1, "", true},
	{"kiosk cannot read admin replies", t1, mqtt.AdminResp("1"), k1, mqtt.TrackStatus("1"), false},
	{"trackside-2 reads track 1's standings", t1, mqtt.TrackStandings("1"), t2, "", true},
	{"trackside-2 cannot read track 1's admin replies", t1, mqtt.AdminResp("1"), t2, mqtt.TrackStatus("1"), false},
	{"trackside-2 cannot read track 1's admin requests", adm, mqtt.AdminReq("1"), t2, mqtt.AdminReq("2"), false},
	{"admin request reaches its trackside", adm, mqtt.AdminReq("1"), t1, "", true},
	{"event admin request reaches every trackside", adm, mqtt.EventAdminReq, t2, "", true},
	{"trackside reply reaches the admin", t1, mqtt.AdminResp("1"), adm, "", true},
}

func TestRoleMatrix(t *testing.T) {
	brokers(t, func(t *testing.T, tg target) {
		for i, c := range matrix {
			t.Run(c.name, func(t *testing.T) {
				reader := login(t, tg, c.reader)
				filters := []string{c.topic}
				if c.marker != "" {
					filters = append(filters, c.marker)
				}
				in := subscribe(t, reader, filters...)
				pub := login(t, tg, c.pub)
				payload := fmt.Sprintf("case-%d", i)
				publish(t, pub, c.topic, payload)
				if c.want {
					in.until(t, c.topic, payload)
					return
				}
				publish(t, pub, c.marker, payload+"-marker")
				for _, m := range in.until(t, c.marker, payload+"-marker") {
					if m.Topic() == c.topic {
						t.Fatalf("%s received %q on %s: want it refused", c.reader, m.Payload(), m.Topic())
					}
				}
			})
		}
	})
}

func TestRefusedLogins(t *testing.T) {
	brokers(t, func(t *testing.T, tg target) {
		for _, c := range []struct{ name, user, password string }{
			{"anonymous", "", ""},
			{"a name without its password", t1, ""},
			{"a name with another's password", t1, tg.password(t2)},
			{"a name with a password from another secret", adm, mqtt.DerivePassword([]byte("another-event-secret-0123456789abcdef"), adm)},
			{"a name that is no role", "viewer", tg.password("viewer")},
		} {
			t.Run(c.name, func(t *testing.T) {
				cl, err := dial(tg.url, c.user, c.password, nil, nil)
				if err == nil {
					cl.Disconnect(0)
					t.Fatalf("user %q connected; want refused", c.user)
				}
			})
		}
	})
}

// A will goes only where the unit itself may write. Mosquitto (MQTT
// 3.1.1) accepts the connection and never publishes a forbidden will; the
// embedded broker does the same.
func TestWillTopics(t *testing.T) {
	brokers(t, func(t *testing.T, tg target) {
		for i, c := range []struct {
			user, topic string
			delivered   bool
		}{
			{k1, mqtt.KioskStatus("1"), true},
			{t1, mqtt.TrackStatus("1"), true},
			{k1, mqtt.KioskStatus("2"), false},
			{k1, mqtt.TrackStatus("1"), false},
			{k1, mqtt.AdminResp("1"), false},
			{t1, mqtt.TrackStatus("2"), false},
		} {
			t.Run(c.user+" will on "+c.topic, func(t *testing.T) {
				own := mqtt.KioskStatus("1")
				if c.user == t1 {
					own = mqtt.TrackStatus("1")
				}
				in := subscribe(t, login(t, tg, adm), c.topic, own)
				id := client.UniqueID("will")
				will := fmt.Sprintf("will-%d", i)
				first := rawConnect(t, tg, id, c.user, c.topic, will)
				if c.delivered {
					first.Close()
					in.until(t, c.topic, will)
					return
				}
				// Ordering without waiting for a silence: a second
				// connection with the same client id takes the session
				// over, which ends the first one (publishing its will, if
				// any, before the takeover is acknowledged); the second
				// one's allowed will then comes after it.
				second := rawConnect(t, tg, id, c.user, own, will+"-marker")
				second.Close()
				first.Close()
				for _, m := range in.until(t, own, will+"-marker") {
					if m.Topic() == c.topic {
						t.Fatalf("will %q published on %s: want it dropped", m.Payload(), m.Topic())
					}
				}
			})
		}
	})
}

// rawConnect opens an MQTT 3.1.1 connection with a will and waits for its
// CONNACK; closing it without DISCONNECT makes the broker publish the will.
func rawConnect(t *testing.T, tg target, id, user, willTopic, will string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(tg.url, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.Write(connectPacket(id, user, tg.password(user), willTopic, will)); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 4)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(conn, ack); err != nil || ack[0] != 0x20 || ack[3] != 0 {
		t.Fatalf("CONNACK %x, %v", ack, err)
	}
	return conn
}

// connectPacket is an MQTT 3.1.1 CONNECT with user, password and a QoS 0
// will.
func connectPacket(id, user, password, willTopic, will string) []byte {
	str := func(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }
	body := append(str("MQTT"), 4, 0xC6, 0, 30) // level 4; user, password, QoS 0 will (not retained: cases share a broker), clean session
	for _, s := range []string{id, willTopic, will, user, password} {
		body = append(body, str(s)...)
	}
	pk := []byte{0x10}
	for n := len(body); ; n >>= 7 { // remaining length, 7 bits a byte
		if n < 0x80 {
			pk = append(pk, byte(n))
			break
		}
		pk = append(pk, byte(n&0x7f|0x80))
	}
	return append(pk, body...)
}

func TestAdminRoundTrip(t *testing.T) {
	brokers(t, func(t *testing.T, tg target) {
		trackside := login(t, tg, t1)
		replied := make(chan struct{})
		tok := trackside.Subscribe(mqtt.AdminReq("1"), 1, func(c paho.Client, m paho.Message) {
			c.Publish(mqtt.AdminResp("1"), 1, false, "reply-to-"+string(m.Payload()))
			close(replied)
		})
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("trackside subscribe: %v", tok.Error())
		}
		admin := login(t, tg, adm)
		replies := subscribe(t, admin, mqtt.AdminResp("1"))
		publish(t, admin, mqtt.AdminReq("1"), "req-42")
		replies.until(t, mqtt.AdminResp("1"), "reply-to-req-42")
	})
}

func TestTLSListener(t *testing.T) {
	brokers(t, func(t *testing.T, tg target) {
		// As a unit does: its config names the event CA (broker.ca_file).
		settings := mqtt.Broker{URL: tg.tlsURL, CAFile: tg.caFile}
		tlsConf, err := client.TLSConfig(settings.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		kiosk, err := client.Connect(ctx, client.Config{Broker: settings.URL, ClientID: client.UniqueID("tls"), TLS: tlsConf,
			Username: k1, Password: tg.password(k1), CleanSession: true, Logger: quiet})
		if err != nil {
			t.Fatalf("kiosk over TLS: %v", err)
		}
		defer kiosk.Disconnect(100)
		in := subscribe(t, kiosk, mqtt.TrackStandings("1"))
		publish(t, login(t, tg, t1), mqtt.TrackStandings("1"), "over-tls")
		in.until(t, mqtt.TrackStandings("1"), "over-tls")

		// Same users and rules on TLS: no anonymous access.
		if c, err := dial(tg.tlsURL, "", "", nil, &tls.Config{RootCAs: tg.ca}); err == nil {
			c.Disconnect(0)
			t.Fatalf("anonymous client connected over TLS")
		}
		// A client that does not trust the event CA does not connect.
		if c, err := dial(tg.tlsURL, k1, tg.password(k1), nil, &tls.Config{}); err == nil {
			c.Disconnect(0)
			t.Fatalf("connected without trusting the event CA")
		}
	})
}
