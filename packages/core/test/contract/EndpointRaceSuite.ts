/**
 * Lost updates on endpoints, for every Storage adapter: an operation that reads an endpoint and writes it back must
 * not undo what another writer changed in between — the dispatcher disabling it (410 Gone) or updating its health, a
 * rotation adding a secret, a host edit of another field. Each test lets a second writer run exactly between the
 * operation's read and its write (a hook on the engine's `getEndpoint`), then checks the stored endpoint.
 *
 * @since 0.3.0
 */
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Catalog from "../../src/Catalog.js"
import type { DeliveryQueue } from "../../src/DeliveryQueue.js"
import type { EndpointRecord } from "../../src/Model.js"
import * as OperationalEvents from "../../src/OperationalEvents.js"
import * as RecordingTransport from "../../src/RecordingTransport.js"
import * as SecretBox from "../../src/SecretBox.js"
import * as Settings from "../../src/Settings.js"
import * as Storage from "../../src/Storage.js"
import * as Webhooks from "../../src/Webhooks.js"
import { newTenant } from "./Records.js"

const catalog = Catalog.make({
  "order.created": { description: "An order", schema: Schema.Struct({ id: Schema.String }) }
})

const keyOf = (id: string, byte: number): SecretBox.MasterKey => ({
  id,
  key: Redacted.make(Buffer.alloc(32, byte).toString("base64"))
})
const k1 = keyOf("k1", 1)
const k2 = keyOf("k2", 2)

/** Runs once, right after the engine's next `getEndpoint` read, before its result is returned (then removes itself). */
interface Interleave {
  next: ((read: EndpointRecord | undefined) => Effect.Effect<void, unknown>) | undefined
}

/**
 * @since 0.3.0
 */
export const endpointRaceSuite = <E>(name: string, adapter: Layer.Layer<Storage.Storage | DeliveryQueue, E>) => {
  const interleave: Interleave = { next: undefined }
  // The engine reads through a Storage whose getEndpoint lets the other writer in; the other writer uses the raw one.
  const hooked = Layer.effect(
    Storage.Storage,
    Effect.map(Storage.Storage, (storage) => ({
      ...storage,
      getEndpoint: (tenant: string, id: string) =>
        Effect.tap(storage.getEndpoint(tenant, id), (read) => {
          const run = interleave.next
          interleave.next = undefined
          return run === undefined ? Effect.void : Effect.orDie(run(read))
        })
    }))
  )
  const engineWith = (masterKeys: ReadonlyArray<SecretBox.MasterKey>) =>
    Webhooks.layer.pipe(
      Layer.provideMerge(
        Layer.mergeAll(
          Settings.layer({ catalog, masterKeys }).pipe(Layer.orDie),
          OperationalEvents.layer(),
          RecordingTransport.layer()
        )
      ),
      Layer.provide(hooked)
    )
  layer(adapter)(`endpoint lost updates (${name})`, (it) => {
    const inEngine = <A, E2>(
      keys: ReadonlyArray<SecretBox.MasterKey>,
      body: (
        w: Webhooks.Webhooks["Type"],
        raw: Storage.Storage["Type"]
      ) => Effect.Effect<A, E2, Webhooks.Webhooks | Storage.Storage>
    ): Effect.Effect<A, E2, Storage.Storage | DeliveryQueue> =>
      Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        // The other writer uses the adapter's Storage, not the hooked one the engine sees.
        const raw = yield* Storage.Storage
        return yield* body(w, raw)
      }).pipe(
        Effect.provide(engineWith(keys)),
        Effect.ensuring(Effect.sync(() => (interleave.next = undefined)))
      )

    it.effect("an update racing the dispatcher's 410 disable keeps the endpoint disabled", () =>
      inEngine([k1], (w, raw) =>
        Effect.gen(function*() {
          const tenant = newTenant()
          const endpoint = yield* w.endpoints.create({ tenant, url: "https://receiver.example/a" })
          interleave.next = () =>
            raw.patchEndpoint(tenant, endpoint.id, {
              disabled: true,
              disabledReason: "the receiver answered 410 Gone",
              disabledAt: 5,
              updatedAt: 5
            })
          const updated = yield* w.endpoints.update({ tenant, id: endpoint.id, name: "renamed" })
          expect(updated).toMatchObject({ name: "renamed", disabled: true })
          expect(yield* raw.getEndpoint(tenant, endpoint.id)).toMatchObject({
            name: "renamed",
            disabled: true,
            disabledReason: "the receiver answered 410 Gone"
          })
        })))

    it.effect("an update racing a health update keeps the health", () =>
      inEngine([k1], (w, raw) =>
        Effect.gen(function*() {
          const tenant = newTenant()
          const endpoint = yield* w.endpoints.create({ tenant, url: "https://receiver.example/a" })
          const failing = { ...endpoint.health, failingSince: 7, consecutiveFailures: 3 }
          interleave.next = (read) =>
            raw.patchEndpoint(tenant, endpoint.id, {
              health: { ...read!.health, failingSince: 7, consecutiveFailures: 3 },
              updatedAt: 7
            })
          yield* w.endpoints.update({ tenant, id: endpoint.id, url: "https://receiver.example/b" })
          const stored = yield* raw.getEndpoint(tenant, endpoint.id)
          expect(stored).toMatchObject({ url: "https://receiver.example/b" })
          expect(stored!.health).toMatchObject({ failingSince: failing.failingSince, consecutiveFailures: 3 })
        })))

    it.effect("an update racing a rotation keeps the rotated secret", () =>
      inEngine([k1], (w, raw) =>
        Effect.gen(function*() {
          const tenant = newTenant()
          const endpoint = yield* w.endpoints.create({ tenant, url: "https://receiver.example/a" })
          let rotated: string | undefined
          interleave.next = () =>
            Effect.map(w.endpoints.rotateSecret({ tenant, id: endpoint.id }), (r) => {
              rotated = Redacted.value(r.secret)
            })
          yield* w.endpoints.update({ tenant, id: endpoint.id, name: "renamed" })
          const stored = yield* raw.getEndpoint(tenant, endpoint.id)
          expect(rotated).toBeDefined()
          expect(stored).toMatchObject({ name: "renamed" })
          // The original secret (expiring) and the rotated one (current).
          expect(stored!.secrets).toHaveLength(2)
          expect(stored!.secrets.filter((s) => s.expiresAt === null)).toHaveLength(1)
        })))

    it.effect("two rotations racing each other keep both new secrets", () =>
      inEngine([k1], (w, raw) =>
        Effect.gen(function*() {
          const tenant = newTenant()
          const endpoint = yield* w.endpoints.create({ tenant, url: "https://receiver.example/a" })
          interleave.next = () => w.endpoints.rotateSecret({ tenant, id: endpoint.id, grace: "1 hour" })
          yield* w.endpoints.rotateSecret({ tenant, id: endpoint.id, grace: "1 hour" })
          const stored = yield* raw.getEndpoint(tenant, endpoint.id)
          // The first secret and the inner rotation's both keep signing for the grace; the outer one is current.
          expect(stored!.secrets).toHaveLength(3)
          expect(stored!.secrets.filter((s) => s.expiresAt === null)).toHaveLength(1)
        })))

    it.effect("a re-seal racing an update keeps the update", () =>
      Effect.gen(function*() {
        const tenant = newTenant()
        const endpoint = yield* inEngine([k1], (w) => w.endpoints.create({ tenant, url: "https://receiver.example/a" }))
        const resealed = yield* inEngine([k2, k1], (w, raw) =>
          Effect.gen(function*() {
            // Every endpoint the scan finds is re-read before its write: the update goes in between for ours.
            interleave.next = undefined
            const hookOurs = (read: EndpointRecord | undefined): Effect.Effect<void, unknown> => {
              if (read?.id !== endpoint.id) {
                interleave.next = hookOurs
                return Effect.void
              }
              return raw.patchEndpoint(tenant, endpoint.id, { disabled: true, disabledReason: "x", updatedAt: 9 })
            }
            interleave.next = hookOurs
            return yield* w.maintenance.resealSecrets()
          }))
        expect(resealed.resealed).toBeGreaterThan(0)
        const stored = yield* inEngine([k2, k1], (_, raw) => raw.getEndpoint(tenant, endpoint.id))
        expect(stored).toMatchObject({ disabled: true })
        expect(stored!.secrets.every((s) => s.value.startsWith("enc:v1:k2:"))).toBe(true)
      }))
  })
}
