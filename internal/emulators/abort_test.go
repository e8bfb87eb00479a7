package emulators

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// checkSurvivesRequestCutOff: a client that goes away halfway through
// sending a request body (an SDK call whose context ran out) must not take
// dynalite down; stock dynalite rethrows the request's "aborted" error and
// exits.
func checkSurvivesRequestCutOff(t *testing.T, e *Env) {
	t.Helper()
	for range 3 {
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.DynamoURL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: dynalite\r\nContent-Type: application/x-amz-json-1.0\r\n"+
			"X-Amz-Target: DynamoDB_20120810.PutItem\r\nContent-Length: 4096\r\n\r\n{\"TableName\":\"t\",\"Item\":{")
		time.Sleep(100 * time.Millisecond) // the server has the headers and part of the body
		conn.Close()
	}
	time.Sleep(200 * time.Millisecond) // for an exit to happen
	if err := e.Alive(); err != nil {
		t.Fatalf("after the cut-off requests: %v", err)
	}
	if _, err := dynamodb.NewFromConfig(e.Config(context.Background())).ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables after the cut-off requests: %v", err)
	}
}
