/**
 * NestJS 12 microservices over Kafka, the peer a user would pick instead of the bus: a Kafka microservice with an
 * `@EventPattern` handler (NestJS's ServerKafka, a kafkajs consumer group, `eachMessage`, auto commit) and a
 * ClientKafka in producer-only mode whose `emit` sends one JSON record per event through a kafkajs producer.
 * Everything is NestJS's defaults but the client ids, the group and kafkajs's log level.
 *
 * NestJS decorators are applied as plain calls (the project compiles without `experimentalDecorators`).
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, EventPattern, Transport } from '@nestjs/microservices';
import { logLevel } from 'kafkajs';
import { lastValueFrom } from 'rxjs';

/** A peer with an event path between two of its nodes. */
export interface KafkaPeer {
  readonly name: string;
  /** Emits one event; the promise settles when the peer says it was sent. */
  emit(payload: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** NestJS: a Kafka microservice handling `topic` with an event pattern, and a producer-only Kafka client. */
export async function nestOverKafka(
  brokers: string[],
  topic: string,
  onEvent: () => void,
  run: string,
): Promise<KafkaPeer> {
  class Sink {
    created(): void {
      onEvent();
    }
  }
  const created = Object.getOwnPropertyDescriptor(Sink.prototype, 'created')!;
  EventPattern(topic)(Sink.prototype, 'created', created);
  Controller()(Sink);
  class SinkModule {}
  Module({ controllers: [Sink] })(SinkModule);
  const app = await NestFactory.createMicroservice(SinkModule, {
    transport: Transport.KAFKA,
    options: {
      client: { clientId: `bench-nest-${run}`, brokers, logLevel: logLevel.NOTHING },
      consumer: { groupId: `bench-nest-${run}` },
    },
    logger: false,
  });
  await app.listen();
  const client = ClientProxyFactory.create({
    transport: Transport.KAFKA,
    options: {
      client: { clientId: `bench-nest-client-${run}`, brokers, logLevel: logLevel.NOTHING },
      producerOnlyMode: true,
    },
  });
  await client.connect();
  return {
    name: 'NestJS 12 microservices over Kafka (kafkajs)',
    emit: (payload) => lastValueFrom(client.emit(topic, payload), { defaultValue: undefined }),
    close: async () => {
      await client.close();
      await app.close();
    },
  };
}
