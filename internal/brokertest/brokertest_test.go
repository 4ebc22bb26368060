package brokertest_test

import (
	"context"
	"testing"
	"time"

	"pitwall/internal/brokertest"
	"pitwall/mqtt"
	"pitwall/mqtt/client"
)

// A client logs in with the derived password and is refused without it.
func TestLogin(t *testing.T) {
	b := brokertest.Start(t)
	secret, err := mqtt.ReadSecret(brokertest.SecretFile(t))
	if err != nil || string(secret) != string(brokertest.Secret) {
		t.Fatalf("secret file holds %q, %v", secret, err)
	}
	connect := func(user, password string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := client.Connect(ctx, client.Config{Broker: b.URL(), ClientID: client.UniqueID("brokertest"), Username: user, Password: password})
		if c != nil {
			c.Disconnect(0)
		}
		return err
	}
	if err := connect("admin", brokertest.Password("admin")); err != nil {
		t.Fatalf("admin with the derived password: %v", err)
	}
	if err := connect("", ""); err == nil {
		t.Fatal("an anonymous client was let in")
	}
}
