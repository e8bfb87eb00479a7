// Package emulators starts the local AWS emulators the project tests run
// against: fauxqs (SQS and S3) and dynalite (DynamoDB), both real Node
// processes bound to 127.0.0.1 on free ports, launched through the scripts
// in scripts/ (fauxqs-launcher.js, dynalite-launcher.js) that `go tool task
// emulators:up` also uses.
//
// A test calls Start(t) and gets an Env whose Config gives SDK clients
// pointed at the emulators and whose Environ gives the same settings as the
// SDK's own AWS_ENDPOINT_URL_* variables for child processes. A TestMain
// that shares one pair across a package passes Step to testenv.Main.
package emulators
