// Entry point for the Pulumi CLI (`pulumi up` in this directory, see Pulumi.yaml): the same inline program the
// Automation API runs. The nodejs language host calls the default export and uses its result as stack outputs.
import { discoveryProgram } from './program.js';

export default discoveryProgram();
