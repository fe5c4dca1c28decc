import { z } from 'zod';
import type { StatusIncident } from '../../../generated/prisma/client.js';
import { ForbiddenError, NotFoundError } from '../../kernel/errors.js';
import { parseArgs, requireUuid } from '../../kernel/validation.js';
import { hasScope } from '../../kernel/viewer.js';
import type { StatusCtx } from '../db.js';

/** The services the page reports on: what users of the platform see, not its processes. */
export const SERVICES = [
  { name: 'API', description: 'GraphQL, REST and streams (sign-in, tenants, agents, conversations).' },
  { name: 'Chat', description: 'Agents answering, streamed and not.' },
  { name: 'Knowledge', description: 'File ingest and search.' },
  { name: 'Storage', description: 'Presigned uploads and downloads.' },
  { name: 'Voice', description: 'Voice sessions and phone calls.' },
] as const;
const SERVICE_NAMES = SERVICES.map((s) => s.name) as [string, ...string[]];

export const SEVERITIES = ['major', 'minor', 'maintenance'] as const;
export const INCIDENT_STATES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;

/** An incident's weight on its service's status. */
const SERVICE_STATUS: Record<(typeof SEVERITIES)[number], string> = {
  major: 'major_outage',
  minor: 'degraded',
  maintenance: 'maintenance',
};

/** How far back the page and its feed look. */
const WINDOW_DAYS = 90;
const PAGE_INCIDENTS = 20;

export interface StatusPage {
  generatedAt: Date;
  overview: { state: string; description: string; updatedAt: Date };
  services: {
    name: string;
    status: string;
    description: string;
    owner: string;
    lastIncidentAt: Date | null;
  }[];
  incidents: StatusIncident[];
  uptimeMetrics: {
    label: string;
    value: string;
    helperText: string;
    trendValue: string;
    trendTone: string;
  }[];
}

/** Operators only (`status:manage`): a refused caller is told so (401 without a credential). */
export function assertStatusManager(ctx: StatusCtx): void {
  if (!hasScope(ctx.viewer, 'status:manage')) {
    throw new ForbiddenError('Status management requires the status:manage scope.');
  }
}

async function recentIncidents(ctx: StatusCtx): Promise<StatusIncident[]> {
  return ctx.db.statusIncident.findMany({
    where: { occurredAt: { gte: new Date(Date.now() - WINDOW_DAYS * 86_400_000) } },
    orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
    take: PAGE_INCIDENTS,
  });
}

const days = (ms: number) => Math.floor(ms / 86_400_000);

/**
 * The public page, computed from the incidents: a service with an open incident takes the worst
 * open severity's status, the overview says how many are open, and the metrics count the window.
 */
export async function statusPage(ctx: StatusCtx): Promise<StatusPage> {
  const now = new Date();
  const incidents = await recentIncidents(ctx);
  const open = incidents.filter((i) => i.state !== 'resolved');
  const rank = (s: string) => SEVERITIES.indexOf(s as (typeof SEVERITIES)[number]);
  const services = SERVICES.map((s) => {
    const mine = incidents.filter((i) => i.service === s.name);
    const worst = mine
      .filter((i) => i.state !== 'resolved')
      .sort((a, b) => rank(a.severity) - rank(b.severity))[0];
    return {
      name: s.name,
      status: worst
        ? (SERVICE_STATUS[worst.severity as (typeof SEVERITIES)[number]] ?? 'degraded')
        : 'operational',
      description: s.description,
      owner: 'Platform',
      lastIncidentAt: mine[0]?.occurredAt ?? null,
    };
  });
  const last = incidents[0];
  const latest = incidents.reduce<Date | null>((t, i) => (!t || i.updatedAt > t ? i.updatedAt : t), null);
  const majors = incidents.filter((i) => i.severity === 'major').length;
  return {
    generatedAt: now,
    overview: {
      state:
        open.length === 0
          ? 'All systems operational'
          : `${open.length} open incident${open.length > 1 ? 's' : ''}`,
      description:
        open.length === 0
          ? 'Every service is working normally.'
          : open.map((i) => `${i.service}: ${i.impact}`).join(' · '),
      updatedAt: latest ?? now,
    },
    services,
    incidents,
    uptimeMetrics: [
      {
        label: 'Open incidents',
        value: String(open.length),
        helperText: 'Not resolved yet.',
        trendValue: open.length ? 'investigating' : 'none',
        trendTone: open.length ? 'negative' : 'positive',
      },
      {
        label: `Incidents, last ${WINDOW_DAYS} days`,
        value: String(incidents.length),
        helperText: `${majors} major.`,
        trendValue: `${majors} major`,
        trendTone: majors ? 'negative' : 'neutral',
      },
      {
        label: 'Days since the last incident',
        value: last ? String(days(now.getTime() - last.occurredAt.getTime())) : `${WINDOW_DAYS}+`,
        helperText: last ? `${last.service}: ${last.impact}` : `None in ${WINDOW_DAYS} days.`,
        trendValue: last ? last.occurredAt.toISOString().slice(0, 10) : '—',
        trendTone: 'neutral',
      },
    ],
  };
}

const xml = (text: string) =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
/** Escaped text without the characters XML 1.0 forbids (they are dropped). */
const xmlText = (text: string) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point.
  xml(text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, ''));

/** The page's incidents as RSS 2.0 (dates in RFC 2822, as the legacy feed had them). */
export async function statusRss(ctx: StatusCtx): Promise<string> {
  const page = await statusPage(ctx);
  const base = (ctx.config.FRONTEND_URL ?? ctx.config.PUBLIC_URL).replace(/\/+$/, '');
  const link = `${base}/status`;
  const items = page.incidents.map(
    (i) => `    <item>
      <title>${xmlText(`${i.service}: ${i.impact}`)}</title>
      <link>${xmlText(`${link}#${i.id}`)}</link>
      <guid isPermaLink="false">${i.id}</guid>
      <pubDate>${i.occurredAt.toUTCString()}</pubDate>
      <description>${xmlText(`${i.severity} · ${i.state}`)}</description>
    </item>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Platform Status</title>
    <link>${xmlText(link)}</link>
    <description>${xmlText(page.overview.description)}</description>
    <lastBuildDate>${page.generatedAt.toUTCString()}</lastBuildDate>
    <pubDate>${page.overview.updatedAt.toUTCString()}</pubDate>
${items.join('\n')}
  </channel>
</rss>
`;
}

const IncidentInput = z.object({
  service: z.enum(SERVICE_NAMES),
  impact: z.string().trim().min(1).max(500),
  severity: z.enum(SEVERITIES),
  state: z.enum(INCIDENT_STATES).default('investigating'),
  occurredAt: z.date().nullish(),
});
export type IncidentInput = z.input<typeof IncidentInput>;

const IncidentUpdate = z.object({
  impact: z.string().trim().min(1).max(500).nullish(),
  severity: z.enum(SEVERITIES).nullish(),
  state: z.enum(INCIDENT_STATES).nullish(),
});
export type IncidentUpdate = z.input<typeof IncidentUpdate>;

/** Opens an incident on the page (operators). */
export async function openIncident(ctx: StatusCtx, input: IncidentInput): Promise<StatusIncident> {
  assertStatusManager(ctx);
  const data = parseArgs(IncidentInput, input, ['input']);
  const now = new Date();
  return ctx.db.statusIncident.create({
    data: {
      service: data.service,
      impact: data.impact,
      severity: data.severity,
      state: data.state,
      occurredAt: data.occurredAt ?? now,
      resolvedAt: data.state === 'resolved' ? now : null,
      createdBy: ctx.viewer?.subject ?? 'unknown',
    },
  });
}

/** Moves an incident on (operators); resolving it stamps `resolvedAt`. */
export async function updateIncident(
  ctx: StatusCtx,
  incidentId: string,
  input: IncidentUpdate,
): Promise<StatusIncident> {
  assertStatusManager(ctx);
  const id = requireUuid(incidentId, 'incidentId');
  const data = parseArgs(IncidentUpdate, input, ['input']);
  const existing = await getIncident(ctx, id);
  return ctx.db.statusIncident.update({
    where: { id: existing.id },
    data: {
      ...(data.impact ? { impact: data.impact } : {}),
      ...(data.severity ? { severity: data.severity } : {}),
      ...(data.state ? { state: data.state, resolvedAt: data.state === 'resolved' ? new Date() : null } : {}),
    },
  });
}

export async function getIncident(ctx: StatusCtx, incidentId: string): Promise<StatusIncident> {
  const id = requireUuid(incidentId, 'incidentId');
  const incident = await ctx.db.statusIncident.findUnique({ where: { id } });
  if (!incident) {
    throw new NotFoundError('Incident', incidentId);
  }
  return incident;
}
