/** The fake tools and flows of `tests/fixtures`, as a `PLUGINS` module (default export) for the gateway tests. */
export { fakePlugins as default } from '../../fixtures/fake-plugins.ts';
