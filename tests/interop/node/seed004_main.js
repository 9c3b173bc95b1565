// Glue that runs seed 004's server code (tests/interop/seeds/seed004_*.ts, extracted verbatim) on
// node with express from npm. Every line here is something the seed leaves undefined.
'use strict';
const path = require('path'); // to find the extracted seed files next to this harness
require('./request_log'); // tests count requests and read their query: log each one (not the seed's)
const { loadTs } = require('./load_ts'); // the seed is TypeScript: strip types, run it as written
const seeds = path.join(__dirname, '..', 'seeds'); // where tests/interop/seeds/extract.py wrote the code
// The service file is the seed's whole server: it creates SSEMessageService and listens on
// process.env.PORT (the test passes a free port), with its own SIGTERM handler.
loadTs(path.join(seeds, 'seed004_sse_service.ts'));
// The scheduler file (the seed's "4.2") is a separate module the seed never wires to any route.
const { CommandScheduler } = loadTs(path.join(seeds, 'seed004_command_scheduler.ts'));
// Run it as the seed's server would own it; it only stores the service, so none is passed.
const scheduler = new CommandScheduler(undefined);
process.on('SIGTERM', () => scheduler.stop()); // the seed's own SIGTERM handler exits the process
