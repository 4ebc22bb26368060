package kiosk

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"net"
	"net/http"
	"time"

	"pitwall/display/fb"
	"pitwall/display/pngout"
	"pitwall/display/preview"
	"pitwall/kiosk/web"
)

// pngEvery spaces rewrites of the PNG output: while a race clock runs the
// board changes ten times a second, and a file polled by people or scripts
// needs no more than one a second.
const pngEvery = time.Second

// served is an HTTP server that Start set up and Run serves.
type served struct {
	name string
	ln   net.Listener
	srv  *http.Server
	// run, when set, keeps the handler current (the web pages).
	run func(context.Context)
}

// Start opens what the config asks for and builds the kiosk on it: the
// framebuffer (outputs.fb, whose mode sets the frame size unless the
// config gives one), the PNG file (outputs.png, written at most once a
// second from its own goroutine), the HTTP preview (outputs.http, reading
// the kiosk's FrameCopy) and the public web pages (web.listen, reading
// the kiosk's model). opt.Outputs are added to those. Run serves and, when
// it returns, closes them all; on an error Start closes what it opened.
//
// cmd/kiosk, `pitwall demo` and `pitwall bench-web` all start a kiosk
// this way.
func Start(cfg Config, opt Options) (k *Kiosk, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kiosk config: %w", err)
	}
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	var closers []func()
	defer func() {
		if err != nil {
			for _, c := range closers {
				c()
			}
		}
	}()
	opt.Outputs = append([]Output(nil), opt.Outputs...)
	if cfg.Outputs.FB != "" {
		open := opt.OpenFB
		if open == nil {
			open = fb.Open
		}
		screen, err := open(cfg.Outputs.FB, log)
		if err != nil {
			return nil, fmt.Errorf("outputs.fb: %w", err)
		}
		closers = append(closers, func() { screen.Close() })
		opt.Size = screen.Bounds().Size()
		if cfg.Width != 0 && image.Pt(cfg.Width, cfg.Height) != opt.Size {
			log.Warn("configured size differs from the framebuffer's; the frame is clipped or padded",
				"config", fmt.Sprintf("%dx%d", cfg.Width, cfg.Height), "framebuffer", fmt.Sprintf("%dx%d", opt.Size.X, opt.Size.Y))
		}
		opt.Outputs = append(opt.Outputs, Output{Name: "fb " + cfg.Outputs.FB, Sink: screen})
	}
	if cfg.Outputs.PNG != "" {
		file, err := pngout.New(cfg.Outputs.PNG, log)
		if err != nil {
			return nil, fmt.Errorf("outputs.png: %w", err)
		}
		opt.Outputs = append(opt.Outputs, Output{Name: "png " + cfg.Outputs.PNG, Sink: file, Detached: true, MinInterval: pngEvery})
	}
	listen := func(key, addr string) (net.Listener, error) {
		if addr == "" {
			return nil, nil
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		closers = append(closers, func() { ln.Close() })
		return ln, nil
	}
	webLn, err := listen("web.listen", cfg.Web.Listen)
	if err != nil {
		return nil, err
	}
	previewLn, err := listen("outputs.http", cfg.Outputs.HTTP)
	if err != nil {
		return nil, err
	}
	k, err = New(cfg, opt)
	if err != nil {
		return nil, err
	}
	k.closers = closers
	if previewLn != nil {
		// The preview serves the kiosk's frame copy, which the PNG output
		// reads too: it adds no 8.3 MB frame of its own, and none at all
		// until a browser opens it.
		k.served = append(k.served, &served{name: "http preview", ln: previewLn,
			srv: &http.Server{Handler: preview.NewShared(k.FrameCopy(), 0, log), ReadHeaderTimeout: 5 * time.Second}})
	}
	if webLn != nil {
		pages := web.New(k, web.Options{Logger: log, PublicURL: cfg.Web.PublicURL})
		k.served = append(k.served, &served{name: "public web", ln: webLn, run: pages.Run,
			srv: &http.Server{Handler: pages, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}})
	}
	return k, nil
}

// PreviewAddr is the address the HTTP preview listens on ("" without one).
func (k *Kiosk) PreviewAddr() string { return k.addr("http preview") }

// WebAddr is the address the public web pages listen on ("" without them).
func (k *Kiosk) WebAddr() string { return k.addr("public web") }

func (k *Kiosk) addr(name string) string {
	for _, s := range k.served {
		if s.name == name {
			return s.ln.Addr().String()
		}
	}
	return ""
}

// serve starts the HTTP servers that Start set up; stop closes them (an
// event stream never ends by itself: close, not Shutdown, for the web;
// the preview gets a second to finish its responses).
func (k *Kiosk) serve(ctx context.Context) (stop func()) {
	for _, s := range k.served {
		if s.run != nil {
			go s.run(ctx)
		}
		go func() {
			if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				k.log.Error(s.name+" stopped", "err", err)
			}
		}()
		k.log.Info(s.name, "url", "http://"+s.ln.Addr().String()+"/")
	}
	return func() {
		for _, s := range k.served {
			if s.run != nil {
				s.srv.Close()
				continue
			}
			sctx, cancel := context.WithTimeout(context.Background(), time.Second)
			s.srv.Shutdown(sctx)
			cancel()
		}
		for _, c := range k.closers {
			c()
		}
	}
}
