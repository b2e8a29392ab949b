import type { RedisClient } from './client.js';

export interface EventHandlers {
  readonly onMessage: (text: string) => void;
  /** The subscription came back after a drop: messages may have been missed. */
  readonly onResubscribed: () => void;
}

/**
 * Subscribes a second connection (pub/sub blocks the one it runs on) to the coordinator's channel.
 * ioredis re-subscribes by itself after a reconnect; its errors are left to the command
 * connection, which reports outages.
 */
export async function subscribeEvents(client: RedisClient, channel: string, handlers: EventHandlers): Promise<RedisClient> {
  const subscriber = client.duplicate();
  subscriber.on('error', () => undefined);
  subscriber.on('message', (from: string, text: string) => {
    if (from === channel) handlers.onMessage(text);
  });
  let connectedBefore = false;
  subscriber.on('ready', () => {
    if (connectedBefore) handlers.onResubscribed();
    connectedBefore = true;
  });
  try {
    await subscriber.subscribe(channel);
  } catch (error) {
    subscriber.disconnect();
    throw error;
  }
  return subscriber;
}
