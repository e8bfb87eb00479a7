package testenv

import (
	"net"
	"testing"
)

// FreeAddr is a loopback address (127.0.0.1:PORT) that nothing listened on
// a moment ago, for a server the test starts as another process. Another
// process may take it first; that race is rare and fails with a clear bind
// error.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
