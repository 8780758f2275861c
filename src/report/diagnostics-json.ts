import type { Diagnostic } from '../model/diagnostic.ts';
import { sortDiagnostics } from './diagnostics-text.ts';

/** The `--output json` contract: `{"diagnostics":[{code,severity,message,hint,file,line,column,object,key}]}`. */
export interface DiagnosticsJson {
  readonly diagnostics: readonly Diagnostic[];
}

export function diagnosticsToJson(diagnostics: readonly Diagnostic[]): DiagnosticsJson {
  // Rebuild each entry so the key order is the contract's and no stray fields leak out.
  return {
    diagnostics: sortDiagnostics(diagnostics).map((d) => ({
      code: d.code,
      severity: d.severity,
      message: d.message,
      hint: d.hint,
      file: d.file,
      line: d.line,
      column: d.column,
      object: { kind: d.object.kind, namespace: d.object.namespace, name: d.object.name },
      key: d.key,
    })),
  };
}

export function renderDiagnosticsJson(diagnostics: readonly Diagnostic[]): string {
  return JSON.stringify(diagnosticsToJson(diagnostics), null, 2) + '\n';
}
