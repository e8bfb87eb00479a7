//go:build tools

// Package tools pins modules the project uses before code imports them, so
// that parallel work never races on go.mod. Removed once every module is
// imported by real code.
package tools

import (
	_ "github.com/aws/aws-lambda-go/events"
	_ "github.com/aws/aws-lambda-go/lambda"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	_ "github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	_ "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	_ "github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/aws/aws-sdk-go-v2/service/sqs"
	_ "github.com/cenkalti/backoff/v4"
	_ "github.com/johannesboyne/gofakes3"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/yalue/onnxruntime_go"
	_ "golang.org/x/image/font/gofont/goregular"
	_ "golang.org/x/image/draw"
	_ "golang.org/x/image/font/opentype"
)
