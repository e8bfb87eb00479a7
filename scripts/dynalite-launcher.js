// dynalite-launcher.js starts the dynalite DynamoDB emulator on 127.0.0.1 only.
//
// dynalite's CLI treats port 0 as "use 4567", so tests that want a free port
// go through this launcher, which also makes tables ACTIVE at once (the
// CLI's default keeps them CREATING for 500 ms).
//
// Usage: node scripts/dynalite-launcher.js [PORT]   (PORT 0 or absent = a free port)
// Environment: BATCHINFER_NODE_MODULES overrides where dynalite is installed.
// Once listening it prints one JSON line {"service":"dynalite","port":N} on stdout.
"use strict";

const path = require("node:path");

const modules = process.env.BATCHINFER_NODE_MODULES ||
  path.join(__dirname, "..", ".cache", "node", "node_modules");
const port = Number.parseInt(process.argv[2] || "0", 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`dynalite-launcher: bad port ${JSON.stringify(process.argv[2])}`);
  process.exit(2);
}

const dynalite = require(path.join(modules, "dynalite"));
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.on("error", (err) => {
  console.error(`dynalite-launcher: ${err.stack || err}`);
  process.exit(1);
});
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ service: "dynalite", port: server.address().port }) + "\n");
});
// The store is in memory: nothing to flush, so stop at once rather than wait
// out dynalite's graceful close of keep-alive connections.
const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
