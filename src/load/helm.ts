import { basename } from 'node:path/posix';
import type { Diagnostic } from '../model/diagnostic.ts';
import { fileDiagnostic } from './source.ts';

/** A Go-template action as Helm charts write them: `{{ .Values.x }}`, `{{- include "…" . }}`, `{{ if … }}`. */
const HELM_ACTION = /\{\{-?\s*(?:\.|\$|\/\*|(?:include|template|if|else|range|with|define|end|toYaml|tpl|default|required|quote|printf|lookup)\b)/;

function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** `charts/web` for `charts/web/templates/deploy.yaml`; undefined when the file is not under templates/. */
function chartOf(file: string): string | undefined {
  const parts = file.replaceAll('\\', '/').split('/');
  const at = parts.lastIndexOf('templates');
  if (at < 0 || at === parts.length - 1) return undefined;
  const chart = parts.slice(0, at).join('/');
  return chart === '' ? '.' : chart;
}

/**
 * Pure: a `helm-template` warning when `text` is an unrendered Helm template: it has a template action
 * and either does not parse as YAML or sits under a chart's templates/ directory. Such a file is not
 * linted (its values are placeholders); the hint says how to lint what it renders to.
 */
export function helmTemplateDiagnostic(file: string, text: string, parseFailed: boolean): Diagnostic | undefined {
  const match = HELM_ACTION.exec(text);
  if (match === null) return undefined;
  const chart = chartOf(file);
  if (!parseFailed && chart === undefined) return undefined;
  const at = lineColumnOf(text, match.index);
  const shown = chart ?? 'CHART';
  const release = chart === undefined || chart === '.' ? 'RELEASE' : basename(chart);
  return fileDiagnostic(
    file, at, 'helm-template', 'warning',
    `${file} is a Helm template (template action at line ${at.line}), not a manifest: nothing in it was checked`,
    `Render the chart and lint the result: helm template ${release} ${shown} | kubehooks lint -`,
  );
}
