/**
 * The VecTrade SDK of the docs page (`client.webhooks.create({ url, events, symbols })`, `list()`, `delete(id)`),
 * written over the management API's typed client (`@hookwire/api`'s `Client`): what a host ships to its customers
 * once it mounts the API (`src/api.ts`). The SDK only renames fields to VecTrade's words (`events`, `symbols`);
 * validation, tenancy and errors are the API's.
 */
import { Client } from "@hookwire/api"
import type { EventType } from "./events.js"

/** A webhook as the SDK shows it; the secret only in `create`'s answer. */
export interface SdkWebhook {
  readonly id: string
  readonly url: string
  readonly events: ReadonlyArray<string>
  readonly symbols: ReadonlyArray<string>
  readonly created_at: string
}

const toWebhook = (
  endpoint: {
    id: string
    url: string
    eventTypes: ReadonlyArray<string>
    channels: ReadonlyArray<string>
    createdAt: Date
  }
): SdkWebhook => ({
  id: endpoint.id,
  url: endpoint.url,
  events: endpoint.eventTypes,
  symbols: endpoint.channels,
  created_at: endpoint.createdAt.toISOString()
})

export class VecTrade {
  private readonly client: Client.PromiseClient

  /** `baseUrl`: where the host mounted the API (e.g. https://api.vectrade.example/v1/webhooks); `apiKey`: an access token. */
  constructor(options: { readonly baseUrl: string; readonly apiKey: string }) {
    this.client = Client.create({ baseUrl: options.baseUrl, token: options.apiKey })
  }

  readonly webhooks = {
    /** Registers a URL (https only); the signing secret is in the answer, and only there. */
    create: async (input: {
      readonly url: string
      readonly events?: ReadonlyArray<EventType> | undefined
      readonly symbols?: ReadonlyArray<string> | undefined
    }): Promise<SdkWebhook & { readonly secret: string }> => {
      const created = await this.client.endpoints.create({
        payload: {
          url: input.url,
          ...(input.events === undefined ? {} : { eventTypes: input.events }),
          ...(input.symbols === undefined ? {} : { channels: input.symbols.map((s) => s.trim().toUpperCase()) })
        }
      })
      return { ...toWebhook(created), secret: created.secret }
    },
    /** Every webhook of the account, newest first. */
    list: async (): Promise<ReadonlyArray<SdkWebhook>> => {
      const out: Array<SdkWebhook> = []
      let cursor: string | undefined
      for (let page = 0; page < 1_000; page++) {
        const result = await this.client.endpoints.list({ urlParams: { limit: 100, cursor } })
        out.push(...result.data.map(toWebhook))
        if (result.nextCursor === null) break
        cursor = result.nextCursor
      }
      return out
    },
    delete: async (id: string): Promise<void> => {
      await this.client.endpoints.delete({ path: { id } })
    }
  }

  /** Releases the client's HTTP resources. */
  close(): Promise<void> {
    return this.client.close()
  }
}
