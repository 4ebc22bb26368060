package client

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"
)

func TestPahoLogsGoToSlog(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	prev := pahoSink.Load()
	t.Cleanup(func() {
		if prev != nil {
			pahoSink.Store(prev)
		}
	})
	routePahoLogs(log)

	paho.ERROR.Println("[net]", "connection reset")
	paho.CRITICAL.Printf("%s broken", "[pinger]")
	paho.WARN.Println("[client]", "failed to connect to broker, trying next")
	paho.WARN.Println("[store]", "memorystore wiped")                                      // routine: Debug, filtered out at Info
	paho.ERROR.Println("[client]", "dial tcp 127.0.0.1:1883: connect: connection refused") // broker away: Warn
	paho.DEBUG.Println("[net]", "every packet")                                            // never routed

	out := buf.String()
	for _, want := range []string{
		`level=ERROR msg="paho: [net] connection reset" paho_level=error`,
		`level=ERROR msg="paho: [pinger] broken" paho_level=critical`,
		`level=WARN msg="paho: [client] failed to connect to broker, trying next" paho_level=warn`,
		`level=WARN msg="paho: [client] dial tcp 127.0.0.1:1883: connect: connection refused" paho_level=error`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s; got:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"wiped", "every packet"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("log has %q at Info level:\n%s", unwanted, out)
		}
	}
}
