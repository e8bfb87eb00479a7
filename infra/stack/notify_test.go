package stack

import (
	"strings"
	"testing"
)

func TestCompletionTopic(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		topicID := s.idOf(s.b.Topic)
		topic := s.only(t, "AWS::SNS::Topic", nil)
		if topic["KmsMasterKeyId"] == nil {
			t.Errorf("topic not encrypted: %v", topic)
		}
		if k := s.only(t, "AWS::KMS::Key", nil); k["EnableKeyRotation"] != true {
			t.Errorf("topic key %v", k)
		}
		sub := s.only(t, "AWS::SNS::Subscription", nil)
		if sub["Protocol"] != "sqs" || asJSON(sub["FilterPolicy"]) != `{"status":["FAILED"]}` || !strings.Contains(asJSON(sub["Endpoint"]), s.idOf(s.b.FailedJobs)) {
			t.Errorf("example subscription %v", sub)
		}
		fn := s.resources("AWS::Lambda::Function")[s.idOf(s.b.Function)]["Properties"].(map[string]any)
		if !strings.Contains(asJSON(fn["Environment"]), `"BATCHINFER_NOTIFY_TOPIC_ARN":{"Ref":"`+topicID+`"}`) {
			t.Errorf("worker environment lacks the topic: %s", asJSON(fn["Environment"]))
		}
		var roleID string
		for id := range s.resources("AWS::IAM::Role") {
			if strings.HasPrefix(id, "WorkerServiceRole") {
				roleID = id
			}
		}
		publish := 0
		for _, st := range statementsOfRole(s, roleID) {
			for _, a := range st.actions {
				if strings.HasPrefix(a, "sns:") {
					publish++
					if a != "sns:Publish" || asJSON(st.resources) != `[{"Ref":"`+topicID+`"}]` {
						t.Errorf("worker holds %s on %s; want sns:Publish on the topic only", a, asJSON(st.resources))
					}
				}
			}
		}
		kms := map[string]bool{}
		for _, st := range statementsOfRole(s, roleID) {
			for _, a := range st.actions {
				if strings.HasPrefix(a, "kms:") {
					kms[a] = strings.Contains(asJSON(st.resources), s.idOf(s.b.Topic.MasterKey()))
				}
			}
		}
		if !kms["kms:GenerateDataKey*"] || !kms["kms:Decrypt"] {
			t.Errorf("worker's key grants %v; want GenerateDataKey* and Decrypt on the topic's key", kms)
		}
		if publish != 1 {
			t.Errorf("worker has %d sns grants, want sns:Publish once", publish)
		}
		// Only SNS, from this topic, may send to the example queue.
		pol := s.only(t, "AWS::SQS::QueuePolicy", func(p map[string]any) bool {
			return strings.Contains(asJSON(p["Queues"]), s.idOf(s.b.FailedJobs))
		})
		doc := asJSON(pol["PolicyDocument"])
		if !strings.Contains(doc, `"Service":"sns.amazonaws.com"`) || !strings.Contains(doc, `"aws:SourceArn":{"Ref":"`+topicID+`"}`) {
			t.Errorf("example queue policy %s: want SendMessage from this topic only", doc)
		}
	})
}
