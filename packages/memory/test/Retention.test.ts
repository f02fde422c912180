import { retentionSuite } from "@hookwire/core/test/contract/RetentionSuite"
import { memory } from "../src/index.js"

retentionSuite("memory", () => memory())
