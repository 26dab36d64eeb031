import { setFlagsFromString } from 'node:v8';

/**
 * Imported first by main.ts, before anything is allocated in bulk. V8's allocation-site
 * pretenuring, once it has seen a site's objects survive, allocates that site's objects in the
 * old generation from then on; such an object made per request then holds everything it points
 * to through two young collections into the old generation, which only a full collection frees.
 * Off, the young-generation survivors at 1,000 publishes/s fall by a third and a young
 * collection is shorter (bench/README, "What the round's last changes did").
 */
setFlagsFromString('--no-allocation-site-pretenuring');
