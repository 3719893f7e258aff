/**
 * Topology: who publishes and who subscribes to what, as data, a Markdown communication matrix and a Mermaid
 * flowchart (the forms the seed documents are written in).
 *
 * @module
 */

/** One edge of the topology. */
export interface TopologyEdge {
  /** The service. */
  readonly service: string;
  /** `publishes` to a topic, `subscribes` from one, `requests` from a responder, `responds` to requests. */
  readonly role: 'publishes' | 'subscribes' | 'requests' | 'responds';
  /** The topic (subject) involved. */
  readonly topic: string;
  /** Message types on this edge. */
  readonly types: readonly string[];
  /** Consumer group, for subscribers and responders. */
  readonly group?: string;
}

/** The topology of one or more services. */
export interface Topology {
  /** Transport system (`memory`, `nats`, `kafka`). */
  readonly system: string;
  /** Services involved. */
  readonly services: readonly string[];
  /** Every edge. */
  readonly edges: readonly TopologyEdge[];
  /** A Markdown communication matrix: Source, Target, Protocol, Message types. */
  toMarkdown(): string;
  /** A Mermaid flowchart: services as boxes, topics as stadiums, edges labelled by message types. */
  toMermaid(): string;
}

/** Collects the edges one bus sees as it publishes and subscribes. */
export class TopologyRecorder {
  readonly #edges = new Map<
    string,
    { service: string; role: TopologyEdge['role']; topic: string; group?: string; types: Set<string> }
  >();

  constructor(
    readonly service: string,
    readonly system: string,
  ) {}

  /** Records one edge (idempotent per service, role, topic and group). */
  record(role: TopologyEdge['role'], topic: string, type: string, group?: string): void {
    const id = `${role}\u0000${topic}\u0000${group ?? ''}`;
    let edge = this.#edges.get(id);
    if (edge === undefined) {
      edge = {
        service: this.service,
        role,
        topic,
        types: new Set(),
        ...(group === undefined ? {} : { group }),
      };
      this.#edges.set(id, edge);
    }
    edge.types.add(type);
  }

  /** The recorded topology. */
  snapshot(): Topology {
    const edges = [...this.#edges.values()].map((e) => ({ ...e, types: [...e.types].sort() }));
    return createTopology(this.system, edges);
  }
}

/**
 * Builds a {@link Topology} from edges, for example merged from several services' `bus.topology().edges`.
 *
 * @example
 * ```ts
 * const all = createTopology('kafka', [...api.topology().edges, ...notifier.topology().edges]);
 * console.log(all.toMarkdown());
 * ```
 */
export function createTopology(system: string, edges: readonly TopologyEdge[]): Topology {
  const sorted = [...edges].sort(
    (a, b) =>
      a.service.localeCompare(b.service) || a.topic.localeCompare(b.topic) || a.role.localeCompare(b.role),
  );
  const services = [...new Set(sorted.map((e) => e.service))].sort();
  return {
    system,
    services,
    edges: sorted,
    toMarkdown: () => toMarkdown(system, sorted),
    toMermaid: () => toMermaid(sorted),
  };
}

const PROTOCOL: Record<TopologyEdge['role'], string> = {
  publishes: 'publish',
  subscribes: 'subscribe',
  requests: 'request/reply',
  responds: 'request/reply',
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function toMarkdown(system: string, edges: readonly TopologyEdge[]): string {
  const rows = edges.map((e) => {
    const topic = `${system} (\`${e.topic}\`)`;
    const service = `**${e.service}**`;
    const [from, to] = e.role === 'publishes' || e.role === 'requests' ? [service, topic] : [topic, service];
    const group = e.group === undefined ? '' : ` (group \`${e.group}\`)`;
    return `| ${cell(from)} | ${cell(to)} | ${PROTOCOL[e.role]}${cell(group)} | ${cell(e.types.map((t) => `\`${t}\``).join(', '))} |`;
  });
  return ['| Source | Target | Protocol | Message types |', '|---|---|---|---|', ...rows].join('\n');
}

function nodeId(kind: 's' | 't', name: string): string {
  return `${kind}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function label(text: string): string {
  return text.replace(/"/g, '#quot;');
}

function toMermaid(edges: readonly TopologyEdge[]): string {
  const lines = ['flowchart LR'];
  const declared = new Set<string>();
  const declare = (kind: 's' | 't', name: string): string => {
    const id = nodeId(kind, name);
    if (!declared.has(id)) {
      declared.add(id);
      lines.push(kind === 's' ? `  ${id}["${label(name)}"]` : `  ${id}(["${label(name)}"])`);
    }
    return id;
  };
  for (const e of edges) {
    const service = declare('s', e.service);
    const topic = declare('t', e.topic);
    const text = label(e.types.join(', '));
    if (e.role === 'publishes' || e.role === 'requests') lines.push(`  ${service} -->|"${text}"| ${topic}`);
    else lines.push(`  ${topic} -->|"${text}"| ${service}`);
  }
  return lines.join('\n');
}
