/**
 * The helper side of `child.ts`, for helpers that serve several receivers: never outlive the bench (exit when the
 * IPC channel closes), listen on loopback port 0, then report `{ type: "ready", ports }` in the servers' order.
 */
import type { Server } from "node:http"

export const serveAll = (servers: ReadonlyArray<Server>, send: (message: unknown) => void): void => {
  // The parent went away (finished, crashed or killed): never outlive it.
  process.on("disconnect", () => process.exit(0))
  Promise.all(servers.map((server) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject)
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        if (address === null || typeof address === "string") return reject(new Error("a receiver has no TCP address"))
        resolve(address.port)
      })
    })
  )).then((ports) => send({ type: "ready", ports }), (error) => {
    console.error(error)
    process.exit(1)
  })
}
