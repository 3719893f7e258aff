/**
 * The peers a user would pick instead of Switchboard, over the same NATS server: moleculer 0.15 with its NATS
 * transporter (which needs the `nats` v2 client) and NestJS 12 microservices with its NATS transport (which uses
 * `@nats-io/transport-node`, the client our transport uses). Each peer is two nodes in this process, a publisher
 * and a consumer with an event handler and an echo responder, each with its own connection.
 *
 * NestJS decorators are applied as plain calls (the project compiles without `experimentalDecorators`).
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, EventPattern, MessagePattern, Transport } from '@nestjs/microservices';
import { type BrokerOptions, ServiceBroker } from 'moleculer';
import { lastValueFrom } from 'rxjs';

/** A peer with an event path and a request path between two of its nodes. */
export interface Peer {
  readonly name: string;
  /** Emits one event; the promise settles when the peer says it was sent. */
  emit(payload: unknown): Promise<unknown>;
  /** A request answered by the echo responder. */
  request(payload: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** Moleculer: two brokers in one namespace over its NATS transporter (JSON serializer, the default). */
export async function moleculerOverNats(url: string, onEvent: () => void, run: string): Promise<Peer> {
  const options: BrokerOptions = {
    namespace: `bench${run}`,
    transporter: url as BrokerOptions['transporter'],
    logger: false,
    metrics: false,
    tracing: false,
  };
  const publisher = new ServiceBroker({ ...options, nodeID: `pub-${run}` });
  const consumer = new ServiceBroker({ ...options, nodeID: `sub-${run}` });
  consumer.createService({
    name: 'sink',
    events: { 'task.created': () => onEvent() },
    actions: { echo: (ctx: { params: unknown }) => ctx.params },
  });
  await Promise.all([publisher.start(), consumer.start()]);
  await publisher.waitForServices('sink', 10_000);
  return {
    name: 'moleculer 0.15 over NATS',
    emit: (payload) => publisher.emit('task.created', payload) as Promise<unknown>,
    request: (payload) => publisher.call('sink.echo', payload as object),
    close: async () => {
      await Promise.all([publisher.stop(), consumer.stop()]);
    },
  };
}

/** NestJS: a NATS microservice with an event pattern and a message pattern, and a NATS client proxy. */
export async function nestOverNats(url: string, onEvent: () => void, run: string): Promise<Peer> {
  const eventPattern = `bench.${run}.task.created`;
  const echoPattern = `bench.${run}.echo`;
  class Sink {
    created(): void {
      onEvent();
    }
    echo(data: unknown): unknown {
      return data;
    }
  }
  const describe = (name: keyof Sink) => Object.getOwnPropertyDescriptor(Sink.prototype, name)!;
  EventPattern(eventPattern)(Sink.prototype, 'created', describe('created'));
  MessagePattern(echoPattern)(Sink.prototype, 'echo', describe('echo'));
  Controller()(Sink);
  class SinkModule {}
  Module({ controllers: [Sink] })(SinkModule);
  const app = await NestFactory.createMicroservice(SinkModule, {
    transport: Transport.NATS,
    options: { servers: [url] },
    logger: false,
  });
  await app.listen();
  const client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [url] } });
  await client.connect();
  return {
    name: 'NestJS 12 microservices over NATS',
    emit: (payload) => lastValueFrom(client.emit(eventPattern, payload), { defaultValue: undefined }),
    request: (payload) => lastValueFrom(client.send(echoPattern, payload)),
    close: async () => {
      await client.close();
      await app.close();
    },
  };
}
