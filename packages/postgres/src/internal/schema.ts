/**
 * The numbered migrations, kept in code. Each is a list of statements run in order inside the migration
 * transaction. Never edit a released migration: add the next number.
 *
 * Times are `bigint` epoch milliseconds (UTC by definition), exactly the port's surface; ids are the prefixed,
 * time-ordered text ids made by core (an id never sorts before its record's creation time), so `(tenant, id)`
 * indexes also serve time windows and retention scans: no separate time indexes to maintain on every insert. There
 * are no foreign keys: every write path is a single statement that keeps the rows consistent, and per-row
 * foreign-key triggers would triple the cost of a 10,000-delivery fan-out.
 *
 * @internal
 */
import type { Tables } from "./tables.js"

/** @internal */
export const migrations = (t: Tables): Record<string, ReadonlyArray<string>> => ({
  "1_initial": initial(t),
  // The delivery log shows each attempt's request headers (without the signature) and response headers.
  "2_attempt_headers": [
    `alter table ${t.attempts} add column request_headers jsonb, add column response_headers jsonb`
  ],
  // The management API's endpoint pages and stats (see internal/stats.ts). An endpoint belongs to one tenant: without
  // telling the planner, it multiplies the two filters' selectivities, expects 1 % of an endpoint's rows, and reads
  // every one of them to sort instead of walking the `(endpoint_id, id)` index backwards for one page. The same
  // indexes carry what the stats count, so counting a week of an endpoint's attempts reads no table pages.
  "3_endpoint_log_indexes": [
    `create statistics ${qualified(t, "deliveries_endpoint_tenant")} (dependencies) on endpoint_id, tenant
      from ${t.deliveries}`,
    `create statistics ${qualified(t, "attempts_endpoint_tenant")} (dependencies) on endpoint_id, tenant
      from ${t.attempts}`,
    `drop index ${qualified(t, "deliveries_endpoint")}`,
    `create index ${t.index("deliveries_endpoint")} on ${t.deliveries} (endpoint_id, id)
      include (tenant, created_at, status)`,
    `drop index ${qualified(t, "attempts_endpoint")}`,
    `create index ${t.index("attempts_endpoint")} on ${t.attempts} (endpoint_id, id)
      include (tenant, started_at, response_status, error_kind)`
  ],
  // An endpoint's sealed credentials and connection settings (core's EndpointTransport: sensitive header values
  // sealed like its secrets); null when it has none.
  "4_endpoint_transport": [
    `alter table ${t.endpoints} add column transport jsonb`
  ],
  // The dispatcher's hot path writes every delivery twice: inserted pending, then updated when its attempt's result
  // is recorded. That update is not a HOT update (the status is indexed), so each one adds an entry to every index
  // whose predicate the new row meets. A tenant's deliveries of one status are asked for to find the few that need
  // a look (failed, pending, cancelled); the delivered ones, nearly all of them, are read newest first through
  // `(tenant, id)` (see `deliveries.ts`, listDeliveries). So this index keeps the others only: recording a delivered
  // attempt no longer writes to it, and it stays small. The predicate names the three statuses it keeps rather than
  // `status <> 'delivered'`: the recording update's own condition (`status not in ('delivered', 'failed',
  // 'cancelled')`) implies the latter, and its generic plan, made on empty tables, would then read this index whole
  // (test/Plans.test.ts); a status asked for by name implies the list.
  "5_status_index_undelivered": [
    `drop index ${qualified(t, "deliveries_tenant_status")}`,
    `create index ${t.index("deliveries_tenant_status")} on ${t.deliveries} (tenant, status, id)
      where status in ('pending', 'failed', 'cancelled')`
  ],
  // Ids, tenants and event types compared byte by byte. Every index of the data path leads with one of these text
  // columns, and under a database's default collation (even `C.UTF-8`, which PostgreSQL 15 does not treat as `C`)
  // each comparison of an index search or insert goes through the C library's `strcoll`: a profile of the server
  // under the deliver bench put those comparisons at ~8 % of its CPU. Ids are ASCII and time-ordered as bytes (as
  // core and the memory adapter order them), so byte order is also the order they are meant to have, whatever the
  // database's locale. Only the collation changes: no table is rewritten, each table's indexes are rebuilt once.
  "6_ids_collate_c": [
    `alter table ${t.endpoints} ${collateC(["id", "tenant"])}`,
    `alter table ${t.messages} ${collateC(["id", "tenant", "type", "idempotency_key"])}`,
    `alter table ${t.deliveries} ${collateC(["id", "tenant", "message_id", "endpoint_id"])}`,
    `alter table ${t.attempts} ${collateC(["id", "tenant", "delivery_id", "message_id", "endpoint_id"])}`,
    `alter table ${t.queue} ${collateC(["id"])}`
  ]
})

/** The first migration: the five tables and their first indexes. */
const initial = (t: Tables): ReadonlyArray<string> => [
  `create table ${t.endpoints} (
      id text primary key,
      tenant text not null,
      url text not null,
      name text,
      description text,
      event_types text[] not null default '{}',
      channels text[] not null default '{}',
      headers jsonb not null default '{}',
      metadata jsonb not null default '{}',
      disabled boolean not null default false,
      disabled_reason text,
      disabled_at bigint,
      timeout_ms integer,
      retry_policy jsonb,
      scheme text,
      secrets jsonb not null default '[]',
      options jsonb not null default '{"rateLimit":null,"fifo":false,"circuitBreaker":null}',
      health jsonb not null default
        '{"failingSince":null,"consecutiveFailures":0,"circuit":"closed","circuitOpenedAt":null,"circuitRetryAt":null}',
      created_at bigint not null,
      updated_at bigint not null
    )`,
  `create index ${t.index("endpoints_tenant")} on ${t.endpoints} (tenant, id)`,

  `create table ${t.messages} (
      id text primary key,
      tenant text not null,
      type text not null,
      body text not null,
      channels text[] not null default '{}',
      idempotency_key text,
      created_at bigint not null
    )`,
  `create index ${t.index("messages_tenant")} on ${t.messages} (tenant, id)`,
  `create index ${t.index("messages_tenant_type")} on ${t.messages} (tenant, type, id)`,
  `create unique index ${t.index("messages_idempotency")} on ${t.messages} (tenant, idempotency_key)
      where idempotency_key is not null`,

  `create table ${t.deliveries} (
      id text primary key,
      tenant text not null,
      message_id text not null,
      endpoint_id text not null,
      status text not null check (status in ('pending', 'delivered', 'failed', 'cancelled')),
      attempts integer not null default 0,
      next_attempt_at bigint,
      last_attempt_at bigint,
      last_response_status integer,
      last_error text,
      created_at bigint not null,
      updated_at bigint not null
    )`,
  `create index ${t.index("deliveries_tenant")} on ${t.deliveries} (tenant, id)`,
  `create index ${t.index("deliveries_tenant_status")} on ${t.deliveries} (tenant, status, id)`,
  `create index ${t.index("deliveries_endpoint")} on ${t.deliveries} (endpoint_id, id)`,
  `create index ${t.index("deliveries_message")} on ${t.deliveries} (message_id, id)`,
  // FIFO endpoints ask for their oldest pending delivery: without this, that walks the endpoint's whole history.
  `create index ${
    t.index("deliveries_endpoint_pending")
  } on ${t.deliveries} (endpoint_id, id) where status = 'pending'`,
  `create index ${t.index("deliveries_due")} on ${t.deliveries} (next_attempt_at, id) where status = 'pending'`,

  `create table ${t.attempts} (
      id text primary key,
      tenant text not null,
      delivery_id text not null,
      message_id text not null,
      endpoint_id text not null,
      attempt integer not null,
      trigger text not null,
      url text not null,
      started_at bigint not null,
      duration_ms integer not null,
      response_status integer,
      response_body text,
      error_kind text,
      error_message text
    )`,
  `create index ${t.index("attempts_tenant")} on ${t.attempts} (tenant, id)`,
  `create index ${t.index("attempts_delivery")} on ${t.attempts} (delivery_id, id)`,
  `create index ${t.index("attempts_endpoint")} on ${t.attempts} (endpoint_id, id)`,
  `create index ${t.index("attempts_message")} on ${t.attempts} (message_id, id)`,

  // The queue holds live work only: a row per queued delivery id, deleted when completed. `lease_until` is null
  // while the item waits; while it is claimed it holds the lease expiry, after which the item is due again. The
  // claim index is on the moment the row next becomes claimable.
  `create table ${t.queue} (
      id text primary key,
      run_at bigint not null,
      lease_until bigint,
      lease_token text,
      claims integer not null default 0
    ) with (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.05)`,
  `create index ${t.index("queue_due")} on ${t.queue} ((coalesce(lease_until, run_at)), id)`
]

/** `alter column … type text collate "C"` for each of `columns`, as one `alter table`'s actions. */
const collateC = (columns: ReadonlyArray<string>): string =>
  columns.map((column) => `alter column ${column} type text collate "C"`).join(", ")

/** A schema-qualified name for objects that are not created beside a table (statistics), or dropped. */
const qualified = (t: Tables, name: string) => t.schema === undefined ? t.index(name) : `"${t.schema}".${t.index(name)}`

/** @internal */
export const dedupMigrations = (t: Tables): Record<string, ReadonlyArray<string>> => ({
  "1_dedup": [
    `create table ${t.dedup} (
      id text primary key,
      expires_at bigint not null
    )`,
    `create index ${t.index("dedup_expires")} on ${t.dedup} (expires_at)`
  ]
})
