import { Redis } from 'ioredis';
import { writeTogether } from '../../src/redis/write-together';
import { isolatedPrefix, REDIS_URL } from '../utils/redis';

describe('writeTogether', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = isolatedPrefix();
  afterAll(async () => {
    await redis.del(`${prefix}a`, `${prefix}b`);
    redis.disconnect();
  });

  it('sends the commands issued in it in one write to the socket, each with its own reply', async () => {
    await redis.ping();
    const { stream } = redis;
    const batchedWrites = jest.spyOn(stream, '_writev');
    const singleWrites = jest.spyOn(stream, '_write');
    let replies: Array<Promise<unknown>> = [];
    writeTogether(redis, () => {
      replies = [redis.set(`${prefix}a`, '1'), redis.set(`${prefix}b`, '2'), redis.incr(`${prefix}a`), redis.hset(`${prefix}b`, 'f', 'v')];
    });
    const outcomes = await Promise.allSettled(replies);
    expect(batchedWrites).toHaveBeenCalledTimes(1);
    expect(batchedWrites.mock.calls[0]![0]).toHaveLength(4);
    expect(singleWrites).not.toHaveBeenCalled();
    expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).message.split(' ')[0]))).toEqual([
      'OK',
      'OK',
      2,
      'WRONGTYPE',
    ]);
    batchedWrites.mockRestore();
    singleWrites.mockRestore();
  });
});
