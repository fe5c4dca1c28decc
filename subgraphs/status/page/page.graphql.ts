import type { StatusIncident } from '../../../generated/prisma/client.js';
import { legacyEnum } from '../../kernel/builder.js';
import { builder } from '../builder.js';
import {
  INCIDENT_STATES,
  type IncidentInput,
  openIncident,
  SERVICES,
  SEVERITIES,
  type StatusPage,
  statusPage,
  statusRss,
  updateIncident,
} from './page.service.js';

const IncidentSeverity = legacyEnum(
  builder,
  'IncidentSeverity',
  SEVERITIES,
  'How bad: major, minor, maintenance.',
);
const IncidentState = legacyEnum(
  builder,
  'IncidentState',
  INCIDENT_STATES,
  'Where it is: investigating, identified, monitoring, resolved.',
);

export const StatusIncidentRef = builder.objectRef<StatusIncident>('StatusIncident').implement({
  description: 'An incident on the public status page.',
  fields: (t) => ({
    incidentId: t.exposeID('id', { description: 'Incident id (UUID).' }),
    service: t.exposeString('service', { description: 'The service it hits.' }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime', description: 'When it began.' }),
    impact: t.exposeString('impact', { description: 'What users see.' }),
    state: t.field({
      type: IncidentState,
      description: 'Where it is.',
      resolve: (i) => i.state as (typeof INCIDENT_STATES)[number],
    }),
    severity: t.field({
      type: IncidentSeverity,
      description: 'How bad it is.',
      resolve: (i) => i.severity as (typeof SEVERITIES)[number],
    }),
    resolvedAt: t.expose('resolvedAt', { type: 'DateTime', nullable: true, description: 'When it ended.' }),
  }),
});

type Service = StatusPage['services'][number];
type Metric = StatusPage['uptimeMetrics'][number];

const ServiceStatusRef = builder.objectRef<Service>('ServiceStatus').implement({
  description: 'One service of the page.',
  fields: (t) => ({
    name: t.exposeString('name', { description: `One of ${SERVICES.map((s) => s.name).join(', ')}.` }),
    status: t.exposeString('status', {
      description: '`operational`, or its worst open incident’s: `major_outage`, `degraded`, `maintenance`.',
    }),
    description: t.exposeString('description', { description: 'What it covers.' }),
    owner: t.exposeString('owner', { description: 'Who runs it.' }),
    lastIncidentAt: t.expose('lastIncidentAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Its latest incident of the last 90 days.',
    }),
  }),
});

const UptimeMetricRef = builder.objectRef<Metric>('UptimeMetric').implement({
  description: 'A figure of the page, counted from the incidents.',
  fields: (t) => ({
    label: t.exposeString('label', { description: 'What it counts.' }),
    value: t.exposeString('value', { description: 'The figure.' }),
    helperText: t.exposeString('helperText', { description: 'A line about it.' }),
    trendValue: t.exposeString('trendValue', { description: 'A short trend label.' }),
    trendTone: t.exposeString('trendTone', { description: '`positive`, `neutral` or `negative`.' }),
  }),
});

const StatusOverviewRef = builder.objectRef<StatusPage['overview']>('StatusOverview').implement({
  description: 'The page’s headline.',
  fields: (t) => ({
    state: t.exposeString('state', {
      description: '“All systems operational”, or how many incidents are open.',
    }),
    description: t.exposeString('description', { description: 'The open incidents, or that all is well.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'The latest incident change.' }),
  }),
});

const PlatformStatusRef = builder.objectRef<StatusPage>('PlatformStatus').implement({
  description: 'The public status page.',
  fields: (t) => ({
    generatedAt: t.expose('generatedAt', { type: 'DateTime', description: 'When it was computed.' }),
    overview: t.field({ type: StatusOverviewRef, description: 'The headline.', resolve: (p) => p.overview }),
    services: t.field({ type: [ServiceStatusRef], description: 'Each service.', resolve: (p) => p.services }),
    incidents: t.field({
      type: [StatusIncidentRef],
      description: 'Incidents of the last 90 days, newest first (at most 20).',
      resolve: (p) => p.incidents,
    }),
    uptimeMetrics: t.field({
      type: [UptimeMetricRef],
      description: 'Figures.',
      resolve: (p) => p.uptimeMetrics,
    }),
  }),
});

builder.queryField('platformStatus', (t) =>
  t.field({
    type: PlatformStatusRef,
    description: 'The public status page, computed from the incidents operators record. No credential.',
    authScopes: { public: true },
    resolve: (_root, _args, ctx) => statusPage(ctx),
  }),
);

builder.queryField('platformStatusRss', (t) =>
  t.string({
    description: 'The status page’s incidents as an RSS 2.0 document. No credential.',
    authScopes: { public: true },
    resolve: (_root, _args, ctx) => statusRss(ctx),
  }),
);

const OpenIncidentInput = builder.inputType('OpenStatusIncidentInput', {
  description: 'A new incident.',
  fields: (t) => ({
    service: t.string({ required: true, description: `One of ${SERVICES.map((s) => s.name).join(', ')}.` }),
    impact: t.string({ required: true, description: 'What users see (1–500 characters).' }),
    severity: t.field({ type: IncidentSeverity, required: true, description: 'How bad.' }),
    state: t.field({ type: IncidentState, description: 'Default investigating.' }),
    occurredAt: t.field({ type: 'DateTime', description: 'When it began (default now).' }),
  }),
});

const UpdateIncidentInput = builder.inputType('UpdateStatusIncidentInput', {
  description: 'What changed.',
  fields: (t) => ({
    impact: t.string({ description: 'What users see now.' }),
    severity: t.field({ type: IncidentSeverity, description: 'How bad now.' }),
    state: t.field({ type: IncidentState, description: 'Where it is now (resolved stamps resolvedAt).' }),
  }),
});

builder.mutationField('openStatusIncident', (t) =>
  t.field({
    type: StatusIncidentRef,
    description: 'Puts an incident on the status page (platform operators).',
    authScopes: { scope: 'status:manage' },
    args: { input: t.arg({ type: OpenIncidentInput, required: true, description: 'The incident.' }) },
    resolve: (_root, { input }, ctx) => openIncident(ctx, input as IncidentInput),
  }),
);

builder.mutationField('updateStatusIncident', (t) =>
  t.field({
    type: StatusIncidentRef,
    description: 'Moves an incident on (platform operators).',
    authScopes: { scope: 'status:manage' },
    args: {
      incidentId: t.arg.id({ required: true, description: 'Incident id (UUID).' }),
      input: t.arg({ type: UpdateIncidentInput, required: true, description: 'What changed.' }),
    },
    resolve: (_root, { incidentId, input }, ctx) => updateIncident(ctx, String(incidentId), input),
  }),
);
