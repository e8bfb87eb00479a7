// launcher.js is what the emulator launchers share: where the npm modules
// are, the port argument, the JSON line announcing the port, and an
// immediate exit on SIGTERM/SIGINT (state is in memory only: nothing to
// flush, so no waiting for keep-alive connections to drain).
"use strict";

const path = require("node:path");

// args returns {modules, port} from BATCHINFER_NODE_MODULES (default:
// .cache/node/node_modules of this script's repository) and argv[2]
// (0 or absent: a free port); a bad port exits 2.
function args(name) {
  const modules = process.env.BATCHINFER_NODE_MODULES ||
    path.join(__dirname, "..", ".cache", "node", "node_modules");
  const port = Number.parseInt(process.argv[2] || "0", 10);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`${name}-launcher: bad port ${JSON.stringify(process.argv[2])}`);
    process.exit(2);
  }
  return { modules, port };
}

// listening prints {"service":NAME,"port":N}, so callers that asked for
// port 0 learn the port, and from then on stops at once on a signal.
function listening(name, port) {
  process.stdout.write(JSON.stringify({ service: name, port }) + "\n");
  const stop = () => process.exit(0);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

// fail reports a startup error and exits 1.
function fail(name, err) {
  console.error(`${name}-launcher: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
}

module.exports = { args, listening, fail };
