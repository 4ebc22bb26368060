package unit

import (
	"context"
	"fmt"
	"net"
	"strings"

	"pitwall/internal/version"
	"pitwall/trackside/console/api"
	"pitwall/trackside/console/socket"
	"pitwall/trackside/pin"
	"pitwall/trackside/store"
)

// serveConsole serves the officials' console socket until ctx is done. A
// socket that cannot be created is logged and timing goes on without a
// console: the console must never be a reason for timing to stop.
func (u *Unit) serveConsole(ctx context.Context) {
	ln, err := socket.Listen(u.cfg.Console.Socket)
	if err != nil {
		u.log.Error("officials' console unavailable", "err", err)
		return
	}
	srv, err := socket.New(socket.Config{Track: u.track, Store: u.store, Health: u.consoleHealth, Logger: u.log})
	if err != nil {
		ln.Close()
		u.log.Error("officials' console unavailable", "err", err)
		return
	}
	u.log.Info("officials' console socket", "path", u.cfg.Console.Socket)
	if err := srv.Serve(ctx, ln); err != nil {
		u.log.Error("officials' console socket stopped", "err", err)
	}
}

// consoleHealth is what the console's health screen and status strip show.
func (u *Unit) consoleHealth() api.Health {
	st := u.status()
	u.mu.Lock()
	client := u.client
	u.mu.Unlock()
	h := api.Health{
		Version: version.Version, Broker: brokerState(client), OutboxDepth: st.OutboxDepth,
		ClockSynced: st.ClockSynced, Recorded: u.track.Activity().Recorded, Sensors: st.Sensors,
		StoreOK: !u.trackStopped.Load(), Foreign: st.Foreign, Rejected: st.Rejected,
	}
	if u.cfg.Broker.URL == "" {
		h.Broker = "none"
	}
	if s := st.Storage; s != nil {
		h.FreeBytes, h.Storage = s.FreeBytes, s.State
		h.StorageDetail = s.Detail
		if s.LastWriteError != "" {
			h.StorageDetail = "last write failed: " + s.LastWriteError
		}
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ip, ok := a.(*net.IPNet); ok && !ip.IP.IsLoopback() {
				h.Addrs = append(h.Addrs, a.String())
			}
		}
	}
	return h
}

// SetPIN sets (or, with p "", removes) an official's console PIN in the
// store at path, hashed as the admin command pin.set stores it. The unit
// must be stopped (the store is locked while it runs); a running unit takes
// pin.set over MQTT.
func SetPIN(path, official, p string) error {
	official = strings.TrimSpace(official)
	if official == "" || len(official) > 64 {
		return fmt.Errorf("official: a name of 1 to 64 bytes is needed")
	}
	var hashed []byte
	if p != "" {
		var err error
		if hashed, err = pin.Hash(p); err != nil {
			return err
		}
	}
	st, err := store.Open(path, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	return SetPINIn(st, official, hashed)
}

// SetPINIn stores an official's hashed PIN (nil: removes it) in an open store.
func SetPINIn(st *store.Store, official string, hashed []byte) error {
	return st.Update(func(tx *store.Tx) error {
		return tx.SetConfig(pin.Setting(official), hashed)
	})
}
