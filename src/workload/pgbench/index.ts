/**
 * Workload domain (pure): pgbench custom scripts for perfbench: parse (with refusals that name the
 * line and the reason), plan one execution deterministically, choose among weighted scripts, and
 * pgbench's built-in scripts. No I/O: the use case reads files, loads \pb_from values and runs the
 * steps.
 */
export { BUILTIN_SCRIPT_NAMES, BUILTIN_SCRIPT_TEXT, builtinScript, isBuiltinScriptName, type BuiltinScriptName } from './builtin.js';
export { pbFromSampler, type PbFromSample } from './pb-from.js';
export { checkScriptVariables, chooseScript, defaultSeed, parseDefine, parseScriptSpec, planExecution, type PlanContext, type Step } from './plan.js';
export { ScriptError, type ScriptErrorPhase } from './script-error.js';
export { hasSleep, parseScript, servedStatementName, statementSignature, type Command, type IfBranch, type PbFromSource, type Script, type ScriptSource, type ScriptStatement, type SleepUnit } from './script.js';
export type { AccessClass, StatementAccess } from './statement-access.js';
