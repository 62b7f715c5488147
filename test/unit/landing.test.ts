import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activitySection, notReadyText } from '../../src/http/activity-view.js';
import { landingPage, type LandingInfo } from '../../src/http/landing.js';
import { RecentActivity } from '../../src/metrics/recent-activity.js';
import { facts } from '../support/facts.js';

const info: LandingInfo = {
  version: '1',
  telemetryPath: '/metrics',
  broker: { state: 'consuming', ready: true, problem: undefined, awaitingExchanges: [], queueType: 'classic' },
  exchanges: ['nova'],
  topics: ['notifications'],
  queue: 'q',
  settings: [],
};

test('the live summary escapes every name it shows', () => {
  const a = new RecentActivity({ now: () => 1_800_000_000 });
  const evil = '<img src=x onerror="alert(1)">';
  a.record(
    facts(
      { eventType: evil, host: evil },
      {
        instanceId: evil,
        host: evil,
        action: undefined,
        phase: undefined,
        state: undefined,
        stateTransition: { from: evil, to: evil },
        taskStateTransition: undefined,
        exception: evil,
        isError: true,
        buildDurationSeconds: undefined,
        isAudit: false,
        requestId: undefined,
      },
    ),
  );
  const html = activitySection(a.summary(), info.broker);
  assert.ok(!html.includes('<img'), html);
  assert.ok(!html.includes('"alert'), html);
  assert.ok(html.includes(`data-name="&#60;img src=x onerror=&#34;alert(1)&#34;&#62;"`));
});

test('the page carries its script only with a summary, and loads nothing from elsewhere', () => {
  assert.doesNotMatch(landingPage(info), /<script/);
  const page = landingPage({ ...info, activity: new RecentActivity({ now: () => 0 }).summary() });
  assert.match(page, /<script>/);
  assert.match(page, /none yet/);
  assert.doesNotMatch(page, /\b(src|href)="(https?:)?\/\//);
});

test('the refreshed section says the broker state and, while not ready, why in one line', () => {
  const summary = new RecentActivity({ now: () => 0 }).summary();
  const refused = 'broker 127.0.0.1:5672 refused the login of user "guest": check the user and password in --amqp.url';
  const down = activitySection(summary, {
    state: 'connecting',
    ready: false,
    problem: refused,
    awaitingExchanges: [],
    queueType: undefined,
  });
  assert.match(
    down,
    /<span class="state" id="state">connecting<\/span> · not ready: <span id="broker-problem">broker 127\.0\.0\.1:5672 refused the login of user &#34;guest&#34;: check the user and password in --amqp\.url<\/span>/,
  );
  const up = activitySection(summary, { state: 'consuming', ready: true, problem: undefined, awaitingExchanges: [], queueType: 'classic' });
  assert.match(up, /<span class="state" id="state">consuming<\/span><\/p>/);
  assert.doesNotMatch(up, /broker-problem/);
  // Not refreshed without a summary, but still said.
  assert.match(
    landingPage({ ...info, broker: { state: 'connecting', ready: false, problem: refused, awaitingExchanges: [], queueType: undefined } }),
    /id="broker-problem">broker 127\.0\.0\.1:5672 refused/,
  );
  assert.match(
    landingPage({
      ...info,
      broker: { state: 'connecting', ready: false, problem: undefined, awaitingExchanges: [], queueType: undefined },
    }),
    /not ready: <span id="broker-problem">connecting to the broker</,
  );
});

test('/-/ready says why in one line', () => {
  assert.equal(
    notReadyText({
      state: 'connecting',
      ready: false,
      problem: 'nothing listens on 127.0.0.1:5672 (is RabbitMQ running?)',
      awaitingExchanges: [],
      queueType: undefined,
    }),
    'Not ready: nothing listens on 127.0.0.1:5672 (is RabbitMQ running?)\n',
  );
  assert.equal(
    notReadyText({ state: 'connecting', ready: false, problem: undefined, awaitingExchanges: [], queueType: undefined }),
    'Not ready: connecting to the broker\n',
  );
});
