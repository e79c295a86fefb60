import { join } from 'node:path';
import { formatFiles, generateFiles, getProjects, names, updateJson } from '@nx/devkit';
import type { GeneratorCallback, Tree } from '@nx/devkit';
import { topics as teamTopics } from '@zmq-mq/contracts';
import { DEFAULT_INGRESS, DEFAULT_PUBLISH, DEFAULT_PUSH, OptionError } from '@zmq-mq/protocol';
import type { ServiceGeneratorSchema } from './schema';

/** The roles a service can have, and the broker socket each one connects to. */
export const ROLES = {
  producer: {
    socket: 'ingress',
    variable: 'ZMQMQ_INGRESS',
    fallback: 'DEFAULT_INGRESS',
    defaultEndpoint: DEFAULT_INGRESS,
    work: "`next()` gives the bodies it sends: the contract's examples until it has its own source.",
  },
  subscriber: {
    socket: 'publish',
    variable: 'ZMQMQ_PUBLISH',
    fallback: 'DEFAULT_PUBLISH',
    defaultEndpoint: DEFAULT_PUBLISH,
    work: '`handle()` is its work on each message (it prints a JSON line until then).',
  },
  worker: {
    socket: 'push',
    variable: 'ZMQMQ_PUSH',
    fallback: 'DEFAULT_PUSH',
    defaultEndpoint: DEFAULT_PUSH,
    work: '`handle()` is its work on each item (it prints a JSON line until then).',
  },
} as const;

const NAME = /^[a-z][a-z0-9-]*$/;

/** The options checked; throws `OptionError` naming the option and the value. */
function checkOptions(
  tree: Tree,
  schema: ServiceGeneratorSchema,
): Required<ServiceGeneratorSchema> {
  const { name, role } = schema;
  const prefix = schema.topics ?? '';
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new OptionError(
      'name',
      name,
      'must be lower case letters, digits and dashes, from a letter',
    );
  }
  if (getProjects(tree).has(name) || tree.exists(`apps/${name}`)) {
    throw new OptionError('name', name, `is taken: a project or apps/${name} exists`);
  }
  if (!Object.hasOwn(ROLES, role)) {
    throw new OptionError('--role', role, `must be one of ${Object.keys(ROLES).join(', ')}`);
  }
  const known = Object.keys(teamTopics);
  if (!known.some((t) => t.startsWith(prefix))) {
    throw new OptionError(
      '--topics',
      prefix,
      `is the prefix of no topic in libs/contracts (${known.join(', ')})`,
    );
  }
  return { name, role, topics: prefix };
}

/**
 * `nx g @zmq-mq/tools:service NAME --role producer|subscriber|worker [--topics PREFIX]`:
 * apps/NAME, a service of the team's topics under PREFIX (libs/contracts) on the SDK, with its
 * test against the built broker, a build into the same self-contained deploy folder as the
 * other apps (tools/scripts/build-app.mjs), and a README.
 */
export default async function serviceGenerator(
  tree: Tree,
  schema: ServiceGeneratorSchema,
): Promise<GeneratorCallback> {
  const { name, role, topics: prefix } = checkOptions(tree, schema);
  const root = `apps/${name}`;
  const port = new URL(ROLES[role].defaultEndpoint.replace('tcp:', 'http:')).port;
  const values = {
    ...ROLES[role],
    name,
    role,
    prefix,
    port,
    className: names(name).className,
    item: role === 'worker' ? 'work item' : 'message',
    tmpl: '',
  };
  generateFiles(tree, join(__dirname, 'files', 'common'), root, values);
  generateFiles(tree, join(__dirname, 'files', role), root, values);
  if (role !== 'producer') generateFiles(tree, join(__dirname, 'files', 'receiver'), root, values);
  updateJson(tree, 'tsconfig.json', (json: { references?: { path: string }[] }) => {
    json.references = [...(json.references ?? []), { path: `./${root}` }];
    return json;
  });
  await formatFiles(tree);
  return () => {
    console.log(
      `\n${root}: a ${role} of ${prefix === '' ? 'every topic' : `the topics under ${prefix}`} ` +
        `in libs/contracts.\n  npx nx test ${name}    runs it against a broker\n` +
        `  npx nx build ${name}   dist/${root}, deployable alone (see ${root}/README.md)\n`,
    );
  };
}
