package e2e

import (
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/faultproxy"
)

// TestTransientFaults puts a fault-injecting proxy between the worker and
// S3 and DynamoDB. Every job still ends SUCCEEDED, none is lost and none
// runs twice.
//
// "before" faults never reach the emulator: the worker's own backoff
// retries absorb them inside the invocation, so every item is claimed once.
// "after" faults are applied and then reported as failures (a lost
// response): a claim that took effect looks like someone else's, the job
// is retried by SQS, and once the claim's lease (the invocation's time)
// has run out the redelivery takes it over. So that case runs with a short
// function timeout and visibility timeout, allows more claims, and checks
// that no outcome was stored twice.
func TestTransientFaults(t *testing.T) {
	tests := []struct {
		name        string
		opts        faultproxy.Options
		sys         sysOptions
		iris, ocr   int
		exactlyOnce bool // one SUCCEEDED line and one claim per job
	}{
		{
			name: "before forwarding",
			opts: faultproxy.Options{FailRate: 0.2, Seed: 7},
			iris: 150, ocr: 20, exactlyOnce: true,
		},
		{
			name: "after forwarding",
			opts: faultproxy.Options{FailRate: 0.1, FailAfterForward: 0.1, Seed: 8},
			sys:  sysOptions{Timeout: 6 * time.Second, Visibility: 7 * time.Second, MaxReceives: 10},
			iris: 60, ocr: 8,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.Services = []string{faultproxy.S3, faultproxy.DynamoDB}
			o.Routes = map[string]string{faultproxy.S3: emu.S3URL, faultproxy.DynamoDB: emu.DynamoURL}
			proxy := faultproxy.StartT(t, emu.SQSURL, o)
			so := tt.sys
			so.Env = append(so.Env,
				"AWS_ENDPOINT_URL_S3="+proxy.URL(),
				"AWS_ENDPOINT_URL_DYNAMODB="+proxy.URL())
			s := newSystem(t, so)

			objs := s.uploadLines(tt.ocr, 31)
			irisIDs, irisBodies := irisJobs("fault", tt.iris)
			ids, bodies := s.mixed(irisIDs, irisBodies, objs, 0)
			s.send(bodies...)
			recs := s.waitFinal(ids, 60*time.Second)

			s.checkSucceeded(irisIDs, objs, recs)
			if tt.exactlyOnce {
				s.checkOncePerJob(ids, recs, 1)
			} else if n := s.checkNoDoubleOutcome(ids); n > 0 {
				t.Logf("%d jobs completed by a write whose answer was lost (logged RETRY, then found done)", n)
			}
			s.waitQueueDrained(15 * time.Second)
			if dl := s.deadLetters(); len(dl) != 0 {
				t.Errorf("%d jobs in the DLQ, want none", len(dl))
			}

			counts := proxy.Counts()
			for _, svc := range []string{faultproxy.S3, faultproxy.DynamoDB} {
				c := counts[svc]
				if c.Injected+c.InjectedAfterForward == 0 {
					t.Errorf("no fault was injected into %s (%+v): the test proved nothing", svc, c)
				}
				t.Logf("%s: %+v", svc, c)
			}
			if o.FailAfterForward > 0 {
				reclaimed := 0
				for _, id := range ids {
					if recs[id].Attempts > 1 {
						reclaimed++
					}
				}
				t.Logf("%d of %d jobs were claimed again after a lost response", reclaimed, len(ids))
			}
		})
	}
}
