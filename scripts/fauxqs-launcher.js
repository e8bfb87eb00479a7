// fauxqs-launcher.js starts the fauxqs SQS/S3 emulator on 127.0.0.1 only.
//
// fauxqs's own CLI (and startFauxqs) always listen on 0.0.0.0, which this
// project forbids, so this launcher builds the same Fastify app with
// buildApp and listens on loopback itself.
//
// Usage: node scripts/fauxqs-launcher.js [PORT]   (PORT 0 or absent = a free port)
// Environment: BATCHINFER_NODE_MODULES overrides where fauxqs is installed
// (default: .cache/node/node_modules next to this script's repository);
// FAUXQS_LOGGER=true turns on request logging.
// Once listening it prints one JSON line {"service":"fauxqs","port":N} on
// stdout, so callers that asked for port 0 learn the port it got.
"use strict";

const path = require("node:path");
const { pathToFileURL } = require("node:url");
const launcher = require("./launcher.js");

async function main() {
  const { modules, port } = launcher.args("fauxqs");
  const entry = pathToFileURL(path.join(modules, "fauxqs", "dist", "app.js")).href;
  const { buildApp } = await import(entry);
  const app = buildApp({ logger: process.env.FAUXQS_LOGGER === "true" });
  await app.listen({ port, host: "127.0.0.1" });
  launcher.listening("fauxqs", app.server.address().port);
}

main().catch((err) => launcher.fail("fauxqs", err));
