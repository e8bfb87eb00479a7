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
const launcher = require("./launcher.js");

const { modules, port } = launcher.args("dynalite");
const dynalite = require(path.join(modules, "dynalite"));
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.on("error", (err) => launcher.fail("dynalite", err));
server.listen(port, "127.0.0.1", () => launcher.listening("dynalite", server.address().port));
