// Package broker runs an embedded MQTT broker (mochi-mqtt) for the demo and
// for tests, so that neither needs Mosquitto installed. Production units
// use Mosquitto or the venue's broker. It enforces pitwall's broker roles
// (mqtt.BrokerUser) exactly as the venue Mosquitto does: anonymous clients and
// wrong passwords are refused, and each user may only read and write what
// its role grants.
package broker

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"

	"pitwall/mqtt"
)

// DefaultAddr is used when Config.Addr is empty: loopback, any free port.
const DefaultAddr = "127.0.0.1:0"

// Config describes an embedded broker.
type Config struct {
	// Addr is the TCP address to listen on, host:port; port 0 picks a
	// free one (see Broker.Addr). Empty means DefaultAddr.
	Addr string
	// Secret is the event secret every client's password is derived from
	// (mqtt.DerivePassword). Empty: a random one, which only this process
	// knows (see Broker.Secret, Broker.Login and Broker.WriteSecretFile).
	Secret []byte
	// TLSAddr, when set, adds a TLS listener (host:port, port 0 picks a
	// free one) with the certificate and key in CertFile and KeyFile (PEM).
	TLSAddr           string
	CertFile, KeyFile string
	// Logger receives the broker's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Broker is a running embedded broker. It keeps retained messages in memory
// only: they are gone when the process ends.
type Broker struct {
	server    *mochi.Server
	addr      string
	tlsAddr   string
	secret    []byte
	closeOnce sync.Once
}

func checkAddr(what, addr string) error {
	if _, port, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("broker %s %q: %w", what, addr, err)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("broker %s %q: port must be 0-65535", what, addr)
	}
	return nil
}

// Start binds the listeners and starts serving. It returns once they are
// bound, so clients can connect right away.
func Start(cfg Config) (*Broker, error) {
	addr := cfg.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	if err := checkAddr("address", addr); err != nil {
		return nil, err
	}
	var tlsConf *tls.Config
	if cfg.TLSAddr != "" || cfg.CertFile != "" || cfg.KeyFile != "" {
		if err := checkAddr("TLS address", cfg.TLSAddr); err != nil {
			return nil, err
		}
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("broker TLS certificate %s, key %s: %w", cfg.CertFile, cfg.KeyFile, err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	secret := cfg.Secret
	if len(secret) == 0 {
		secret = []byte(mqtt.NewSecret())
	} else if _, err := mqtt.ParseSecret(secret); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "mqtt-broker")

	server := mochi.New(&mochi.Options{Logger: log})
	if err := server.AddHook(&roleHook{secret: secret, log: log}, nil); err != nil {
		return nil, fmt.Errorf("broker: add role hook: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{Type: listeners.TypeTCP, ID: "tcp", Address: addr})
	if err := server.AddListener(tcp); err != nil { // binds the socket
		return nil, fmt.Errorf("broker: listen on %s: %w", addr, err)
	}
	b := &Broker{server: server, addr: tcp.Address(), secret: secret}
	if tlsConf != nil {
		tl := listeners.NewTCP(listeners.Config{Type: listeners.TypeTCP, ID: "tls", Address: cfg.TLSAddr, TLSConfig: tlsConf})
		if err := server.AddListener(tl); err != nil {
			_ = server.Close()
			return nil, fmt.Errorf("broker: TLS listen on %s: %w", cfg.TLSAddr, err)
		}
		b.tlsAddr = tl.Address()
	}
	if err := server.Serve(); err != nil {
		_ = server.Close()
		return nil, fmt.Errorf("broker: serve on %s: %w", addr, err)
	}
	return b, nil
}

// Addr is the host:port actually bound.
func (b *Broker) Addr() string { return b.addr }

// URL is the broker's address as a client's broker URL, tcp://host:port.
func (b *Broker) URL() string { return "tcp://" + b.addr }

// TLSURL is the TLS listener's URL, ssl://host:port; "" without one.
func (b *Broker) TLSURL() string {
	if b.tlsAddr == "" {
		return ""
	}
	return "ssl://" + b.tlsAddr
}

// Secret is the event secret the broker checks passwords against.
func (b *Broker) Secret() []byte { return append([]byte(nil), b.secret...) }

// Login returns user and the password the broker expects from it.
func (b *Broker) Login(user string) (username, password string) {
	return user, mqtt.DerivePassword(b.secret, user)
}

// WriteSecretFile writes the event secret to path (mode 0600), for units
// whose config names it as broker.secret_file.
func (b *Broker) WriteSecretFile(path string) error {
	if err := os.WriteFile(path, append(b.Secret(), '\n'), 0o600); err != nil {
		return fmt.Errorf("broker: write event secret: %w", err)
	}
	return nil
}

// Close disconnects every client and stops listening; clients see a lost
// connection. Calling Close again does nothing.
func (b *Broker) Close() error {
	var err error
	b.closeOnce.Do(func() {
		if cerr := b.server.Close(); cerr != nil {
			err = fmt.Errorf("broker: close: %w", cerr)
		}
	})
	return err
}
