// Entry point for `pulumi up`: it only wires. See stacks/ for what each stack declares.
import { runStack } from "./stacks";

export = runStack();
