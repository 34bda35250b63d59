// Command line over the Automation API, for running the Discovery program offline with the locally built tools:
//   npx tsx pulumi/cli.ts up|preview|refresh|destroy|outputs [--stack NAME] [--config FILE.json] [--state DIR]
// --config takes a JSON object of `discovery:*` keys without the prefix (see docs/pulumi.md); it is stored in the
// stack, so later commands reuse it.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { RawDiscoveryConfig } from './config.js';
import { defaultStateDir, discoveryStack } from './automation.js';

const USAGE =
  'usage: tsx pulumi/cli.ts up|preview|refresh|destroy|outputs [--stack NAME] [--config FILE.json] [--state DIR]';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stack: { type: 'string', default: 'dev' },
      config: { type: 'string' },
      state: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command || !['up', 'preview', 'refresh', 'destroy', 'outputs'].includes(command)) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const config = values.config ? (JSON.parse(readFileSync(values.config, 'utf8')) as RawDiscoveryConfig) : undefined;
  const stateDir = values.state ?? defaultStateDir();
  const stack = await discoveryStack({ stackName: values.stack, stateDir, config });
  const onOutput = (s: string) => process.stdout.write(s);
  switch (command) {
    case 'up':
      await stack.up({ onOutput });
      break;
    case 'preview':
      await stack.preview({ onOutput });
      break;
    case 'refresh':
      await stack.refresh({ onOutput });
      break;
    case 'destroy':
      await stack.destroy({ onOutput });
      return 0;
  }
  const outputs = await stack.outputs();
  const plain = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? '[secret]' : v.value]));
  console.log(JSON.stringify(plain, null, 2));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  },
);
