/**
 * Imported first by the CLI's entry points (the bundle's entry in scripts/build/build.ts, and
 * bin/kubehooks.js), so that the memory defaults are set before any other module is evaluated.
 */
import { applyMemoryDefaults } from './memory-defaults.ts';

applyMemoryDefaults();
