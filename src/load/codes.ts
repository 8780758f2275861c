/** Every diagnostic code the loader (and the lint engine itself) emits; documented in docs/lint-rules.md. */
export const LOAD_CODES = [
  'yaml-syntax',
  'yaml-duplicate-key',
  'json-syntax',
  'yaml-aliases',
  'input-too-deep',
  'input-too-large',
  'input-encoding',
  'input-unreadable',
  'no-manifests',
  'helm-template',
  'manifest-invalid',
  'annotation-not-string',
  'label-not-string',
  'internal-error',
] as const;
