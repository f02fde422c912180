/**
 * Durable operational webhooks on Postgres: an endpoint change and its notice commit together or not at all. A
 * trigger on the messages table fails the notice's insert (raising an error, or terminating the engine's connection
 * mid-transaction, as a crash would): the update, deletion or re-enabling fails and leaves nothing — neither the
 * change nor the notice. The dispatcher's health write for a recovery (2xx after failures, closing the circuit) is
 * rolled back with its refused notices and retried until they can be written. Without the fault each change and its
 * notice are there as soon as the call returns, once.
 */
import { Catalog } from "@hookwire/core"
import { createHookwire } from "@hookwire/core/Hookwire"
import * as OperationalWebhooks from "@hookwire/core/OperationalWebhooks"
import * as RecordingTransport from "@hookwire/core/RecordingTransport"
import * as RetryPolicy from "@hookwire/core/RetryPolicy"
import { afterAll, beforeAll, expect, it } from "vitest"
import { postgres } from "../src/PgAdapter.js"
import { databaseUrl, describeDb, newSchema, pool, waitFor } from "./utils/db.js"

const catalog = Catalog.make({ "order.created": { description: "An order" }, ...OperationalWebhooks.eventTypes })

describeDb("operational notices commit with the endpoint change", () => {
  const schema = newSchema("opsatomic")
  const admin = pool(1)
  const engine = createHookwire({
    adapter: postgres({ url: databaseUrl, schema, migrate: true }),
    catalog,
    logger: false,
    transport: RecordingTransport.layer(),
    operationalWebhooks: { tenant: "ops", every: "1 hour" }
  })
  const q = async (text: string, params: Array<unknown> = []) => (await admin.query(text, params)).rows
  const fault = (mode: "none" | "raise" | "terminate", only: ReadonlyArray<string> | null = null) =>
    q(`update "${schema}".faults set mode = $1, only_types = $2`, [mode, only])
  const hits = async () =>
    Number((await q(`select case when is_called then last_value else 0 end as n from "${schema}".fault_hits`))[0].n)
  const notices = async (type: string, endpointId: string) =>
    (await q(`select body from "${schema}".hookwire_messages where tenant = 'ops' and type = $1`, [type]))
      .map((row) => JSON.parse(row.body).data)
      .filter((data) => data.endpointId === endpointId)
  const endpoint = async (id: string) =>
    (await q(`select url, disabled from "${schema}".hookwire_endpoints where id = $1`, [id]))[0] as
      | { url: string; disabled: boolean }
      | undefined

  beforeAll(async () => {
    await engine.endpoints.list({ tenant: "acme" }) // builds the engine: migrates the schema
    await q(`create table "${schema}".faults (mode text not null, only_types text[])`)
    await q(`insert into "${schema}".faults values ('none', null)`)
    await q(`create sequence "${schema}".fault_hits`) // not transactional: counts faults the rollback undid
    await q(`create function "${schema}".notice_fault() returns trigger language plpgsql as $$
      declare m text; only_types text[];
      begin
        select f.mode, f.only_types into m, only_types from "${schema}".faults f;
        if m = 'none' or not (only_types is null or new.type = any(only_types)) then return new; end if;
        perform nextval('"${schema}".fault_hits');
        if m = 'raise' then raise exception 'injected fault: the notice cannot be written'; end if;
        if m = 'terminate' then perform pg_terminate_backend(pg_backend_pid()); end if;
        return new;
      end $$`)
    await q(`create trigger notice_fault before insert on "${schema}".hookwire_messages
      for each row when (new.tenant = 'ops') execute function "${schema}".notice_fault()`)
  }, 30_000)
  afterAll(async () => {
    await engine.close()
    await q(`drop schema if exists "${schema}" cascade`)
    await admin.end()
  })

  for (const mode of ["raise", "terminate"] as const) {
    it(`a notice that fails (${mode}) undoes its update, deletion and re-enabling`, async () => {
      const id = (await engine.endpoints.create({ tenant: "acme", url: "https://acme.example/a" })).id
      await engine.endpoints.disable({ tenant: "acme", id })
      await fault(mode)
      const why = mode === "raise" ? /injected fault/ : /terminat|connection/i
      try {
        await expect(engine.endpoints.update({ tenant: "acme", id, url: "https://acme.example/b" })).rejects.toThrow(
          why
        )
        await expect(engine.endpoints.enable({ tenant: "acme", id })).rejects.toThrow(why)
        await expect(engine.endpoints.delete({ tenant: "acme", id })).rejects.toThrow(why)
      } finally {
        await fault("none")
      }
      expect(await endpoint(id)).toStrictEqual({ url: "https://acme.example/a", disabled: true })
      expect(await notices("hookwire.endpoint.updated", id)).toStrictEqual([])
      expect(await notices("hookwire.endpoint.recovered", id)).toStrictEqual([])
      expect(await notices("hookwire.endpoint.deleted", id)).toStrictEqual([])
    }, 30_000)
  }

  it(
    "a recovery by a 2xx answer and its closed circuit commit with their notices, or wait until they can",
    async () => {
      const dispatching = createHookwire({
        adapter: postgres({ url: databaseUrl, schema, migrate: true }),
        catalog,
        logger: false,
        // The first attempt fails (the circuit opens), the probe after the cool-down succeeds.
        transport: RecordingTransport.layer((_request, index) => ({ status: index === 0 ? 500 : 204 })),
        retryPolicy: RetryPolicy.fixed(["100 millis", "100 millis", "100 millis"]),
        dispatcher: { pollInterval: "50 millis" },
        operationalWebhooks: { tenant: "ops", every: "1 hour" }
      })
      try {
        const id = (await dispatching.endpoints.create({
          tenant: "acme",
          url: "https://acme.example/flaky",
          circuitBreaker: { failureThreshold: 1, coolDown: "200 millis" }
        })).id
        const health = async () =>
          (await q(`select health from "${schema}".hookwire_endpoints where id = $1`, [id]))[0].health
        await fault("raise", ["hookwire.endpoint.recovered", "hookwire.endpoint.circuit_closed"])
        const before = await hits()
        await dispatching.start()
        await dispatching.publish({ tenant: "acme", type: "order.created", data: { id: 1 } })
        // The success's health write was tried (and its notice refused) at least once: it was rolled back with it.
        await waitFor("the refused notice", async () => (await hits()) > before, 15_000)
        expect(await notices("hookwire.endpoint.recovered", id)).toStrictEqual([])
        expect(await notices("hookwire.endpoint.circuit_closed", id)).toStrictEqual([])
        expect(await notices("hookwire.endpoint.circuit_opened", id)).toHaveLength(1)
        expect(await health()).toMatchObject({ consecutiveFailures: 1 })
        expect((await health()).failingSince).not.toBeNull()
        // Once the notice can be written, the dispatcher's retried write commits both.
        await fault("none")
        await waitFor("the recovery", async () => (await health()).failingSince === null, 15_000)
        expect(await health()).toMatchObject({ consecutiveFailures: 0, circuit: "closed" })
        expect(await notices("hookwire.endpoint.recovered", id)).toMatchObject([{ reason: "succeeded" }])
        expect(await notices("hookwire.endpoint.circuit_closed", id)).toHaveLength(1)
      } finally {
        await fault("none")
        await dispatching.close()
      }
    },
    60_000
  )

  it("without the fault, each change and its notice are there when the call returns, once", async () => {
    const id = (await engine.endpoints.create({ tenant: "acme", url: "https://acme.example/a" })).id
    await engine.endpoints.disable({ tenant: "acme", id })
    const updated = await engine.endpoints.update({ tenant: "acme", id, url: "https://acme.example/b" })
    expect((await endpoint(id))?.url).toBe("https://acme.example/b")
    expect(await notices("hookwire.endpoint.updated", id)).toMatchObject([{
      tenant: "acme",
      at: updated.updatedAt.toISOString()
    }])
    await engine.endpoints.enable({ tenant: "acme", id })
    expect(await notices("hookwire.endpoint.recovered", id)).toMatchObject([{ tenant: "acme", reason: "enabled" }])
    await engine.endpoints.delete({ tenant: "acme", id })
    expect(await endpoint(id)).toBeUndefined()
    expect(await notices("hookwire.endpoint.deleted", id)).toMatchObject([{ tenant: "acme" }])
    // The in-process events that follow publish the same notices again: duplicates by their keys, nothing new.
    await engine.close()
    for (const type of ["updated", "recovered", "deleted", "disabled", "created"]) {
      expect(await notices(`hookwire.endpoint.${type}`, id)).toHaveLength(1)
    }
  }, 30_000)
})
