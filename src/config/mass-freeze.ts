/**
 * The mass-freeze policy file (`mass_freeze.yaml`, beside the main config): how
 * `mass_freeze`, `mass_freeze_top` and `mass_freeze_cluster:<name>` choose processes.
 * Strict like the main config: unknown keys are errors.
 */
import type * as t from 'io-ts';
import { getOrElse } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError } from '../errors.js';
import { ms, timerDuration } from './duration.js';
import { struct, withDefault, list, dict } from './struct.js';
import { bool, nonNegative, oneOf, positiveCount, text } from './scalars.js';
import { formatErrors } from './error-paths.js';
import { parseYaml } from './parse-yaml.js';
import { readConfigFile } from './read-config-file.js';

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
        /** manual: cluster name → process-name substrings */
        definitions: withDefault(dict(list(text, 'a list of process names'), 'a mapping of cluster names to process names'), () => ({})),
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
export const unknownClusterProblems = (monitors: readonly { actions: readonly string[] }[], policy: MassFreezePolicy): string[] => {
  const known = new Set([...Object.keys(policy.cluster.definitions), ...Object.keys(policy.cluster.service_aliases)]);
  const problems: string[] = [];
  monitors.forEach((m, i) =>
    m.actions.forEach((a, j) => {
      const name = /^mass_freeze_cluster:(.+)$/.exec(a)?.[1];
      if (name !== undefined && !known.has(name))
        problems.push(`monitors[${i}].actions[${j}]: cluster "${name}" is not defined in the mass-freeze policy (have: ${[...known].join(', ') || 'none'})`);
    }),
  );
  return problems;
};
