// `ldc`: one file per verb (cli/<verb>.ts), each exporting `register(program)`.
// Exit codes (README.md "Exit codes"): 0 success/valid, 1 violation or failed drill, 2 bad input or could
// not run (one line on stderr naming the field), 3 unknown (a check ran out of time).
import { Command, CommanderError } from "commander";
import { CliError } from "./errors.js";

const VERBS = ["sim", "start", "drill", "rehearse", "check", "swarm", "toxiproxy", "bench"] as const;

async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name("ldc")
    .description("Multi-region unitized (LDC) payment-ledger simulator and controller")
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .showHelpAfterError(false);
  // Load only the verb being run (fast start, and one verb's heavy imports never break another);
  // load them all for `ldc --help` and unknown verbs.
  const invoked = argv[2];
  const verbs = VERBS.find((verb) => verb === invoked) ? [invoked as (typeof VERBS)[number]] : VERBS;
  for (const verb of verbs) {
    let module: { register(program: Command): void };
    try {
      module = (await import(`./${verb}.ts`)) as { register(program: Command): void };
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && String(error).includes(`/cli/${verb}.ts`)) continue;
      throw error;
    }
    module.register(program);
  }
  await program.parseAsync(argv);
}

main(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Help and version are not errors; every other commander complaint is bad input.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0) process.exit(0);
    process.exit(2);
  }
  if (error instanceof CliError) {
    process.stderr.write(`ldc: ${error.message.split("\n")[0]}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(`ldc: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(2);
});
