export * from './errors.js';
export * from './digest.js';
export * from './reference.js';
export * from './short-name.js';
export * from './host-form.js';
