// Glue that runs seed 000's browser client (sseService.mjs, extracted verbatim from
// /work/shared/seeds/sse-service.md by test_seed000_client.py) in node. Nothing here changes the
// seed's code; each line says why it is needed. Reports go to stdout as "@@<json>" lines (the
// seed's own console.log output is interleaved and ignored by the test).
// usage: node seed000_client_harness.mjs <stream url> <JSON config passed to connect()>

// The npm package the brief names stands in for the browser's EventSource...
import { EventSource } from 'eventsource'
// ...under the global name the seed uses, as in a browser.
globalThis.EventSource = EventSource

const [, , streamUrl, configJson] = process.argv
// The seed resolves its URL against window.location.origin: node has no window.
globalThis.window = { location: { origin: new URL(streamUrl).origin } }

// The seed's module exports its singleton instance as default.
const { default: sseService } = await import('./sseService.mjs')

// One line per fact the test checks.
const report = (fact) => console.log('@@' + JSON.stringify(fact))
// 'message' is emitted once per event the seed processed (after its data.id dedup).
sseService.on('message', ({ type, data }) => report({ kind: 'event', type, data }))
// Status changes show whether it streamed, failed over, or polled.
sseService.on('status', (change) => report({ kind: 'status', ...change }))
// Start exactly as the seed's usage examples do, with the seed's own config options.
sseService.connect(streamUrl, JSON.parse(configJson))
