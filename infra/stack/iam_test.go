package stack

import (
	"fmt"
	"regexp"
	"strings"
)

type statement struct {
	where     string
	effect    string
	actions   []string
	resources []any
	raw       map[string]any // as written: Sid, Condition
}

// dataAction matches the actions that read or write user data.
var dataAction = regexp.MustCompile(`^(s3:[A-Za-z]*Object[A-Za-z]*|sqs:[A-Za-z]*Message[A-Za-z]*|dynamodb:([A-Za-z]*Item[A-Za-z]*|Query|Scan))$`)

func isDataAction(a string) bool { return dataAction.MatchString(a) }

// wildcardDataGrant explains why st grants a data action on `*`, or "".
func wildcardDataGrant(st statement) string {
	if st.effect == "Deny" {
		return ""
	}
	star := false
	for _, r := range st.resources {
		if r == "*" {
			star = true
		}
	}
	if !star {
		return ""
	}
	for _, a := range st.actions {
		service, name, _ := strings.Cut(a, ":")
		if a == "*" || name == "*" && (service == "s3" || service == "sqs" || service == "dynamodb") || isDataAction(a) {
			return fmt.Sprintf("%s allowed on Resource *", a)
		}
	}
	return ""
}

// allStatements collects every statement of every IAM policy, inline role
// policy and resource policy in the template.
func allStatements(s *synthed) []statement {
	var out []statement
	for id, r := range s.json["Resources"].(map[string]any) {
		r := r.(map[string]any)
		props, _ := r["Properties"].(map[string]any)
		switch r["Type"] {
		case "AWS::IAM::Policy", "AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy":
			out = append(out, parseDoc(id, props["PolicyDocument"])...)
		case "AWS::IAM::Role":
			pols, _ := props["Policies"].([]any)
			for _, p := range pols {
				out = append(out, parseDoc(id, p.(map[string]any)["PolicyDocument"])...)
			}
		}
	}
	return out
}

// statementsOfRole returns the statements of the policies attached to role.
func statementsOfRole(s *synthed, roleID string) []statement {
	var out []statement
	for id, r := range s.resources("AWS::IAM::Policy") {
		props := r["Properties"].(map[string]any)
		for _, role := range props["Roles"].([]any) {
			if jsonEq(role, ref(roleID)) {
				out = append(out, parseDoc(id, props["PolicyDocument"])...)
			}
		}
	}
	return out
}

func parseDoc(where string, doc any) []statement {
	d, _ := doc.(map[string]any)
	stmts, _ := d["Statement"].([]any)
	var out []statement
	for i, raw := range stmts {
		m := raw.(map[string]any)
		st := statement{where: fmt.Sprintf("%s statement %d", where, i), effect: fmt.Sprint(m["Effect"]), raw: m}
		st.actions = strs(m["Action"])
		switch r := m["Resource"].(type) {
		case []any:
			st.resources = r
		case nil:
		default:
			st.resources = []any{r}
		}
		out = append(out, st)
	}
	return out
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = fmt.Sprint(x)
		}
		return out
	}
	return nil
}
