package faultproxy

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Options configures the faults and latency a Proxy injects.
type Options struct {
	// FailRate is the fraction (0..1) of calls answered with a fault
	// before forwarding: the emulator never sees them.
	FailRate float64
	// FailAfterForward is the fraction (0..1) of calls forwarded, and so
	// done, whose response is replaced by a fault.
	FailAfterForward float64
	// Seed makes the fault sequence repeatable.
	Seed int64
	// Kinds to inject, chosen at random (by Seed) for each fault; nil
	// means ServerError and Throttle.
	Kinds []Kind
	// Services limits faults to these services (DynamoDB, SQS, S3); nil
	// means all. Calls to other services are still forwarded and delayed.
	Services []string
	// Delay returns the latency to add to each call of a service before
	// it is forwarded or failed, e.g. 5 ms for DynamoDB and SQS, 20 ms
	// for S3; nil adds none.
	Delay func(service string) time.Duration
	// Routes sends a service to its own emulator (fauxqs serves SQS and S3,
	// dynalite DynamoDB); services not listed go to the target.
	Routes map[string]string
	// Stall, when it returns a positive duration for a call (by service
	// and X-Amz-Target, e.g. "AmazonSQS.ReceiveMessage"), forwards the
	// call, sends the response's headers and the first half of its body,
	// and waits that long before sending the rest: an answer slow in
	// coming after the service acted, which a client that gives up on it
	// (its context ending) loses half read.
	Stall func(service, target string) time.Duration
	// Cut, when it returns true for a call (by service and X-Amz-Target),
	// forwards the call, sends the response's headers and the first half
	// of its body, then drops the connection: an answer lost on the way
	// after the service acted (a ReceiveMessage whose messages SQS hid).
	Cut func(service, target string) bool
	// IdleTimeout closes a client connection idle this long between
	// requests, as a server's keep-alive timeout does (dynalite's, Node's
	// default, is 5 s); 0 keeps Go's default.
	IdleTimeout time.Duration
	// Log receives one line per injected fault; nil discards.
	Log *slog.Logger
}

// Counts is what a Proxy did for one service.
type Counts struct {
	Calls                int // requests received
	Injected             int // faults injected before forwarding
	InjectedAfterForward int // faults injected after forwarding
	Stalled              int // answers stalled half sent (Options.Stall)
	Cut                  int // answers cut half sent (Options.Cut)
}

// Proxy is a running fault-injecting reverse proxy.
type Proxy struct {
	srv     *http.Server
	ln      net.Listener
	url     string
	opts    Options
	proxies map[string]*httputil.ReverseProxy // by service; "" = target
	faultOn map[string]bool

	mu     sync.Mutex
	rng    *rand.Rand
	counts map[string]*Counts
	reqID  atomic.Uint64

	stopOnce sync.Once
	served   chan struct{}
}

// Start listens on a free 127.0.0.1 port and proxies to target (e.g.
// http://127.0.0.1:4566). It stops when ctx ends or Stop is called.
func Start(ctx context.Context, target string, o Options) (*Proxy, error) {
	if o.FailRate < 0 || o.FailRate > 1 || o.FailAfterForward < 0 || o.FailRate+o.FailAfterForward > 1 {
		return nil, fmt.Errorf("faultproxy: FailRate %v and FailAfterForward %v must be in 0..1 with a sum ≤ 1", o.FailRate, o.FailAfterForward)
	}
	p := &Proxy{
		opts:    o,
		proxies: map[string]*httputil.ReverseProxy{},
		rng:     rand.New(rand.NewPCG(uint64(o.Seed), uint64(o.Seed)^0x9e3779b97f4a7c15)),
		counts:  map[string]*Counts{},
		served:  make(chan struct{}),
	}
	if len(p.opts.Kinds) == 0 {
		p.opts.Kinds = []Kind{ServerError, Throttle}
	}
	if o.Services != nil {
		p.faultOn = map[string]bool{}
		for _, s := range o.Services {
			p.faultOn[s] = true
		}
	}
	var err error
	if p.proxies[""], err = reverseProxy(target); err != nil {
		return nil, err
	}
	for svc, t := range o.Routes {
		if p.proxies[svc], err = reverseProxy(t); err != nil {
			return nil, err
		}
	}
	p.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p.url = "http://" + p.ln.Addr().String()
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: o.IdleTimeout}
	go func() {
		defer close(p.served)
		_ = p.srv.Serve(p.ln)
	}()
	go func() {
		select {
		case <-ctx.Done():
			p.Stop()
		case <-p.served:
		}
	}()
	return p, nil
}

// StartT starts a Proxy for one test or benchmark and stops it when the
// test ends.
func StartT(t testing.TB, target string, o Options) *Proxy {
	t.Helper()
	p, err := Start(context.Background(), target, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

func reverseProxy(target string) (*httputil.ReverseProxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: bad target %q: %v", target, err)
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			// Keep the client's Host: it is part of the SigV4 signature.
			pr.Out.Host = pr.In.Host
		},
	}, nil
}

// URL is the proxy's base URL, http://127.0.0.1:PORT: use it as the
// clients' endpoint (AWS_ENDPOINT_URL_*).
func (p *Proxy) URL() string { return p.url }

// Stop closes the listener and every open connection.
func (p *Proxy) Stop() {
	p.stopOnce.Do(func() {
		_ = p.srv.Close()
		<-p.served
	})
}

// Counts returns a copy of the per-service counters.
func (p *Proxy) Counts() map[string]Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]Counts, len(p.counts))
	for k, v := range p.counts {
		out[k] = *v
	}
	return out
}

// decision is what to do with one call.
type decision struct {
	before, after bool
	kind          Kind
}

func (p *Proxy) decide(service string) decision {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts[service]
	if c == nil {
		c = &Counts{}
		p.counts[service] = c
	}
	c.Calls++
	if p.faultOn != nil && !p.faultOn[service] {
		return decision{}
	}
	// Draw both numbers every time so the sequence for a seed does not
	// depend on which branch earlier calls took.
	r, k := p.rng.Float64(), p.opts.Kinds[p.rng.IntN(len(p.opts.Kinds))]
	switch {
	case r < p.opts.FailRate:
		c.Injected++
		return decision{before: true, kind: k}
	case r < p.opts.FailRate+p.opts.FailAfterForward:
		c.InjectedAfterForward++
		return decision{after: true, kind: k}
	}
	return decision{}
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	service := serviceOf(r)
	if p.opts.Delay != nil {
		if d := p.opts.Delay(service); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
	}
	d := p.decide(service)
	rp := p.proxies[service]
	if rp == nil {
		rp = p.proxies[""]
	}
	reqID := "faultproxy-" + strconv.FormatUint(p.reqID.Add(1), 10)
	var stall time.Duration
	if p.opts.Stall != nil && !d.before && !d.after {
		stall = p.opts.Stall(service, r.Header.Get("X-Amz-Target"))
	}
	cut := p.opts.Cut != nil && !d.before && !d.after && stall <= 0 && p.opts.Cut(service, r.Header.Get("X-Amz-Target"))
	switch {
	case cut:
		p.count(service, func(c *Counts) { c.Cut++ })
		cutAnswer(w, r, rp)
	case stall > 0:
		p.count(service, func(c *Counts) { c.Stalled++ })
		stallAnswer(w, r, rp, stall)
	case d.before:
		// Read the request fully so the client is not cut off mid-upload.
		_, _ = io.Copy(io.Discard, r.Body)
		p.logFault(service, d.kind, "before forwarding", r)
		writeFault(w, service, d.kind, reqID)
	case d.after:
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r)
		p.logFault(service, d.kind, "after forwarding (upstream "+strconv.Itoa(rec.Code)+")", r)
		writeFault(w, service, d.kind, reqID)
	default:
		rp.ServeHTTP(w, r)
	}
}

func (p *Proxy) count(service string, f func(*Counts)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p.counts[service])
}

// stallAnswer forwards r, then sends the answer's headers and half its
// body, waits d (or until the client goes), and sends the rest.
func stallAnswer(w http.ResponseWriter, r *http.Request, rp *httputil.ReverseProxy, d time.Duration) {
	body := halfAnswer(w, r, rp)
	half := len(body) / 2
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		return
	}
	_, _ = w.Write(body[half:])
}

// cutAnswer forwards r, sends the answer's headers and half its body, and
// drops the connection.
func cutAnswer(w http.ResponseWriter, r *http.Request, rp *httputil.ReverseProxy) {
	halfAnswer(w, r, rp)
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
	}
}

// halfAnswer forwards r and sends the answer's headers and the first half
// of its body; it returns the body.
func halfAnswer(w http.ResponseWriter, r *http.Request, rp *httputil.ReverseProxy) []byte {
	rec := httptest.NewRecorder()
	rp.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body[:len(body)/2])
	http.NewResponseController(w).Flush()
	return body
}

func (p *Proxy) logFault(service string, kind Kind, when string, r *http.Request) {
	if p.opts.Log == nil {
		return
	}
	p.opts.Log.Info("faultproxy injected", "service", service, "kind", kind.String(), "when", when,
		"method", r.Method, "path", r.URL.Path, "target", r.Header.Get("X-Amz-Target"))
}
