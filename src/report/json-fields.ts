/**
 * JSON outputs are built from one ordered key list per object. The list is checked against the
 * object's type: a field added to the type but not to the list is a type error, so a new field
 * cannot silently vanish from the output (and the schema test checks the list against
 * schemas/*.schema.json, so it cannot vanish from the schema either).
 */

/** `K` names every key of `T`: otherwise the argument's type asks for the missing ones. */
type Covers<T, K extends readonly PropertyKey[]> = [Exclude<keyof T, K[number]>] extends [never] ? unknown : { readonly missingKeys: Exclude<keyof T, K[number]> };

/**
 * `fieldOrder<T>()(['a', 'b'])`: the output order of `T`'s fields; it must list every key of `T`.
 * (Curried so `T` is given and the key tuple is inferred.)
 */
export function fieldOrder<T>(): <const K extends readonly (keyof T & string)[]>(keys: K & Covers<T, K>) => K {
  return (keys) => keys;
}

/**
 * The object's fields in the list's order. An optional field that is undefined is left out (as
 * JSON.stringify would); every other field is always present, null included.
 */
export function pickInOrder<T extends object>(value: T, keys: readonly (keyof T & string)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = value[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}
