/**
 * A throwaway PKI for TLS and mutual-TLS tests, made with the openssl CLI (Node cannot issue X.509 certificates):
 * a server CA with a certificate for `localhost` / 127.0.0.1, a client CA with a client certificate, and a second
 * client CA with a "rogue" client certificate the receiver does not trust. Keys are P-256, valid two days.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

/** A certificate (PEM) and its private key (PEM). */
export interface Pair {
  readonly cert: string
  readonly key: string
}

export interface Pki {
  readonly serverCa: string
  readonly server: Pair
  readonly clientCa: string
  readonly client: Pair
  readonly rogueCa: string
  readonly rogue: Pair
}

/** Whether the openssl CLI can be run here (tests skip, saying so, when it cannot). */
export const hasOpenssl = ChildProcess.spawnSync("openssl", ["version"]).status === 0

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

/** Makes the PKI in a temporary directory, which is removed before returning. */
export const make = (): Pki => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "hookwire-pki-"))
  try {
    const openssl = (...args: Array<string>) => ChildProcess.execFileSync("openssl", args, { cwd: dir, stdio: "pipe" })
    const read = (file: string) => Fs.readFileSync(Path.join(dir, file), "utf8")
    const ca = (name: string) => {
      openssl(
        ..."req -x509".split(" "),
        ...EC,
        ..."-days 2 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign".split(" "),
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.crt`,
        "-subj",
        `/CN=Hookwire Test ${name}`
      )
      return read(`${name}.crt`)
    }
    const issue = (issuer: string, name: string, extensions: string): Pair => {
      Fs.writeFileSync(Path.join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\n${extensions}\n`)
      openssl("req", "-new", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`)
      openssl(
        ..."x509 -req -days 2 -CAcreateserial".split(" "),
        "-in",
        `${name}.csr`,
        "-CA",
        `${issuer}.crt`,
        "-CAkey",
        `${issuer}.key`,
        "-out",
        `${name}.crt`,
        "-extfile",
        `${name}.ext`
      )
      return { cert: read(`${name}.crt`), key: read(`${name}.key`) }
    }
    const serverCa = ca("server-ca")
    const clientCa = ca("client-ca")
    const rogueCa = ca("rogue-ca")
    return {
      serverCa,
      server: issue("server-ca", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
      clientCa,
      client: issue("client-ca", "hookwire-sender", "extendedKeyUsage=clientAuth"),
      rogueCa,
      rogue: issue("rogue-ca", "rogue-sender", "extendedKeyUsage=clientAuth")
    }
  } finally {
    Fs.rmSync(dir, { recursive: true, force: true })
  }
}
