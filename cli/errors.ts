/** An error the CLI reports as one line on stderr with a given exit code (2: bad input). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 2,
  ) {
    super(message);
  }
}

/** Bad input: names the field and the expected form. */
export function badInput(field: string, expected: string, got?: unknown): CliError {
  const shown = got === undefined ? "" : `, got ${JSON.stringify(got)}`;
  return new CliError(`${field}: expected ${expected}${shown}`, 2);
}

export function parseSeed(text: string | undefined, fallback = 1): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw badInput("--seed", "a non-negative integer", text);
  return Number(text);
}
