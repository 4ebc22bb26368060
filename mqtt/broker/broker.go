// Package broker runs an embedded MQTT broker (mochi-mqtt) for the demo and
// for tests, so that neither needs Mosquitto installed. Production units
// use Mosquitto or the venue's broker.
package broker

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// DefaultAddr is used when Config.Addr is empty: loopback, any free port.
const DefaultAddr = "127.0.0.1:0"

// Config describes an embedded broker.
type Config struct {
	// Addr is the TCP address to listen on, host:port; port 0 picks a
	// free one (see Broker.Addr). Empty means DefaultAddr.
	Addr string
	// Logger receives the broker's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Broker is a running embedded broker. It allows every client to read and
// write every topic (the role ACL comes later) and keeps retained messages
// in memory only: they are gone when the process ends.
type Broker struct {
	server    *mochi.Server
	addr      string
	closeOnce sync.Once
}

// Start binds the TCP listener and starts serving. It returns once the
// listener is bound, so clients can connect right away.
func Start(cfg Config) (*Broker, error) {
	addr := cfg.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	if _, port, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("broker address %q: %w", addr, err)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return nil, fmt.Errorf("broker address %q: port must be 0-65535", addr)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}

	server := mochi.New(&mochi.Options{Logger: log.With("component", "mqtt-broker")})
	if err := server.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, fmt.Errorf("broker: add auth hook: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{Type: listeners.TypeTCP, ID: "tcp", Address: addr})
	if err := server.AddListener(tcp); err != nil { // binds the socket
		return nil, fmt.Errorf("broker: listen on %s: %w", addr, err)
	}
	if err := server.Serve(); err != nil {
		_ = server.Close()
		return nil, fmt.Errorf("broker: serve on %s: %w", addr, err)
	}
	return &Broker{server: server, addr: tcp.Address()}, nil
}

// Addr is the host:port actually bound.
func (b *Broker) Addr() string { return b.addr }

// URL is the broker's address as a client's broker URL, tcp://host:port.
func (b *Broker) URL() string { return "tcp://" + b.addr }

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
