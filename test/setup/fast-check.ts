// Property tests explore new inputs on every local run (fast-check prints the seed of a failure,
// FC_SEED=<seed> replays it), while CI runs one fixed seed, so a landing is judged on a
// reproducible run and a new counterexample shows up on a developer's machine first.
import fc from 'fast-check';

const fixed = process.env.FC_SEED ?? (process.env.CI ? '20261123' : undefined);
if (fixed !== undefined) fc.configureGlobal({ seed: Number(fixed) });
