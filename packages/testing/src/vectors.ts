/** Published test vectors, shared by the receiver packages' tests. */

/** The official Standard Webhooks test vector (standard-webhooks/libraries). */
export const STANDARD = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: "{\"test\": 2432232314}",
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
} as const

/** Epoch ms at the Standard vector's timestamp. */
export const STANDARD_NOW = STANDARD.timestamp * 1000

/** GitHub's documented example (docs.github.com, "Validating webhook deliveries"). */
export const GITHUB = {
  secret: "It's a Secret to Everybody",
  body: "Hello, World!",
  signature: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
} as const
