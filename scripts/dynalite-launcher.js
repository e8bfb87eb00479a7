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
survivesAbortedRequests(server);
server.on("error", (err) => launcher.fail("dynalite", err));
server.listen(port, "127.0.0.1", () => launcher.listening("dynalite", server.address().port));

// survivesAbortedRequests keeps dynalite up when a client goes away in the
// middle of sending a request. dynalite's handler rethrows the request's
// 'error' event (index.js: req.on('error', function (err) { throw err })),
// and node emits one ("aborted", ECONNRESET) whenever a connection closes
// before the body is in: an SDK call whose context ran out mid-request, as
// a save at the end of a short invocation does, threw an uncaught exception
// and the whole emulator exited, failing every later test that used it.
// There is nobody left to answer, so the request is dropped instead.
function survivesAbortedRequests(server) {
  for (const handler of server.listeners("request")) {
    server.removeListener("request", handler);
    server.on("request", (req, res) => {
      const on = req.on;
      req.on = function (event, listener) {
        if (event === "error") {
          return on.call(this, event, () => res.destroy());
        }
        return on.apply(this, arguments);
      };
      handler(req, res);
    });
  }
}
