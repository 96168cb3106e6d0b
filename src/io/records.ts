/**
 * Sets `key` as an own, enumerable property. Plain assignment would treat the key '__proto__'
 * as the prototype setter, so a tensor or metadata entry of that name read from a file would
 * vanish (and on save, be left out of the header): file readers and writers use this instead.
 * @example setOwn(tensors, '__proto__', t); Object.keys(tensors) // ['__proto__']
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
