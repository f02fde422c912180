/**
 * Live traffic for the demo: every `intervalMs`, one event per tenant, its type and data drawn from the catalog's
 * examples with a fresh id, until stopped.
 */
export interface Publisher {
  readonly publish: (
    input: { tenant: string; type: string; data: unknown; channels?: ReadonlyArray<string> }
  ) => Promise<unknown>
}

export const EVENTS = [
  {
    type: "invoice.paid",
    data: (n: number) => ({ invoiceId: `in_${1000 + n}`, amount: 1200 + (n % 7) * 350, currency: "EUR" })
  },
  { type: "invoice.voided", data: (n: number) => ({ invoiceId: `in_${1000 + n}`, reason: "duplicate" }) },
  { type: "customer.created", data: (n: number) => ({ customerId: `cus_${n}`, email: `user${n}@example.com` }) },
  {
    type: "subscription.renewed",
    data: (n: number) => ({ subscriptionId: `sub_${n % 13}`, plan: n % 2 ? "pro" : "starter" })
  }
] as const

export const startTraffic = (
  publisher: Publisher,
  tenants: ReadonlyArray<string>,
  intervalMs: number,
  onError: (error: unknown) => void
): { readonly stop: () => void; readonly published: () => number } => {
  let n = 0
  const timer = setInterval(() => {
    for (const tenant of tenants) {
      const event = EVENTS[n % EVENTS.length]!
      n++
      publisher.publish({ tenant, type: event.type, data: event.data(n) }).catch(onError)
    }
  }, intervalMs)
  return { stop: () => clearInterval(timer), published: () => n }
}
