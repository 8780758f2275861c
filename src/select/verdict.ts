/** The answer of a selection predicate: it applies, or it does not and here is why (one sentence). */
export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };
