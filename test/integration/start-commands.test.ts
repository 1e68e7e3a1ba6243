// The README's start command (`npm start`) and the Dockerfile's ENTRYPOINT +
// CMD run the same thing; no Docker engine runs here, so both are run as the
// container would run them, from the repository root (the image's /app).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runNode } from '../helpers/cli.js';

function dockerfileCommand(): string[] {
  const text = readFileSync('Dockerfile', 'utf8');
  const exec = (instruction: string): string[] => {
    const line = text.split('\n').find((l) => l.startsWith(`${instruction} [`));
    if (!line) throw new Error(`Dockerfile has no exec-form ${instruction}`);
    return JSON.parse(line.slice(instruction.length + 1)) as string[];
  };
  return [...exec('ENTRYPOINT'), ...exec('CMD')];
}

function npmStartCommand(): string[] {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  return (pkg.scripts.start ?? '').split(' ');
}

describe('start commands', () => {
  it('npm start and the Dockerfile run the same command', () => {
    expect(npmStartCommand()).toEqual(dockerfileCommand());
  });

  it('the Dockerfile command resolves the bundled example rules', () => {
    const [node, ...args] = dockerfileCommand();
    expect(node).toBe('node');
    const result = runNode(args);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('registry.internal.example:5000/openshift/release-images@sha256:');
    expect(result.stdout).toContain('2 endpoints will be tried in this order.');
  });
});
