/**
 * node bench/plot.ts bench/results/<date>.json — (re)draws <date>-delay.svg, and the PNG when
 * rsvg-convert is on PATH, from a results file.
 */
import { writeDelayPlot } from './lib/plot-file.ts';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: node bench/plot.ts RESULTS.json\n');
  process.exit(2);
}
for (const written of writeDelayPlot(file)) process.stdout.write(`${written}\n`);
