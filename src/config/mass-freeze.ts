/**
 * The mass-freeze policy file (`mass_freeze.yaml`, beside the main config): how
 * `mass_freeze`, `mass_freeze_top` and `mass_freeze_cluster:<name>` choose processes.
 * Strict like the main config: unknown keys are errors.
 */
import * as t from 'io-ts';
import { getOrElse } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError } from '../errors.js';
import { ms, timerDuration } from './duration.js';
import { struct, withDefault, list, dict, optional } from './struct.js';
import { bool, nonNegative, oneOf, positiveCount, regex, text } from './scalars.js';
import { formatErrors } from './error-paths.js';
import { parseYaml } from './parse-yaml.js';
import { readConfigFile } from './read-config-file.js';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A cluster as a selector (our extension): every key given must match (AND); `names`
 * matches when the process name contains one of them (like the compat list form).
 */
export const ClusterSelector = struct(
  {
    /** the process name (or argv[0]'s base name) contains one of these */
    names: optional(list(text, 'a list of process names')),
    /** tested on the process name (comm, at most 15 characters) and argv[0]'s base name */
    name_regex: optional(regex),
    /** tested on the full command line (arguments joined by spaces) */
    cmdline_regex: optional(regex),
    /** the process's real user is one of these (names or numeric uids) */
    users: optional(list(text, 'a list of user names')),
    /** the process's cgroup path (v2, or any v1 controller's) contains this, e.g. nginx.service */
    cgroup: optional(text),
  },
  'a list of process names, or a mapping of names, name_regex, cmdline_regex, users, cgroup',
);
export type ClusterSelector = t.TypeOf<typeof ClusterSelector>;

/** The compat form (a list of names) or a selector, decoded to a selector. */
const clusterDefinition = new t.Type<ClusterSelector, unknown, unknown>(
  ClusterSelector.name,
  (u): u is ClusterSelector => typeof u === 'object' && u !== null,
  (u, c) => {
    if (Array.isArray(u)) {
      const names = list(text, 'a list of process names').validate(u, c);
      return names._tag === 'Left' ? names : t.success({ names: names.right });
    }
    const sel = ClusterSelector.validate(u, c);
    if (sel._tag === 'Right' && Object.keys(sel.right).length === 0) return t.failure(u, c, 'a cluster must select something: names, name_regex, cmdline_regex, users or cgroup');
    return sel;
  },
  (a) => a,
);

export const MassFreezePolicy = struct(
  {
    /** all: everything but the whitelist; top_cpu: the top N; cluster: a named group */
    mode: withDefault(oneOf(['all', 'top_cpu', 'cluster'] as const), 'all' as const),
    top_cpu: withDefault(
      struct({
        count: withDefault(positiveCount, 5),
        /** a process below this CPU % is never frozen, even in the top N */
        min_cpu_to_freeze: withDefault(nonNegative, 50),
      }),
      () => ({ count: 5, min_cpu_to_freeze: 50 }),
    ),
    cluster: withDefault(
      struct({
        detection: withDefault(oneOf(['manual', 'cgroup'] as const), 'manual' as const),
        /** cluster name → process-name substrings (compat), or a selector (ClusterSelector) */
        definitions: withDefault(dict(clusterDefinition, 'a mapping of cluster names to process names or selectors'), () => ({})),
        /** cgroup: friendly name → systemd unit */
        service_aliases: withDefault(dict(text, 'a mapping of names to systemd units'), () => ({})),
      }),
      () => ({ detection: 'manual' as const, definitions: {}, service_aliases: {} }),
    ),
    /** never frozen, in every mode (root processes, sshd and PanicMode are always spared too) */
    whitelist_processes: withDefault(list(text, 'a list of process names'), () => []),
    /** the freeze operation's timer (against a hang); 10m of a frozen host is an outage */
    freeze_timeout: withDefault(timerDuration('1s', '10m'), ms(30_000)),
    max_processes_to_freeze: withDefault(positiveCount, 1000),
    dry_run: withDefault(bool, false),
  },
  'a mapping of mass-freeze settings',
);

/** The decoded mass-freeze policy, defaults applied. */
export type MassFreezePolicy = t.TypeOf<typeof MassFreezePolicy>;

/** Decodes mass-freeze policy YAML text; throws ConfigError with every problem. */
export const loadMassFreezePolicyText = (yamlText: string, source = '<mass_freeze>'): MassFreezePolicy => {
  const parsed = parseYaml(yamlText);
  if (parsed.problems.length > 0) throw new ConfigError(parsed.problems, { source });
  return pipe(
    MassFreezePolicy.decode(parsed.value ?? {}),
    getOrElse((errors): MassFreezePolicy => {
      throw new ConfigError(formatErrors(errors), { source });
    }),
  );
};

/** Reads and decodes a mass-freeze policy file. */
export const loadMassFreezePolicyFile = async (path: string): Promise<MassFreezePolicy> =>
  loadMassFreezePolicyText(await readConfigFile(path), path);

/**
 * `mass_freeze_cluster:<name>` actions whose cluster the policy does not define, as
 * problems naming the monitor's action (`monitors[3].actions[0]: ...`).
 */
export const unknownClusterProblems = (monitors: readonly { actions: readonly string[]; enabled?: boolean }[], policy: MassFreezePolicy, enabledOnly = false): string[] => {
  const known = new Set([...Object.keys(policy.cluster.definitions), ...Object.keys(policy.cluster.service_aliases)]);
  const problems: string[] = [];
  monitors.forEach((m, i) =>
    m.actions.forEach((a, j) => {
      if (enabledOnly && m.enabled === false) return;
      const name = /^mass_freeze_cluster:(.+)$/.exec(a)?.[1];
      if (name !== undefined && !known.has(name))
        problems.push(`monitors[${i}].actions[${j}]: cluster "${name}" is not defined in the mass-freeze policy (have: ${[...known].join(', ') || 'none'})`);
    }),
  );
  return problems;
};

/**
 * The selector behind `mass_freeze_cluster:<name>`: a `definitions` entry, or a
 * `service_aliases` unit (its cgroup); `detection` says which table is asked first
 * (manual: definitions; cgroup: aliases). Undefined when neither names it.
 */
export const clusterSelector = (policy: MassFreezePolicy, name: string): ClusterSelector | undefined => {
  const defined = Object.hasOwn(policy.cluster.definitions, name) ? policy.cluster.definitions[name] : undefined;
  const alias = Object.hasOwn(policy.cluster.service_aliases, name) ? { cgroup: policy.cluster.service_aliases[name]! } : undefined;
  return policy.cluster.detection === 'cgroup' ? (alias ?? defined) : (defined ?? alias);
};

/** The policy with every default (no file). */
export const defaultMassFreezePolicy = (): MassFreezePolicy => loadMassFreezePolicyText('');

/** Where `run` looks for the policy: `mass_freeze.yaml` beside the config file. */
export const massFreezePolicyPath = (configPath: string): string => join(dirname(configPath), 'mass_freeze.yaml');

/**
 * The policy `run` acts on: `mass_freeze.yaml` beside the config when it exists, else
 * the defaults (also for the embedded config); every `mass_freeze_cluster:<name>` of
 * the enabled monitors must name one of its clusters (a disabled one never runs, and
 * `check-config --mass-freeze` checks them all). Throws ConfigError naming the place.
 */
export const loadRunMassFreezePolicy = async (configPath: string | null, monitors: readonly { actions: readonly string[]; enabled?: boolean }[]): Promise<MassFreezePolicy> => {
  const path = configPath === null ? null : massFreezePolicyPath(configPath);
  const policy = path !== null && existsSync(path) ? await loadMassFreezePolicyFile(path) : defaultMassFreezePolicy();
  const problems = unknownClusterProblems(monitors, policy, true);
  if (problems.length > 0) throw new ConfigError(problems, { source: `${configPath ?? '<embedded default>'} (with ${path !== null && existsSync(path) ? path : 'no mass_freeze.yaml'})` });
  return policy;
};
