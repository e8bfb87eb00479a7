package stack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// method returns the properties of the API method of httpMethod whose
// resource has pathPart.
func (s *synthed) method(t *testing.T, httpMethod, pathPart string) map[string]any {
	t.Helper()
	resources := s.resources("AWS::ApiGateway::Resource")
	return s.only(t, "AWS::ApiGateway::Method", func(p map[string]any) bool {
		id, _ := p["ResourceId"].(map[string]any)["Ref"].(string)
		part, _ := resources[id]["Properties"].(map[string]any)["PathPart"].(string)
		return p["HttpMethod"] == httpMethod && part == pathPart
	})
}

func asJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestRestAPIRoutes(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		jobsQueue, table := s.idOf(s.b.Jobs), s.idOf(s.b.Table)
		validator := s.only(t, "AWS::ApiGateway::RequestValidator", nil)
		if validator["ValidateRequestBody"] != true {
			t.Errorf("validator %v", validator)
		}
		post := s.method(t, "POST", "jobs")
		integ := post["Integration"].(map[string]any)
		uri := asJSON(integ["Uri"])
		if integ["Type"] != "AWS" || !strings.Contains(uri, ":sqs:path/") || !strings.Contains(uri, jobsQueue) {
			t.Errorf("POST /v1/jobs integration %s %s: want a direct SQS integration with the jobs queue", integ["Type"], uri)
		}
		tmpl := asJSON(integ["RequestTemplates"])
		for _, want := range []string{"Action=SendMessageBatch", "$context.requestId", `$input.json('$.input')`} {
			if !strings.Contains(tmpl, want) {
				t.Errorf("POST /v1/jobs request template lacks %s", want)
			}
		}
		if !strings.Contains(asJSON(integ["IntegrationResponses"]), `\"status\": \"QUEUED\"`) {
			t.Errorf("POST /v1/jobs does not answer QUEUED: %s", asJSON(integ["IntegrationResponses"]))
		}
		if post["ApiKeyRequired"] != true || post["RequestValidatorId"] == nil || !strings.Contains(asJSON(post["RequestModels"]), "JobModel") {
			t.Errorf("POST /v1/jobs: key %v, validator %v, models %v", post["ApiKeyRequired"], post["RequestValidatorId"], post["RequestModels"])
		}

		get := s.method(t, "GET", "{job_id}")
		gi := get["Integration"].(map[string]any)
		if gi["Type"] != "AWS" || !strings.Contains(asJSON(gi["Uri"]), ":dynamodb:action/GetItem") || !strings.Contains(asJSON(gi["RequestTemplates"]), table) {
			t.Errorf("GET /v1/jobs/{job_id} integration %s %s: want a direct GetItem on the table", gi["Type"], asJSON(gi["Uri"]))
		}
		if resp := asJSON(gi["IntegrationResponses"]); get["ApiKeyRequired"] != true || !strings.Contains(resp, "responseOverride.status = 404") || !strings.Contains(resp, "output_uri") {
			t.Errorf("GET /v1/jobs/{job_id}: key %v, responses %s", get["ApiKeyRequired"], resp)
		}

		up := s.method(t, "POST", "uploads")
		ui := up["Integration"].(map[string]any)
		if ui["Type"] != "AWS_PROXY" || !strings.Contains(asJSON(ui["Uri"]), s.idOf(s.b.Uploads)) || up["ApiKeyRequired"] != true {
			t.Errorf("POST /v1/uploads: %v", ui)
		}
	})
}

// The request model is infra/stack/jobschema.json as is (docs/api.yaml's
// Job schema is checked against the same file in api/openapi_test.go).
func TestRestAPIJobModel(t *testing.T) {
	s := synth(t, VariantImage)
	m := s.only(t, "AWS::ApiGateway::Model", nil)
	raw, err := os.ReadFile(filepath.Join(".", "jobschema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if m["ContentType"] != "application/json" || !reflect.DeepEqual(m["Schema"], want) {
		t.Errorf("model %s, want the schema of jobschema.json", asJSON(m))
	}
}

func TestRestAPIUsagePlanAndLogs(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		plan := s.only(t, "AWS::ApiGateway::UsagePlan", nil)
		if asJSON(plan["Throttle"]) != `{"BurstLimit":100,"RateLimit":50}` || asJSON(plan["Quota"]) != `{"Limit":100000,"Period":"DAY"}` {
			t.Errorf("usage plan throttle %v quota %v", plan["Throttle"], plan["Quota"])
		}
		s.only(t, "AWS::ApiGateway::ApiKey", nil)
		key := s.only(t, "AWS::ApiGateway::UsagePlanKey", nil)
		if key["KeyType"] != "API_KEY" {
			t.Errorf("usage plan key %v", key)
		}
		stage := s.only(t, "AWS::ApiGateway::Stage", nil)
		if logs, _ := stage["AccessLogSetting"].(map[string]any); logs["DestinationArn"] == nil || logs["Format"] == nil {
			t.Errorf("stage access logging %v", stage["AccessLogSetting"])
		}
		bad := s.only(t, "AWS::ApiGateway::GatewayResponse", nil)
		if bad["ResponseType"] != "BAD_REQUEST_BODY" || !strings.Contains(asJSON(bad["ResponseTemplates"]), "malformed_job") {
			t.Errorf("gateway response %v", bad)
		}
	})
}

// The API's role may only send to the jobs queue and read the table; the
// uploads function may only put under the upload prefix.
func TestRestAPIRoleScope(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		var roleID string
		for id := range s.resources("AWS::IAM::Role") {
			if strings.HasPrefix(id, "ApiIntegrationRole") {
				roleID = id
			}
		}
		got := map[string]string{}
		for _, st := range statementsOfRole(s, roleID) {
			for _, a := range st.actions {
				got[a] = asJSON(st.resources)
			}
		}
		if len(got) != 2 || !strings.Contains(got["sqs:SendMessage"], s.idOf(s.b.Jobs)) || !strings.Contains(got["dynamodb:GetItem"], s.idOf(s.b.Table)) {
			t.Errorf("API role grants %v; want sqs:SendMessage on the jobs queue and dynamodb:GetItem on the table only", got)
		}
		var upRole string
		for id := range s.resources("AWS::IAM::Role") {
			if strings.HasPrefix(id, "UploadsServiceRole") {
				upRole = id
			}
		}
		var actions []string
		for _, st := range statementsOfRole(s, upRole) {
			for _, a := range st.actions {
				actions = append(actions, a)
				if a == "s3:PutObject" && !strings.Contains(asJSON(st.resources), s.b.Config.UploadPrefix()+"*") {
					t.Errorf("uploads may put %s", asJSON(st.resources))
				}
			}
		}
		sort.Strings(actions)
		if asJSON(actions) != `["s3:PutObject"]` {
			t.Errorf("uploads role holds %v", actions)
		}
	})
}

// The uploads function runs the worker's own artifact with another
// command: the same image (or zip), the uploads handler.
func TestUploadsFunctionReusesTheArtifact(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		fns := s.resources("AWS::Lambda::Function")
		worker := fns[s.idOf(s.b.Function)]["Properties"].(map[string]any)
		up := fns[s.idOf(s.b.Uploads)]["Properties"].(map[string]any)
		if asJSON(worker["Code"]) != asJSON(up["Code"]) {
			t.Errorf("uploads code %s, worker code %s: want one artifact", asJSON(up["Code"]), asJSON(worker["Code"]))
		}
		cmd := asJSON(up["ImageConfig"])
		if s.b.Config.Variant == VariantZip {
			cmd = asJSON(up["Handler"])
		}
		if !strings.Contains(cmd, `"uploads"`) {
			t.Errorf("uploads function runs %s, want the uploads command", cmd)
		}
		env := asJSON(up["Environment"])
		if !strings.Contains(env, "BATCHINFER_UPLOAD_BUCKET") || !strings.Contains(env, s.b.Config.UploadPrefix()) {
			t.Errorf("uploads environment %s", env)
		}
	})
}

func TestAPIConfigFromContext(t *testing.T) {
	ctx := map[string]string{"apiRateLimit": "2.5", "apiBurstLimit": "5", "apiQuotaLimit": "1000", "apiQuotaPeriod": "WEEK"}
	get := func(k string) (string, bool) { v, ok := ctx[k]; return v, ok }
	a, err := apiFromContext(get)
	if err != nil || a != (APIConfig{RateLimit: 2.5, BurstLimit: 5, QuotaLimit: 1000, QuotaPeriod: "WEEK"}) || a.defaults().validate() != nil {
		t.Errorf("apiFromContext = %+v, %v", a, err)
	}
	ctx["apiBurstLimit"] = "lots"
	if _, err := apiFromContext(get); err == nil || !strings.Contains(err.Error(), "apiBurstLimit") {
		t.Errorf("a bad burst: %v", err)
	}
	if err := (APIConfig{QuotaPeriod: "YEAR"}).defaults().validate(); err == nil || !strings.Contains(err.Error(), "apiQuotaPeriod") {
		t.Errorf("a bad period: %v", err)
	}
}
