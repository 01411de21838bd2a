/**
 * Orders strings by Unicode code point, which is also the byte order of their UTF-8 encoding and
 * so the order etcd (and most key-value stores) list keys in. JavaScript's default sort compares
 * UTF-16 code units, which puts U+E000–U+FFFF after astral characters (emoji) and so disagrees.
 */
export function compareCodePoints(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const diff = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (diff !== 0) return diff;
  }
}
