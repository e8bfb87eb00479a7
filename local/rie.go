package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/batchinfer/batchinfer/pinned"
)

// RIEOptions configures one runtime interface emulator process.
type RIEOptions struct {
	RIEPath string   // the aws-lambda-rie binary
	Handler string   // the function binary (the bootstrap) RIE starts
	Args    []string // arguments passed to Handler
	// Env is appended to this process's environment; RIE forwards its own
	// environment to the function, so this is the function's environment.
	Env []string
	// Addr is where RIE serves the invoke API, 127.0.0.1:PORT; "" picks a
	// free loopback port. A non-loopback host is refused.
	Addr string
	// Timeout is the function timeout (AWS_LAMBDA_FUNCTION_TIMEOUT, whole
	// seconds, rounded up); 0 keeps RIE's default of 300 s.
	Timeout        time.Duration
	Stdout, Stderr io.Writer
}

// RIE is a running runtime interface emulator with its function.
type RIE struct {
	addr, apiAddr string
	proc          *pinned.Process
	client        *http.Client
	stopOnce      sync.Once
	stopErr       error
}

// startupTimeout bounds the wait for RIE to listen when ctx has no deadline.
const startupTimeout = 15 * time.Second

// StartRIE starts `aws-lambda-rie --runtime-interface-emulator-address
// 127.0.0.1:PORT --runtime-api-address 127.0.0.1:PORT2 HANDLER ARGS...` and
// waits until the invoke API accepts connections. RIE's runtime API
// defaults to the fixed 127.0.0.1:9001, so it gets a free port too: two
// emulators (parallel test packages) would otherwise collide. RIE starts
// the function lazily, on the first invoke. ctx bounds only the start-up;
// the process lives until Stop.
func StartRIE(ctx context.Context, o RIEOptions) (*RIE, error) {
	if o.RIEPath == "" || o.Handler == "" {
		return nil, errors.New("start RIE: RIEPath and Handler are required")
	}
	addr := o.Addr
	if addr == "" {
		p, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("start RIE: %w", err)
		}
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
	}
	if err := loopbackOnly(addr); err != nil {
		return nil, fmt.Errorf("start RIE: %w", err)
	}
	apiPort, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("start RIE: %w", err)
	}
	apiAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(apiPort))

	args := append([]string{
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", apiAddr,
		o.Handler,
	}, o.Args...)
	cmd := exec.Command(o.RIEPath, args...)
	cmd.Env = append(os.Environ(), o.Env...)
	if o.Timeout > 0 {
		secs := int((o.Timeout + time.Second - 1) / time.Second)
		cmd.Env = append(cmd.Env, "AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(secs))
	}
	cmd.Stdout, cmd.Stderr = o.Stdout, o.Stderr
	// If this process dies without calling Stop, the kernel kills RIE.
	proc, err := pinned.Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("start RIE %s: %w", o.RIEPath, err)
	}
	r := &RIE{
		addr: addr, apiAddr: apiAddr, proc: proc,
		client: &http.Client{Transport: &http.Transport{DisableKeepAlives: false}},
	}

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startupTimeout)
		defer cancel()
	}
	if err := r.waitListening(ctx); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

func (r *RIE) waitListening(ctx context.Context) error {
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", r.addr)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-r.proc.Done():
			return fmt.Errorf("start RIE on %s: exited before listening: %v", r.addr, r.proc.Wait())
		case <-ctx.Done():
			return fmt.Errorf("start RIE on %s: not listening: %w", r.addr, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Addr is the invoke API's address, 127.0.0.1:PORT.
func (r *RIE) Addr() string { return r.addr }

// RuntimeAPIAddr is the Lambda runtime API address RIE gave the function.
func (r *RIE) RuntimeAPIAddr() string { return r.apiAddr }

// PID is the RIE process id.
func (r *RIE) PID() int { return r.proc.Pid() }

// InvokeURL is the function's invoke endpoint.
func (r *RIE) InvokeURL() string {
	return "http://" + r.addr + "/2015-03-31/functions/function/invocations"
}

// FunctionError is an invocation that reached the function and failed: it
// returned an error, panicked, crashed or timed out. Lambda's event source
// mapping treats each of these as a failure of the whole batch.
type FunctionError struct {
	Status  int    // HTTP status RIE answered
	Type    string // errorType, e.g. Runtime.ExitError, or "Timeout"
	Message string
	Body    []byte
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("function error (HTTP %d) %s: %s", e.Status, e.Type, e.Message)
}

// Invoke posts payload to the function and returns its response. A
// function error (crash, timeout, or an errorType in the body) is returned
// as a *FunctionError; a failure to reach RIE as a plain error.
func (r *RIE) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return postInvoke(ctx, r.client, r.InvokeURL(), payload)
}

// Invoker calls a function already running under a runtime interface
// emulator at url (its invocations endpoint), for an ESM that did not start
// the emulator itself.
func Invoker(url string) func(ctx context.Context, payload []byte) ([]byte, error) {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		return postInvoke(ctx, http.DefaultClient, url, payload)
	}
}

func postInvoke(ctx context.Context, client *http.Client, url string, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: read response: %w", url, err)
	}
	if ferr := functionError(resp.StatusCode, body); ferr != nil {
		return body, ferr
	}
	return body, nil
}

// functionError recognises the ways RIE reports a failed invocation: a
// non-200 status (crash, panic: Runtime.ExitError with 502), its plain-text
// "Task timed out after N.00 seconds" (with 200), and a handler's returned
// error, a JSON object with errorType/errorMessage (with 200).
func functionError(status int, body []byte) *FunctionError {
	trimmed := bytes.TrimSpace(body)
	if bytes.HasPrefix(trimmed, []byte("Task timed out")) {
		return &FunctionError{Status: status, Type: "Timeout", Message: string(trimmed), Body: body}
	}
	var e struct {
		Type    *string `json:"errorType"`
		Message *string `json:"errorMessage"`
	}
	isErr := len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &e) == nil && (e.Type != nil || e.Message != nil)
	if status == http.StatusOK && !isErr {
		return nil
	}
	fe := &FunctionError{Status: status, Body: body, Type: "HTTPError", Message: strings.TrimSpace(string(body))}
	if isErr {
		fe.Type, fe.Message = deref(e.Type), deref(e.Message)
	}
	return fe
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// HandlerPIDs lists the processes RIE started (the function and any
// extensions), found as RIE's children in /proc. The list may be empty:
// RIE starts the function lazily on the first invoke, and after the
// function died (crash, panic, SIGKILL, timeout) it starts a new process
// on a later invoke. Observed with the pinned RIE: a function killed
// mid-invoke fails that invoke (502, Runtime.ExitError) and the next invoke
// runs in a fresh process; a function killed while idle makes the next
// invoke fail the same way and the one after it succeed.
func (r *RIE) HandlerPIDs() []int {
	return childPIDs(r.proc.Pid())
}

// Stop ends RIE and the function: SIGTERM first (RIE then stops the
// function itself), SIGKILL to whatever is left after a grace period. RIE
// puts the function in its own process group, so the function's pid is
// collected first and killed by pid. Safe to call more than once.
func (r *RIE) Stop() error {
	r.stopOnce.Do(func() {
		children := r.HandlerPIDs()
		r.proc.Stop(3 * time.Second)
		for _, pid := range children {
			// RIE normally stops the function on SIGTERM; a survivor (RIE
			// was SIGKILLed, or hung) has been re-parented but keeps its pid.
			if processAlive(pid) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	return r.stopErr
}

// Done is closed when the RIE process has exited.
func (r *RIE) Done() <-chan struct{} { return r.proc.Done() }
