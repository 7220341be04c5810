// What PQCONNECT_TEST_WORKER names in the hostile-worker tests: root runs compiled, with
// plain node, so the fake worker (TypeScript) registers the tsx loader itself first.
import { register } from 'tsx/esm/api';

register();
await import('./hostile-worker.ts');
