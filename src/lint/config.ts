import { parseDocument } from 'yaml';
import type { DisabledCodes } from './suppress.ts';

/** The project file lint looks for in the working directory and each parent. */
export const CONFIG_FILE_NAME = '.kubehooks.yaml';

export type ConfigResult = { readonly ok: true; readonly config: DisabledCodes } | { readonly ok: false; readonly errors: readonly string[] };

const TOP_KEYS = ['lint'] as const;
const LINT_KEYS = ['disable'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The known code that shares most words with `code` (a typo'd or half-remembered code), if any. */
function nearestCode(code: string, known: ReadonlySet<string>): string | undefined {
  const words = new Set(code.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== ''));
  let best: string | undefined;
  let bestScore = 0;
  for (const candidate of [...known].sort()) {
    const score = candidate.split('-').filter((w) => words.has(w)).length;
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

function unknownKey(path: string, key: string, valid: readonly string[]): string {
  return `${path}${key}: unknown key; valid: ${valid.join(', ')}`;
}

/**
 * Pure: `.kubehooks.yaml` text in, the disabled codes out, or every problem (file, key and what
 * would be valid). The format:
 *
 *     lint:
 *       disable:
 *         - annotation-overrides-spec            # a code
 *         - code: init-name-generated            # or a code with the reason reports show
 *           reason: random init names are fine here
 */
export function parseLintConfig(text: string, file: string, known: ReadonlySet<string>): ConfigResult {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) return { ok: false, errors: doc.errors.map((e) => `${file}: not valid YAML: ${e.message.split('\n')[0] ?? ''}`) };
  const root: unknown = doc.toJS();
  const codes = new Map<string, string>();
  if (root === null || root === undefined) return { ok: true, config: { file, codes } };
  const errors: string[] = [];
  if (!isRecord(root)) return { ok: false, errors: [`${file}: expected a mapping with the key lint`] };
  for (const key of Object.keys(root)) if (!(TOP_KEYS as readonly string[]).includes(key)) errors.push(`${file}: ${unknownKey('', key, TOP_KEYS)}`);
  const lint = root['lint'];
  if (lint !== undefined && lint !== null) {
    if (!isRecord(lint)) errors.push(`${file}: lint: expected a mapping with the key disable`);
    else {
      for (const key of Object.keys(lint)) if (!(LINT_KEYS as readonly string[]).includes(key)) errors.push(`${file}: ${unknownKey('lint.', key, LINT_KEYS)}`);
      const disable = lint['disable'];
      if (disable !== undefined && disable !== null && !Array.isArray(disable)) errors.push(`${file}: lint.disable: expected a list of codes`);
      for (const [i, item] of (Array.isArray(disable) ? (disable as unknown[]) : []).entries()) {
        const at = `${file}: lint.disable[${i}]`;
        const code = typeof item === 'string' ? item : isRecord(item) ? item['code'] : undefined;
        const reason = isRecord(item) ? item['reason'] : undefined;
        if (typeof code !== 'string' || code === '') {
          errors.push(`${at}: expected a code or {code, reason}`);
          continue;
        }
        if (isRecord(item)) {
          for (const key of Object.keys(item)) if (key !== 'code' && key !== 'reason') errors.push(`${at}: ${unknownKey('', key, ['code', 'reason'])}`);
        }
        if (reason !== undefined && typeof reason !== 'string') errors.push(`${at}.reason: expected a string`);
        if (!known.has(code)) {
          const near = nearestCode(code, known);
          errors.push(`${at}: unknown code ${JSON.stringify(code)}${near === undefined ? '' : `; did you mean ${near}?`} (codes: docs/lint-rules.md)`);
          continue;
        }
        codes.set(code, typeof reason === 'string' && reason.trim() !== '' ? reason.trim() : `disabled in ${file}`);
      }
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config: { file, codes } };
}
