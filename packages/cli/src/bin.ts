import { run } from './program.js';

// `roomkey serve` keeps running: its own shutdown sets the exit code.
const code = await run(process.argv.slice(2));
if (code !== 0) process.exitCode = code;
