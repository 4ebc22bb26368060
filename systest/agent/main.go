//go:build systest

// Command pitwall-systest-agent is the whole-system test's way into a
// guest: it serves commands on a virtio serial port
// (/dev/virtio-ports/pitwall.agent), which QEMU connects to a Unix socket
// on the host. It exists only in the test's guest root
// (scripts/system_test.sh installs it); neither the .debs nor the SD image
// have it.
//
// Protocol: one JSON object a line each way. The host sends
// {"id": "...", "cmd": "shell command", "timeout_s": 60}; the agent runs
// the command with /bin/sh -c as root and answers
// {"id": "...", "code": exit status, "out": "stdout and stderr", "err": ""}.
// A reply that could not be delivered (the host hung up) goes out when the
// host next connects; the host skips replies with another id.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

type request struct {
	ID       string `json:"id"`
	Cmd      string `json:"cmd"`
	TimeoutS int    `json:"timeout_s"`
}

type reply struct {
	ID   string `json:"id"`
	Code int    `json:"code"`
	Out  string `json:"out"`
	Err  string `json:"err,omitempty"`
}

func main() {
	path := "/dev/virtio-ports/pitwall.agent"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	var port *os.File
	for {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err == nil {
			port = f
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	fmt.Fprintf(os.Stderr, "pitwall-systest-agent: serving %s\n", path)
	var line []byte
	buf := make([]byte, 4096)
	for {
		n, err := port.Read(buf)
		if n > 0 {
			line = append(line, buf[:n]...)
			for {
				i := bytes.IndexByte(line, '\n')
				if i < 0 {
					break
				}
				req := line[:i]
				line = append([]byte(nil), line[i+1:]...)
				serve(port, req)
			}
		}
		if err != nil || n == 0 {
			// No host connected: the port reads end-of-file. What
			// a host that hung up had half sent is dropped.
			if err != nil && !errors.Is(err, io.EOF) {
				fmt.Fprintf(os.Stderr, "pitwall-systest-agent: read: %v\n", err)
			}
			line = line[:0]
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func serve(port *os.File, b []byte) {
	var req request
	if err := json.Unmarshal(b, &req); err != nil || req.ID == "" {
		return // noise (a host that hung up half-way)
	}
	timeout := time.Duration(req.TimeoutS) * time.Second
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", req.Cmd)
	cmd.WaitDelay = 2 * time.Second
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	rep := reply{ID: req.ID, Out: string(out)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		rep.Code = exit.ExitCode()
		if ctx.Err() != nil {
			rep.Err = "timed out after " + timeout.String()
		}
	default:
		rep.Code = -1
		rep.Err = err.Error()
	}
	enc, _ := json.Marshal(rep)
	// Blocks while no host is connected; goes out to the next one.
	if _, err := port.Write(append(enc, '\n')); err != nil {
		fmt.Fprintf(os.Stderr, "pitwall-systest-agent: write: %v\n", err)
	}
}
