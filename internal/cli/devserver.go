package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mapback/mapback/internal/linksim"
	"github.com/mapback/mapback/internal/posthogtest"
	"github.com/mapback/mapback/internal/sentrytest"
	"github.com/mapback/mapback/internal/term"
)

// devServerOptions are the flags of `mapback dev-server`.
type devServerOptions struct {
	addr     string
	dir      string
	token    string
	throttle string // request-body bandwidth, e.g. "50mbit"; empty: unlimited
}

func newDevServerCmd(a *app) *cobra.Command {
	var opts devServerOptions
	cmd := &cobra.Command{
		Use:   "dev-server",
		Short: "Run a local Sentry-compatible server to try uploads offline",
		Long: `Run a local server that speaks the same upload protocol as Sentry: the
chunk-upload capability, chunk uploads, artifact bundle assembly and the
artifact-lookup endpoint. Point 'mapback sourcemaps upload --url' (or
sentry-cli's) at it to try a CI set-up without a Sentry account, and
'mapback doctor' to check that an upload arrived.

It checks what a real server checks: every chunk's SHA-1 against its name,
the assembled bundle against its checksum, the zip and its manifest. Chunks
and bundles are kept under --dir (default: mapback's cache directory), so a
second upload of the same build sends nothing, as it would with Sentry.

It listens on 127.0.0.1 only, unless --addr says otherwise, and accepts any
auth token unless --token is set. --throttle makes uploads cross a link of
that bandwidth (shared by all connections, as a CI runner's uplink is), and
GET /_mapback/link reports the request bytes received. Stop it with Ctrl-C.`,
		Example: `  # Start it, then upload to it from another shell
  mapback dev-server
  mapback sourcemaps upload --url http://127.0.0.1:8080 --org demo --project demo ./dist

  # A throw-away store on another port, requiring a token
  mapback dev-server --addr 127.0.0.1:9000 --dir /tmp/store --token secret

  # Uploads as over a 50 Mbit/s uplink; then how many bytes arrived
  mapback dev-server --throttle 50mbit
  curl -s http://127.0.0.1:8080/_mapback/link`,
		Args: noArgs,
		// Configuration is loaded for --log-level / MAPBACK_LOG_LEVEL (one line per request at info).
		Annotations: needsConfigAnnotation,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.streams.Redact(opts.token)
			if opts.dir == "" {
				if a.env.UserCacheDir == "" {
					return usageErrorf(cmd.CommandPath(), "no cache directory on this system: pass --dir")
				}
				opts.dir = filepath.Join(a.env.UserCacheDir, "mapback", "dev-server")
			}
			return runDevServer(cmd.Context(), a.streams, a.log, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.addr, "addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	f.StringVar(&opts.dir, "dir", "", "where chunks and bundles are stored (default: <user cache dir>/mapback/dev-server)")
	f.StringVar(&opts.token, "token", "", "accept only this auth token (default: any)")
	f.StringVar(&opts.throttle, "throttle", "", "receive request bodies no faster than this bandwidth, e.g. 50mbit, 1gbit, 10MB/s (default: unlimited)")
	return cmd
}

// runDevServer serves until ctx is cancelled (Ctrl-C), then shuts down gracefully. The first line
// on stdout is the server's URL, so scripts and tests can start it on port 0 and read the port.
func runDevServer(ctx context.Context, streams *term.IOStreams, log *slog.Logger, opts devServerOptions) error {
	var rate float64
	if opts.throttle != "" {
		var err error
		if rate, err = linksim.ParseRate(opts.throttle); err != nil {
			return fmt.Errorf("--throttle: %w", err)
		}
	}
	dir := opts.dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--dir %s: %w", dir, err)
	}
	srv, err := sentrytest.New(sentrytest.Options{Dir: dir, Token: opts.token, Logger: log})
	if err != nil {
		return err
	}
	defer func() { _ = srv.Close() }() // stops background assembly; nothing left to report
	ph, err := posthogtest.New(posthogtest.Options{Dir: filepath.Join(dir, "posthog"), Token: opts.token, Logger: log})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", opts.addr, err)
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); opts.token == "" {
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			log.Warn("listening beyond this machine without --token: anyone who can reach it can upload", "addr", ln.Addr().String())
		}
	}
	base := "http://" + dialableAddr(ln.Addr().(*net.TCPAddr))
	fmt.Fprintln(streams.Out, base)
	_ = streams.Flush()
	fmt.Fprintf(streams.ErrOut, "mapback dev-server: storing in %s\nTry: mapback sourcemaps upload --url %s --org demo --project demo ./dist\n", dir, base)
	fmt.Fprintf(streams.ErrOut, "PostHog: mapback sourcemaps upload --backends posthog --posthog-host %s --posthog-project-id 1 --posthog-api-key phx_anything ./dist\n", base)

	if rate > 0 {
		fmt.Fprintf(streams.ErrOut, "mapback dev-server: request bodies limited to %s (%.0f bytes/s)\n", opts.throttle, rate)
	}
	hs := &http.Server{Handler: linksim.New(rate).Wrap(devMux(srv, ph)), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(streams.ErrOut, "mapback dev-server: stopped")
	return nil
}

// dialableAddr is the address to print for a listener: one on every interface (0.0.0.0, [::]) is
// reachable from this machine on loopback, the address the printed URL is for.
func dialableAddr(a *net.TCPAddr) string {
	ip := a.IP
	switch {
	case ip == nil || ip.Equal(net.IPv4zero):
		ip = net.IPv4(127, 0, 0, 1)
	case ip.Equal(net.IPv6unspecified):
		ip = net.IPv6loopback
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(a.Port))
}

// devMux serves both backends from one address: PostHog's API and object
// store under their own paths (/api/projects/, /api/environments/,
// /objects), Sentry's everywhere else (/api/0/…).
func devMux(sentry, posthog http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasPrefix(p, "/api/projects/") || strings.HasPrefix(p, "/api/environments/") || p == "/objects" || strings.HasPrefix(p, "/objects") {
			posthog.ServeHTTP(w, r)
			return
		}
		sentry.ServeHTTP(w, r)
	})
}
