package mqtt

import (
	"fmt"
	"os"
	"strings"
)

// Broker is how a unit reaches its MQTT broker, as its config file says.
type Broker struct {
	URL          string `json:"url"`           // tcp://host:port
	ClientID     string `json:"client_id"`     // empty: a unique one per start
	Username     string `json:"username"`      // broker user (ACL role)
	PasswordFile string `json:"password_file"` // file holding the password, kept out of the config
}

// Password reads the password file; "" when none is configured.
func (b Broker) Password() (string, error) {
	if b.PasswordFile == "" {
		return "", nil
	}
	pw, err := os.ReadFile(b.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("broker.password_file: %w", err)
	}
	return strings.TrimSpace(string(pw)), nil
}
