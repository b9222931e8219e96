/**
 * A value declared after what needs it: `value` is a promise `resolve` fulfils. Pulumi awaits a
 * promise in `dependsOn` before it registers the resource, so a resource declared early can still
 * wait for resources the program declares later (the apex record for the web hosts' containers).
 */
export interface Later<T> {
  readonly value: Promise<T>;
  resolve(value: T): void;
}

export function later<T>(): Later<T> {
  let settle: ((value: T) => void) | undefined;
  const value = new Promise<T>((resolve) => {
    settle = resolve;
  });
  return {
    value,
    resolve(v: T) {
      (settle as (value: T) => void)(v);
    },
  };
}
