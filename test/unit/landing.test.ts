import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activitySection } from '../../src/http/activity-view.js';
import { landingPage, type LandingInfo } from '../../src/http/landing.js';
import { RecentActivity } from '../../src/metrics/recent-activity.js';
import { facts } from '../support/facts.js';

const info: LandingInfo = {
  version: '1',
  telemetryPath: '/metrics',
  state: 'consuming',
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
  const html = activitySection(a.summary());
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
