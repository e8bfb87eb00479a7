// Command infra is the batchinfer AWS CDK app: `cdk synth` / `cdk deploy`
// run it (see cdk.json), and `go tool task synth` runs it with its tests.
// Every setting comes from CDK context; docs/deploy.md lists the keys.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/batchinfer/batchinfer/infra/stack"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	cfg, err := stack.ConfigFromContext(app.Node())
	if err == nil {
		_, err = stack.New(app, "BatchInfer", cfg, &awscdk.StackProps{Env: env()})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
	app.Synth(nil)
}

// env pins the stack to the CLI profile's account and region when `cdk`
// provides them; without them the stack stays environment-agnostic.
func env() *awscdk.Environment {
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" || region == "" {
		return nil
	}
	return &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
}
