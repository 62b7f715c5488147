import { after, before } from 'node:test';
import { TestBroker } from './broker.js';
import { createVhost, type Vhost } from './rabbitmq.js';

export { createVhost, declaredArguments, listExchanges, listQueues, rabbitmqctl, type Vhost } from './rabbitmq.js';

/**
 * For a describe(): before its tests, a fresh vhost and a TestBroker connected to it;
 * after them, both removed. Read them through the returned object once the tests run
 * (a test that kills the broker may replace `broker`; the new one is closed instead).
 */
export function suiteVhost(): { readonly vhost: Vhost; broker: TestBroker } {
  const suite = {} as { vhost: Vhost; broker: TestBroker };
  before(async () => {
    suite.vhost = await createVhost();
    suite.broker = await TestBroker.open(suite.vhost.url);
  });
  after(async () => {
    await suite.broker?.close();
    await suite.vhost?.remove();
  });
  return suite;
}
