/**
 * A preload for a bench variant (`node:--import=<this file's URL>` in --alternate's ARGS): sets the
 * V8 flags in KUBEHOOKS_BENCH_RUNTIME_V8_FLAGS (comma- or space-separated) with v8.setFlagsFromString() after V8's heap is set
 * up, as a launcher without a re-exec would (docs/adr/0025). Plain JavaScript: a .ts preload would
 * load Node's type stripper into the measured process.
 */
import v8 from 'node:v8';

const flags = process.env.KUBEHOOKS_BENCH_RUNTIME_V8_FLAGS ?? '';
for (const flag of flags.split(/[ ,]/).filter((x) => x !== '')) v8.setFlagsFromString(flag);
