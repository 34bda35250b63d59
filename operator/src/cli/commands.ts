// The `discovery` subcommands: registering one is one line here (its module exports `command: CliCommand`).
import type { CliCommand } from './command.js';
import { command as gantt } from './gantt.js';
import { command as graph } from './graph.js';
import { command as plan } from './plan.js';
import { command as render } from './render.js';

export const COMMANDS: Readonly<Record<string, CliCommand>> = { gantt, graph, plan, render };
