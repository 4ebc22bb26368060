package publish_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"pitwall/internal/mosquittotest"
	"pitwall/mqtt"
	"pitwall/mqtt/broker"
	"pitwall/mqtt/client"
	"pitwall/trackside/publish"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// brokers are the brokers every delivery test runs against.
var brokers = []struct {
	name  string
	start func(t *testing.T) string // URL
}{
	{"embedded", func(t *testing.T) string { return startEmbedded(t).URL() }},
	{"mosquitto", func(t *testing.T) string { return mosquittotest.Start(t).URL() }},
}

func startEmbedded(t testing.TB) *broker.Broker {
	t.Helper()
	b, err := broker.Start(broker.Config{Secret: testSecret, Logger: quiet})
	if err != nil {
		t.Fatalf("start embedded broker: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// testSecret is the event secret of the embedded brokers. Publishers log
// in as trackside-t1, subscribers as admin (the broker roles allow no
// more); the test Mosquitto is anonymous and ignores the credentials.
var testSecret = []byte("publish-test-secret-0123456789abcdef")

func connect(t testing.TB, cfg client.Config) paho.Client {
	t.Helper()
	if cfg.Username == "" {
		cfg.Username = "trackside-t1"
	}
	cfg.Password = mqtt.DerivePassword(testSecret, cfg.Username)
	if cfg.ClientID == "" {
		cfg.ClientID = client.UniqueID("publish-test")
		cfg.CleanSession = true
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	if cfg.RetryInterval == 0 {
		cfg.RetryInterval = 500 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Disconnect(250) })
	return c
}

// runPublisher runs p until the test ends and checks that Run ended well.
func runPublisher(t testing.TB, p *publish.Publisher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Run did not return within 5s of its context ending")
		}
	})
}

// eventually fails the test unless cond holds within d.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// subscriber records what arrives on a filter, by payload ID.
type subscriber struct {
	mu       sync.Mutex
	count    map[uint64]int
	last     map[string]paho.Message // by topic
	received atomic.Int64
}

// subscribe connects a client that subscribes to filter in OnConnect. A
// non-empty clientID makes a persistent session (the broker queues
// messages while the subscriber is away).
func subscribe(t testing.TB, url, filter, clientID string) *subscriber {
	t.Helper()
	s := &subscriber{count: map[uint64]int{}, last: map[string]paho.Message{}}
	subscribed := make(chan struct{}, 1)
	connect(t, client.Config{
		Broker:   url,
		ClientID: clientID,
		Username: "admin",
		OnConnect: func(c paho.Client) {
			tok := c.Subscribe(filter, 1, s.handle(t))
			if tok.WaitTimeout(5*time.Second) && tok.Error() == nil {
				select {
				case subscribed <- struct{}{}:
				default:
				}
			}
		},
	})
	select {
	case <-subscribed:
	case <-time.After(5 * time.Second):
		t.Fatalf("subscribe to %s: no SUBACK within 5s", filter)
	}
	return s
}

func (s *subscriber) handle(t testing.TB) paho.MessageHandler {
	return func(_ paho.Client, m paho.Message) {
		p := decodeID(t, m.Payload())
		s.mu.Lock()
		s.count[p.ID]++
		s.last[m.Topic()] = m
		s.mu.Unlock()
		s.received.Add(1)
	}
}

// missing returns the IDs not received yet.
func (s *subscriber) missing(ids []uint64) []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uint64
	for _, id := range ids {
		if s.count[id] == 0 {
			out = append(out, id)
		}
	}
	return out
}

func (s *subscriber) lastOn(topic string) paho.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last[topic]
}

// countingClient wraps a client from client.Connect to count the calls the
// publisher makes and keep the tokens it gets.
type countingClient struct {
	paho.Client
	openCalls atomic.Int64
	mu        sync.Mutex
	tokens    []paho.Token
}

func (c *countingClient) Reconnects() uint64 { return c.Client.(client.ReconnectCounter).Reconnects() }

func (c *countingClient) IsConnectionOpen() bool {
	c.openCalls.Add(1)
	return c.Client.IsConnectionOpen()
}

func (c *countingClient) Publish(topic string, qos byte, retained bool, payload any) paho.Token {
	tok := c.Client.Publish(topic, qos, retained, payload)
	c.mu.Lock()
	c.tokens = append(c.tokens, tok)
	c.mu.Unlock()
	return tok
}

// completed counts the tokens paho has completed.
func (c *countingClient) completed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, tok := range c.tokens {
		select {
		case <-tok.Done():
			n++
		default:
		}
	}
	return n
}

// rawBroker is a minimal MQTT 3.1.1 server that can withhold PUBACKs, which
// no real broker does on request. It accepts CONNECT, answers PINGREQ, and
// records every PUBLISH; it acknowledges them only once ackAll is called.
type rawBroker struct {
	t         testing.TB
	l         net.Listener
	mu        sync.Mutex
	conns     map[net.Conn]*rawConn
	ack       bool
	publishes []*packets.PublishPacket // every PUBLISH received, in order
}

type rawConn struct {
	wmu  sync.Mutex
	held []uint16 // packet IDs not acknowledged yet
}

func startRawBroker(t testing.TB) *rawBroker {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &rawBroker{t: t, l: l, conns: map[net.Conn]*rawConn{}}
	t.Cleanup(func() {
		l.Close()
		b.dropConnections()
	})
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go b.serve(conn)
		}
	}()
	return b
}

func (b *rawBroker) URL() string { return "tcp://" + b.l.Addr().String() }

func (b *rawBroker) serve(conn net.Conn) {
	defer conn.Close()
	rc := &rawConn{}
	b.mu.Lock()
	b.conns[conn] = rc
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.conns, conn)
		b.mu.Unlock()
	}()
	for {
		pk, err := packets.ReadPacket(conn)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				b.t.Logf("raw broker: read: %v", err)
			}
			return
		}
		var reply packets.ControlPacket
		switch p := pk.(type) {
		case *packets.ConnectPacket:
			reply = packets.NewControlPacket(packets.Connack)
		case *packets.PingreqPacket:
			reply = packets.NewControlPacket(packets.Pingresp)
		case *packets.DisconnectPacket:
			return
		case *packets.PublishPacket:
			b.mu.Lock()
			b.publishes = append(b.publishes, p)
			ack := b.ack
			if !ack {
				rc.held = append(rc.held, p.MessageID)
			}
			b.mu.Unlock()
			if ack {
				reply = puback(p.MessageID)
			}
		default:
			b.t.Errorf("raw broker: unexpected %T", pk)
			return
		}
		if reply != nil {
			rc.wmu.Lock()
			err := reply.Write(conn)
			rc.wmu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

func puback(id uint16) packets.ControlPacket {
	p := packets.NewControlPacket(packets.Puback).(*packets.PubackPacket)
	p.MessageID = id
	return p
}

// ackAll acknowledges every held PUBLISH and every later one.
func (b *rawBroker) ackAll() {
	b.mu.Lock()
	b.ack = true
	held := map[net.Conn][]uint16{}
	rcs := map[net.Conn]*rawConn{}
	for conn, rc := range b.conns {
		held[conn], rc.held = rc.held, nil
		rcs[conn] = rc
	}
	b.mu.Unlock()
	for conn, ids := range held {
		rc := rcs[conn]
		rc.wmu.Lock()
		for _, id := range ids {
			if err := puback(id).Write(conn); err != nil {
				break
			}
		}
		rc.wmu.Unlock()
	}
}

// dropConnections closes every client connection, as a network failure
// would (the listener stays, so clients reconnect).
func (b *rawBroker) dropConnections() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for conn := range b.conns {
		conn.Close()
	}
}

func (b *rawBroker) received() []*packets.PublishPacket {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*packets.PublishPacket(nil), b.publishes...)
}

func (b *rawBroker) connections() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns)
}
