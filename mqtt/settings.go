package mqtt

import (
	"fmt"
	"os"
	"strings"
)

// Broker is how a unit reaches its MQTT broker, as its config file says.
type Broker struct {
	URL      string `json:"url"`       // tcp://host:port
	ClientID string `json:"client_id"` // empty: a unique one per start
	// Username is the broker user, which decides the unit's rights (see
	// ParseUser). Empty with a SecretFile: the unit's default name,
	// trackside-<track> or kiosk-<kiosk>.
	Username string `json:"username"`
	// PasswordFile holds the password, kept out of the config.
	PasswordFile string `json:"password_file"`
	// SecretFile is the event secret the password is derived from
	// (DerivePassword); used instead of PasswordFile.
	SecretFile string `json:"secret_file"`
	// CAFile holds the PEM certificates that sign the broker's TLS
	// certificate (ssl:// URLs); empty: the system's trusted roots. Read by
	// mqtt/client.TLSConfig (this package stays off the network stack).
	CAFile string `json:"ca_file"`
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

// Credentials returns the user name and password to connect with. With a
// SecretFile the user name defaults to defaultUser and the password is
// derived from the secret; with a PasswordFile it is that file's content;
// with neither, the password is empty. Naming both files is an error.
func (b Broker) Credentials(defaultUser string) (user, password string, err error) {
	if b.SecretFile == "" {
		pw, err := b.Password()
		return b.Username, pw, err
	}
	if b.PasswordFile != "" {
		return "", "", fmt.Errorf("broker: set secret_file or password_file, not both")
	}
	user = b.Username
	if user == "" {
		user = defaultUser
	}
	secret, err := ReadSecret(b.SecretFile)
	if err != nil {
		return "", "", fmt.Errorf("broker.secret_file: %w", err)
	}
	return user, DerivePassword(secret, user), nil
}
