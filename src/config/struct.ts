/**
 * The config's object combinators. io-ts `exact`/`strict` drop unknown keys silently,
 * so a typo (`treshold:`) would disable a rule without a word; `struct` rejects every
 * unknown key instead, with a "did you mean" hint, and fills defaults so the decoded
 * config is complete. `list` and `dict` mark their context entries so error paths read
 * `monitors[2].threshold` and `custom_metrics.redis.timeout`.
 */
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { suggest } from './suggest.js';

/** Field that may be absent (or YAML `null`): decodes to undefined. */
export class OptionalType<C extends t.Mixed> extends t.Type<t.TypeOf<C> | undefined, unknown, unknown> {
  readonly _optional = true as const;
  constructor(readonly inner: C) {
    super(
      inner.name,
      (u): u is t.TypeOf<C> | undefined => u === undefined || inner.is(u),
      (u, c) => (u === undefined || u === null ? t.success(undefined) : inner.validate(u, c)),
      (a) => (a === undefined ? undefined : inner.encode(a)),
    );
    inheritListMark(inner, this);
  }
}

/** Marks a codec's children as list items (`[i]`) for the error reporter. */
export const LIST = Symbol('list');

/** Wrappers pass the inner codec's context through, so they carry its list mark too. */
const inheritListMark = (from: t.Mixed, to: object): void => {
  if ((from as unknown as Record<symbol, unknown>)[LIST]) (to as Record<symbol, unknown>)[LIST] = true;
};

/** An optional field: absent or null → undefined. */
export const optional = <C extends t.Mixed>(codec: C): OptionalType<C> => new OptionalType(codec);

/** A field with a default: absent or null → `fallback()` (a function so objects are fresh). */
export const withDefault = <C extends t.Mixed>(codec: C, fallback: t.TypeOf<C> | (() => t.TypeOf<C>)): t.Type<t.TypeOf<C>, unknown, unknown> => {
  const wrapper = new t.Type<t.TypeOf<C>, unknown, unknown>(
    codec.name,
    codec.is,
    (u, c) =>
      u === undefined || u === null
        ? t.success(typeof fallback === 'function' ? (fallback as () => t.TypeOf<C>)() : fallback)
        : codec.validate(u, c),
    codec.encode,
  );
  inheritListMark(codec, wrapper);
  return wrapper;
};

type Props = Record<string, t.Mixed>;
type OptionalKeys<P extends Props> = { [K in keyof P]: P[K] extends OptionalType<t.Mixed> ? K : never }[keyof P];
type Flatten<T> = { [K in keyof T]: T[K] } & {};
/** The decoded type of a struct: optional fields as `k?: T`, all others present. */
export type StructOf<P extends Props> = Flatten<
  { [K in Exclude<keyof P, OptionalKeys<P>>]: t.TypeOf<P[K]> } & { [K in OptionalKeys<P>]?: t.TypeOf<P[K]> }
>;

export const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

const unknownKey = new t.Type<never>('no such key', (_): _ is never => false, (u, c) => t.failure(u, c), () => undefined as never);

export const unknownKeyMessage = (key: string, known: string[]): string => {
  const hint = suggest(key, known);
  return hint ? `unknown key (did you mean "${hint}"?)` : `unknown key (expected one of: ${known.join(', ')})`;
};

/**
 * A strict object: every prop validated (all errors collected), unknown keys rejected.
 * `name` is what an error says was expected when the value is not an object at all.
 */
export const struct = <P extends Props>(props: P, name = 'a mapping of keys'): t.Type<StructOf<P>, unknown, unknown> & { props: P } => {
  const keys = Object.keys(props);
  const codec = new t.Type<StructOf<P>, unknown, unknown>(
    name,
    (u): u is StructOf<P> => isPlainObject(u),
    (u, c) => {
      if (!isPlainObject(u)) return t.failure(u, c);
      const errors: t.Errors = [];
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        const codecK = props[k]!;
        const r = codecK.validate(u[k], t.appendContext(c, k, codecK, u[k]));
        if (isLeft(r)) for (const e of r.left) errors.push(e);
        else if (r.right !== undefined) out[k] = r.right;
      }
      const typoOf = new Set<string>();
      for (const k of Object.keys(u)) {
        if (Object.prototype.hasOwnProperty.call(props, k)) continue;
        const hint = suggest(k, keys);
        if (hint !== undefined && u[hint] === undefined) typoOf.add(hint);
        errors.push({ value: u[k], context: t.appendContext(c, k, unknownKey, u[k]), message: unknownKeyMessage(k, keys) });
      }
      // `treshold: 90` already says it all: drop the "threshold: missing" it causes.
      const kept = typoOf.size === 0 ? errors : errors.filter((e) => !(e.value === undefined && e.context.length === c.length + 1 && typoOf.has(e.context[c.length]!.key)));
      return kept.length > 0 ? t.failures(kept) : t.success(out as StructOf<P>);
    },
    // Encoding maps each field through its codec: durations go back to "5s" strings.
    (a) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(a as Record<string, unknown>)) {
        if (v === undefined) continue;
        out[k] = Object.prototype.hasOwnProperty.call(props, k) ? props[k]!.encode(v) : v;
      }
      return out;
    },
  );
  return Object.assign(codec, { props });
};

/** A YAML sequence of `item`; an absent list is an error unless wrapped in withDefault. */
export const list = <C extends t.Mixed>(item: C, name = `a list of ${item.name}`): t.Type<t.TypeOf<C>[], unknown, unknown> =>
  Object.assign(
    new t.Type<t.TypeOf<C>[], unknown, unknown>(
      name,
      (u): u is t.TypeOf<C>[] => Array.isArray(u),
      (u, c) => {
        if (!Array.isArray(u)) return t.failure(u, c);
        const errors: t.Errors = [];
        const out: t.TypeOf<C>[] = [];
        u.forEach((v, i) => {
          const r = item.validate(v, t.appendContext(c, String(i), item, v));
          if (isLeft(r)) for (const e of r.left) errors.push(e);
          else out.push(r.right);
        });
        return errors.length > 0 ? t.failures(errors) : t.success(out);
      },
      (a) => a.map((x) => item.encode(x)),
    ),
    { [LIST]: true },
  );

/** A mapping from operator-chosen names to `value` (custom_metrics, actions, ...). */
export const dict = <C extends t.Mixed>(value: C, name = `a mapping of names to ${value.name}`): t.Type<Record<string, t.TypeOf<C>>, unknown, unknown> =>
  new t.Type<Record<string, t.TypeOf<C>>, unknown, unknown>(
    name,
    (u): u is Record<string, t.TypeOf<C>> => isPlainObject(u),
    (u, c) => {
      if (!isPlainObject(u)) return t.failure(u, c);
      const errors: t.Errors = [];
      const out: Record<string, t.TypeOf<C>> = {};
      for (const [k, v] of Object.entries(u)) {
        const r = value.validate(v, t.appendContext(c, k, value, v));
        if (isLeft(r)) for (const e of r.left) errors.push(e);
        else out[k] = r.right;
      }
      return errors.length > 0 ? t.failures(errors) : t.success(out);
    },
    (a) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, value.encode(v)])),
  );
