import type { HookResult, RunReport } from '../model/result.ts';
import { xmlAttrs, xmlEscape } from './xml.ts';

/** How much of a failed hook's stderr (and stdout) a testcase carries: the tail, in characters. */
export const JUNIT_OUTPUT_TAIL_CHARS = 4096;

function tail(text: string): string {
  if (text.length <= JUNIT_OUTPUT_TAIL_CHARS) return text;
  return `…(last ${JUNIT_OUTPUT_TAIL_CHARS} of ${text.length} characters)\n${text.slice(-JUNIT_OUTPUT_TAIL_CHARS)}`;
}

function caseName(r: HookResult): string {
  return `${r.container}: ${r.source} hook ${r.name === '' ? '<unnamed>' : r.name} ${r.phase}[${r.index}]`;
}

function failureBody(r: HookResult): string {
  const lines = [`status: ${r.status}`, `exit code: ${r.exitCode === null ? 'none' : String(r.exitCode)}`];
  if (r.reason !== null) lines.push(`reason: ${r.reason}`);
  if (r.stderr !== '') lines.push(`stderr (tail):\n${tail(r.stderr)}`);
  if (r.truncated) lines.push('(output was truncated at the capture cap)');
  return lines.join('\n');
}

/**
 * JUnit XML for `run --output junit`: one testsuite for the run, one testcase per hook (classname
 * `namespace/pod`). Failed and timed-out hooks are failures carrying the exit code and a stderr
 * tail; hooks that did not run are skipped with the reason. Pure.
 */
export function renderRunJunit(report: RunReport, options: { readonly name: string; readonly omitOutput?: boolean }): string {
  const omit = options.omitOutput === true;
  let failures = 0;
  let skipped = 0;
  let seconds = 0;
  const cases = report.results.map((r) => {
    const attrs = xmlAttrs({
      classname: `${r.namespace}/${r.pod}`,
      name: caseName(r),
      time: r.durationMs === null ? undefined : (r.durationMs / 1000).toFixed(3),
    });
    seconds += (r.durationMs ?? 0) / 1000;
    const parts: string[] = [];
    if (r.status === 'failed' || r.status === 'timed-out') {
      failures += 1;
      const body = omit ? { ...r, stderr: '' } : r;
      parts.push(
        `      <failure${xmlAttrs({ message: r.reason ?? r.status, type: r.reasonCode ?? r.status })}>${xmlEscape(failureBody(body))}</failure>`,
      );
    } else if (r.status === 'not-run') {
      skipped += 1;
      parts.push(`      <skipped${xmlAttrs({ message: r.reason ?? 'not run' })}/>`);
    }
    if (!omit && r.stdout !== '') parts.push(`      <system-out>${xmlEscape(tail(r.stdout))}</system-out>`);
    if (!omit && r.stderr !== '' && r.status === 'succeeded') parts.push(`      <system-err>${xmlEscape(tail(r.stderr))}</system-err>`);
    return parts.length === 0 ? `    <testcase${attrs}/>` : `    <testcase${attrs}>\n${parts.join('\n')}\n    </testcase>`;
  });
  const counts = { tests: report.results.length, failures, errors: 0, skipped, time: seconds.toFixed(3) };
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${xmlAttrs({ name: options.name, ...counts })}>`,
    `  <testsuite${xmlAttrs({ name: options.name, ...counts })}>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
