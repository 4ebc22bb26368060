package main

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"pitwall/mqtt"
	"pitwall/mqtt/brokerfiles"
)

// writeBrokerFiles generates the venue Mosquitto's password file and ACL
// (run at boot, before Mosquitto starts) and hands them to owner.
func writeBrokerFiles(dir, secretPath, usersPath, owner string) error {
	if secretPath == "" || usersPath == "" {
		return fmt.Errorf("-broker-files needs -secret FILE and -users FILE")
	}
	secret, err := mqtt.ReadSecret(secretPath)
	if err != nil {
		return err
	}
	users, err := brokerfiles.ReadUsers(usersPath)
	if err != nil {
		return err
	}
	if err := brokerfiles.Write(dir, secret, users); err != nil {
		return err
	}
	if owner != "" {
		u, err := user.Lookup(owner)
		if err != nil {
			return fmt.Errorf("-owner: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, p := range []string{dir, filepath.Join(dir, brokerfiles.PasswordFileName), filepath.Join(dir, brokerfiles.ACLFileName)} {
			if err := os.Chown(p, uid, gid); err != nil {
				return fmt.Errorf("-owner %s: %w", owner, err)
			}
		}
	}
	fmt.Printf("%s: %s and %s for %d broker users\n", dir, brokerfiles.PasswordFileName, brokerfiles.ACLFileName, len(users))
	return nil
}
