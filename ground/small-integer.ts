/**
 * The same number, as a small integer when it is one (not -0). V8 keeps a number computed as a
 * double (read from a Float64Array, a `>>> 0` past 2^31, a `%` of one) as a heap number even when
 * it is an exact integer, and an object field that first held one is boxed ("Double" field
 * representation) for every object of its shape: 16 bytes more per field, and an allocation per
 * store. Amounts, times and balances are integers; passing them through this keeps them inline
 * (docs/BENCHMARKS.md, sessions 6 and 8). Values above 2^31 - 1 stay heap numbers.
 */
export function smallIntegerIfExact(value: number): number {
  const integer = value | 0;
  return integer === value && (integer !== 0 || !Object.is(value, -0)) ? integer : value;
}
