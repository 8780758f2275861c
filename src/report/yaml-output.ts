import { stringify } from 'yaml';

/**
 * `-o yaml`: the JSON document of the same command, as YAML (same fields, same order, same meaning;
 * the JSON Schemas in schemas/ describe both). Every string is kept a string: YAML 1.1 readers such
 * as kubectl's would read a bare `yes` or `on` as a boolean, so such values are quoted.
 */
export function renderYaml(document: unknown): string {
  return stringify(document, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
}
