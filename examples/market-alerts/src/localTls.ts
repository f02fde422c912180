/**
 * A throwaway certificate authority and a server certificate for `127.0.0.1` / `localhost`, made with the `openssl`
 * CLI in a temporary directory (Node cannot issue X.509 certificates itself). The demo and the tests serve their
 * receivers over real HTTPS with it, and tell Hookwire's transport to trust the CA (`http: { ca }`) — verification
 * stays on, and plain http stays refused.
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

export interface LocalTls {
  /** The CA certificate (PEM): pass it to the sender as `http: { ca }`. */
  readonly ca: string
  /** The server's key and certificate (PEM), for `https.createServer({ key, cert })`. */
  readonly key: string
  readonly cert: string
  /** Deletes the temporary directory. */
  readonly dispose: () => void
}

/** Whether the `openssl` CLI can be run. */
export const hasOpenssl = (): boolean => spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0

/** Makes the CA and a leaf certificate for `DNS:localhost, IP:127.0.0.1`, valid for 2 days. */
export const makeLocalTls = (): LocalTls => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "market-alerts-tls-"))
  try {
    const openssl = (...args: Array<string>) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" })
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "2",
      "-subj",
      "/CN=Market Alerts Test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign"
    )
    Fs.writeFileSync(
      Path.join(dir, "leaf.ext"),
      "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    openssl("req", "-new", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost")
    openssl(
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "leaf.crt",
      "-days",
      "2",
      "-extfile",
      "leaf.ext"
    )
    const read = (file: string) => Fs.readFileSync(Path.join(dir, file), "utf8")
    return {
      ca: read("ca.crt"),
      key: read("leaf.key"),
      cert: read("leaf.crt"),
      dispose: () => Fs.rmSync(dir, { recursive: true, force: true })
    }
  } catch (error) {
    Fs.rmSync(dir, { recursive: true, force: true })
    throw error
  }
}
