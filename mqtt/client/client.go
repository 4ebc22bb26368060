package client

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	paho "github.com/eclipse/paho.mqtt.golang"

	"pitwall/mqtt"
)

// Timings of every pitwall client. A venue LAN either works or is down, so
// the client notices a dead broker within seconds and retries often: a
// kiosk must not show a stale board for minutes after the broker returns.
const (
	DefaultKeepAlive = 15 * time.Second
	// DefaultRetryInterval caps the wait between (re)connect attempts.
	// paho starts at one second and doubles up to this.
	DefaultRetryInterval = 5 * time.Second
	connectTimeout       = 5 * time.Second
	pingTimeout          = 5 * time.Second
	// writeTimeout bounds a Publish call that finds the connection dying
	// under it (paho's default is 30 s).
	writeTimeout = 5 * time.Second

	maxClientIDBytes = 128
	maxKeepAlive     = 65535 * time.Second // a 16-bit count of seconds on the wire
)

// brokerSchemes are the URL schemes paho dials.
var brokerSchemes = map[string]bool{"tcp": true, "mqtt": true, "ssl": true, "tls": true, "mqtts": true, "ws": true, "wss": true}

// Config describes one connection to the broker.
type Config struct {
	// Broker is the broker's URL, tcp://host:port.
	Broker string
	// ClientID must be unique among the broker's clients: a second client
	// with the same id disconnects the first, and both then take turns.
	// Use UniqueID unless the id must survive restarts (a persistent
	// session, CleanSession false).
	ClientID string
	// Username and Password authenticate against the broker's ACL; empty
	// for anonymous access. A password needs a username (MQTT 3.1.1).
	Username, Password string
	// TLS configures ssl:// (tls://, mqtts://) connections: the CA that
	// signs the broker's certificate (TLSConfig). nil: the
	// system's roots.
	TLS *tls.Config
	// Will is the last will the broker publishes (QoS 1, with the
	// message's Retained flag) when this client vanishes without
	// disconnecting: a unit's retained status with Online false. Its ID is
	// not used.
	Will *mqtt.Message
	// OnConnect runs on every (re)connect, in its own goroutine, so it may
	// wait for tokens. Subscribe here: with CleanSession the broker forgets
	// subscriptions whenever the connection drops.
	OnConnect func(paho.Client)
	// OnLost runs, in its own goroutine, when an established connection
	// drops; the client is already reconnecting.
	OnLost func(error)
	// KeepAlive is the MQTT keep-alive; 0 means DefaultKeepAlive. The
	// broker publishes the Will after 1.5 × KeepAlive of silence.
	KeepAlive time.Duration
	// CleanSession false asks the broker to keep this client's
	// subscriptions and queue its QoS 1 messages while it is away (it
	// then needs a stable ClientID).
	CleanSession bool
	// RetryInterval caps the wait between connect attempts; 0 means
	// DefaultRetryInterval.
	RetryInterval time.Duration
	// MaxPayload, when set, bounds the payload of each PUBLISH the broker
	// sends, per topic: a larger one is cut on the connection, before paho
	// reads it into memory, and reaches the handler with an empty payload
	// (see PayloadLimit). OnOversized, when set, is called for each (from
	// paho's reading goroutine: it must return quickly).
	MaxPayload  PayloadLimit
	OnOversized func(topic string, bytes int)
	// Logger receives connection events; nil means slog.Default(). paho's
	// own error and warning logs go to the logger of the most recently
	// built client (paho has one set of loggers per process).
	Logger *slog.Logger
}

// Validate reports the first problem with c, or nil.
func (c Config) Validate() error {
	if err := validBrokerURL(c.Broker); err != nil {
		return err
	}
	switch {
	case c.ClientID == "":
		return fmt.Errorf("mqtt client: no client id (use UniqueID)")
	case len(c.ClientID) > maxClientIDBytes:
		return fmt.Errorf("mqtt client: client id of %d bytes, at most %d", len(c.ClientID), maxClientIDBytes)
	case !utf8.ValidString(c.ClientID) || strings.ContainsRune(c.ClientID, 0):
		return fmt.Errorf("mqtt client: client id %q is not valid UTF-8 without NUL", c.ClientID)
	case c.Password != "" && c.Username == "":
		return fmt.Errorf("mqtt client: a password needs a username (MQTT 3.1.1)")
	case c.KeepAlive < 0 || (c.KeepAlive > 0 && c.KeepAlive < time.Second):
		return fmt.Errorf("mqtt client: keep-alive %v: want 0 (default %v) or at least 1s", c.KeepAlive, DefaultKeepAlive)
	case c.KeepAlive > maxKeepAlive:
		return fmt.Errorf("mqtt client: keep-alive %v exceeds MQTT's %v", c.KeepAlive, maxKeepAlive)
	case c.RetryInterval < 0 || (c.RetryInterval > 0 && c.RetryInterval < 100*time.Millisecond):
		return fmt.Errorf("mqtt client: retry interval %v: want 0 (default %v) or at least 100ms", c.RetryInterval, DefaultRetryInterval)
	}
	if c.Will != nil {
		if err := mqtt.ValidPublishTopic(c.Will.Topic); err != nil {
			return fmt.Errorf("mqtt client: will: %w", err)
		}
		// The will travels inside CONNECT, whose payload fields carry
		// 16-bit lengths.
		if len(c.Will.Payload) > 65535 {
			return fmt.Errorf("mqtt client: will payload of %d bytes exceeds 65535", len(c.Will.Payload))
		}
	}
	return nil
}

func validBrokerURL(broker string) error {
	if broker == "" {
		return fmt.Errorf("mqtt client: no broker URL (want tcp://host:port)")
	}
	if !strings.Contains(broker, "://") {
		return fmt.Errorf("mqtt client: broker URL %q has no scheme (want tcp://host:port)", broker)
	}
	u, err := url.Parse(broker)
	if err != nil {
		return fmt.Errorf("mqtt client: broker URL %q: %w", broker, err)
	}
	if !brokerSchemes[u.Scheme] {
		return fmt.Errorf("mqtt client: broker URL %q: scheme %q, want tcp (or mqtt, ssl, tls, mqtts, ws, wss)", broker, u.Scheme)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("mqtt client: broker URL %q has no host (want tcp://host:port)", broker)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil || port < 1 || port > 65535 {
		return fmt.Errorf("mqtt client: broker URL %q: want an explicit port 1-65535", broker)
	}
	return nil
}

// TLSConfig is the TLS setup for an ssl:// broker URL whose certificate is
// signed by the CA certificates (PEM) in caFile, e.g. a unit's
// broker.ca_file; nil for an empty caFile (the system's roots then apply).
func TLSConfig(caFile string) (*tls.Config, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("broker.ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("broker.ca_file %s: no PEM certificate in it", caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// ReconnectCounter is implemented by the clients New returns.
//
// Reconnects counts the reconnect attempts begun after a lost connection.
// It exists because paho, on reconnecting, re-sends the QoS 1 publishes
// that were in flight under new tokens and completes the caller's original
// tokens WITHOUT an error although no PUBACK arrived for them. A caller that
// deletes data only after a PUBACK (trackside/publish) reads the counter
// after a token completes and distrusts the completion if it moved since
// the publish. The count is raised before paho touches the tokens, so such
// a read cannot miss it.
type ReconnectCounter interface {
	Reconnects() uint64
}

// counted is a paho client that counts its reconnects.
type counted struct {
	paho.Client
	reconnects atomic.Uint64
}

func (c *counted) Reconnects() uint64 { return c.reconnects.Load() }

// New builds a paho client with pitwall's options: OrderMatters off
// (handlers run in their own goroutines: they must still not block for
// long), AutoReconnect and ConnectRetry on, subscriptions made in
// OnConnect, an ordered in-memory store (publishes resumed after a
// reconnect go out in their original order). It does not connect, and it
// does not check cfg: call cfg.Validate first, or use Connect, which does.
// The returned client implements ReconnectCounter.
func New(cfg Config) paho.Client {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	routePahoLogs(log)
	log = log.With("broker", cfg.Broker, "client_id", cfg.ClientID)

	keepAlive := cfg.KeepAlive
	if keepAlive == 0 {
		keepAlive = DefaultKeepAlive
	}
	retry := cfg.RetryInterval
	if retry == 0 {
		retry = DefaultRetryInterval
	}

	c := &counted{}
	opts := paho.NewClientOptions().
		AddBroker(cfg.Broker).
		SetClientID(cfg.ClientID).
		SetUsername(cfg.Username).
		SetPassword(cfg.Password).
		SetCleanSession(cfg.CleanSession).
		SetOrderMatters(false).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(min(time.Second, retry)).
		SetMaxReconnectInterval(retry).
		SetConnectTimeout(connectTimeout).
		SetKeepAlive(keepAlive).
		SetPingTimeout(pingTimeout).
		SetWriteTimeout(writeTimeout).
		// Subscriptions are made again in OnConnect; paho re-sending
		// stale SUBSCRIBE packets on top would only duplicate them.
		SetResumeSubs(false).
		SetStore(newCopyingStore())
	if cfg.TLS != nil {
		opts.SetTLSConfig(cfg.TLS)
	}
	if cfg.MaxPayload != nil {
		opts.SetCustomOpenConnectionFn(func(uri *url.URL, o paho.ClientOptions) (net.Conn, error) {
			return dialLimited(uri, o, cfg.MaxPayload, cfg.OnOversized)
		})
	}
	if cfg.Will != nil {
		opts.SetBinaryWill(cfg.Will.Topic, cfg.Will.Payload, 1, cfg.Will.Retained)
	}
	opts.SetOnConnectHandler(func(paho.Client) {
		log.Info("mqtt connected")
		if cfg.OnConnect != nil {
			cfg.OnConnect(c)
		}
	})
	opts.SetConnectionLostHandler(func(_ paho.Client, err error) {
		log.Warn("mqtt connection lost; reconnecting", "err", err)
		if cfg.OnLost != nil {
			cfg.OnLost(err)
		}
	})
	// paho calls this synchronously in its reconnect goroutine, before
	// the attempt and so before it resumes (and completes) old tokens.
	opts.SetReconnectingHandler(func(paho.Client, *paho.ClientOptions) {
		c.reconnects.Add(1)
		log.Debug("mqtt reconnecting")
	})
	c.Client = paho.NewClient(opts)
	return c
}

// Connect validates cfg, builds the client and connects. It returns once
// the first connection is up, or when ctx is done. In the second case it
// returns the client together with an error wrapping ctx.Err(): the client
// keeps retrying in the background, and QoS 1 publishes made meanwhile are
// held and sent once it connects. A caller that would rather give up calls
// client.Disconnect on it. Errors other than ctx's come with a nil client.
func Connect(ctx context.Context, cfg Config) (paho.Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := New(cfg)
	tok := c.Connect()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			c.Disconnect(0)
			return nil, fmt.Errorf("connect to %s as %s: %w", cfg.Broker, cfg.ClientID, err)
		}
		return c, nil
	case <-ctx.Done():
		return c, fmt.Errorf("connect to %s as %s: still retrying in the background: %w", cfg.Broker, cfg.ClientID, ctx.Err())
	}
}

// UniqueID returns prefix followed by 48 random bits in hex, e.g.
// "kiosk-main-3f9a0c12b7e4". Characters outside [A-Za-z0-9_-] in prefix
// become '-', and a long prefix is cut to 40 bytes, so the id stays within
// what every broker accepts; an empty prefix becomes "pitwall".
func UniqueID(prefix string) string {
	var b strings.Builder
	for _, r := range prefix {
		if b.Len() >= 40 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		b.WriteString("pitwall")
	}
	var random [6]byte
	rand.Read(random[:]) // never fails (crypto/rand since Go 1.24)
	return b.String() + "-" + hex.EncodeToString(random[:])
}
