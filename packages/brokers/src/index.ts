/**
 * @since 0.5.0
 */
export * as AmqpTransport from "./AmqpTransport.js"
export * as BrokerTransport from "./BrokerTransport.js"
export * as NatsTransport from "./NatsTransport.js"
