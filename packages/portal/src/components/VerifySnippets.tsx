/**
 * "How to verify": the endpoint's signature headers and short receiver snippets (Node with @hookwire/verify,
 * Python with the standard library), switchable with keyboard-friendly tabs.
 */
import { useState } from "react"
import type { Endpoint } from "../client/types.js"
import { nodeSnippet, pythonSnippet, schemeInfo } from "../internal/snippets.js"
import { CodeBlock, CopyButton } from "./ui.js"

/**
 * @since 0.1.0
 * @category constructors
 */
export const VerifySnippets = (props: { readonly endpoint: Endpoint }) => {
  const [language, setLanguage] = useState<"node" | "python">("node")
  const signature = props.endpoint.signature
  const info = schemeInfo(signature)
  return (
    <section className="hw-panel" aria-labelledby="hw-verify-title">
      <h2 id="hw-verify-title">How to verify</h2>
      {info === undefined
        ? (
          <p>
            Deliveries are signed with the <code>{signature.scheme}</code> scheme: the signature is in the{" "}
            <code>{signature.signatureHeader}</code> header
            {signature.timestampHeader === null ? "" : (
              <>
                , its time in <code>{signature.timestampHeader}</code>
              </>
            )}
            {signature.idHeader === null ? "" : (
              <>
                , a stable id in <code>{signature.idHeader}</code>
              </>
            )}. Ask your provider for its verification guide.
          </p>
        )
        : (
          <>
            <p>
              Every delivery carries a signature in the <code>{info.signatureHeader}</code> header
              {info.timestampHeader === null ? "" : (
                <>
                  , its time in <code>{info.timestampHeader}</code>
                </>
              )}
              {info.idHeader === null ? "" : (
                <>
                  , and a stable id in <code>{info.idHeader}</code> (use it to drop duplicates)
                </>
              )}. Check it against the raw request body with your signing secret before trusting the payload.
            </p>
            <div role="group" aria-label="Language" className="hw-segmented">
              <button type="button" aria-pressed={language === "node"} onClick={() => setLanguage("node")}>
                Node.js
              </button>
              <button type="button" aria-pressed={language === "python"} onClick={() => setLanguage("python")}>
                Python
              </button>
            </div>
            <Snippet text={language === "node" ? nodeSnippet(info) : pythonSnippet(info)} language={language} />
          </>
        )}
    </section>
  )
}

const Snippet = (props: { readonly text: string; readonly language: string }) => (
  <>
    <CodeBlock label={`${props.language} verification snippet`}>{props.text}</CodeBlock>
    <CopyButton value={props.text} label="Copy snippet" />
  </>
)
