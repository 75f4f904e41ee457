#!/usr/bin/env node
/**
 * Preflight of `npm test` and `npm run synth`: on a Node.js older than 22, one line saying so and
 * how to get Node 22, exit 1, instead of a crash deep inside (aws-local-stepfunctions needs
 * `Promise.withResolvers`, the AWS SDK drops old Node versions). CommonJS, no dependencies and
 * nothing newer than Node 18 can run, so it runs on the Node it is about to refuse.
 */
'use strict';

/** The major version the project needs (package.json `engines.node`; a test keeps them equal). */
const REQUIRED_MAJOR = 22;

/** The one-line problem with running on Node `version` (e.g. "20.19.0"), or undefined when it is new enough. */
function nodeVersionProblem(version, execPath) {
  const major = Number(String(version).split('.')[0]);
  if (Number.isInteger(major) && major >= REQUIRED_MAJOR) return undefined;
  return (
    `needs Node ${REQUIRED_MAJOR} or later, this is Node ${version}${execPath ? ` (${execPath})` : ''}: ` +
    'run `source scripts/use-node22.sh` in this shell first (it installs Node 22 into .tools/ on first use and puts it on PATH)'
  );
}

if (require.main === module) {
  const problem = nodeVersionProblem(process.versions.node, process.execPath);
  if (problem) {
    process.stderr.write(`error: ${problem}\n`);
    process.exit(1);
  }
}

module.exports = { REQUIRED_MAJOR, nodeVersionProblem };
