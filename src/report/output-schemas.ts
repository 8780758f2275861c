/**
 * Test support: the published JSON Schemas of the CLI's JSON outputs (schemas/*.schema.json), compiled
 * once, and an assertion that a document validates. Used by the unit, CLI and e2e tests, so every
 * JSON output the tests produce is checked against the schema users get. Not part of the library.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

export type OutputSchemaName = 'plan-output' | 'run-output' | 'lint-output' | 'run-backup-output';

export const SCHEMAS_DIR = join(import.meta.dirname, '..', '..', 'schemas');

// ajv-formats is CommonJS; its default export is the plugin function.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: true, allErrors: true }));
const compiled = new Map<OutputSchemaName, ValidateFunction>();

export function readOutputSchema(name: OutputSchemaName): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, `${name}.schema.json`), 'utf8')) as Record<string, unknown>;
}

function validator(name: OutputSchemaName): ValidateFunction {
  let v = compiled.get(name);
  if (v === undefined) {
    // run-backup-output's pre and post are run-output documents ($ref by $id).
    if (name === 'run-backup-output') validator('run-output');
    v = ajv.compile(readOutputSchema(name));
    compiled.set(name, v);
  }
  return v;
}

/** The schema's complaints about `document` (empty = valid). */
export function schemaErrors(name: OutputSchemaName, document: unknown): string[] {
  const validate = validator(name);
  if (validate(document)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** Throws (naming every problem) unless `text` is JSON valid against the schema; returns the parsed document. */
export function assertMatchesSchema(name: OutputSchemaName, text: string): unknown {
  const document: unknown = JSON.parse(text);
  const errors = schemaErrors(name, document);
  if (errors.length > 0) throw new Error(`output does not match schemas/${name}.schema.json:\n  ${errors.join('\n  ')}\n${text.slice(0, 2000)}`);
  return document;
}
