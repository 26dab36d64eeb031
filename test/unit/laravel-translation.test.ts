import { readFileSync } from 'node:fs';
import { DEFAULT_CHANNEL_MAP_FILE } from '../../src/config/load-config';
import { ChannelMapError, forumKindOf, matchChannel, parseChannelMap } from '../../src/laravel/channel-map';
import { parseRedisBroadcast, translateBroadcast } from '../../src/laravel/laravel-message';

const map = parseChannelMap(JSON.parse(readFileSync(DEFAULT_CHANNEL_MAP_FILE, 'utf8')));
const NOTIFICATION_EVENT = 'Illuminate\\Notifications\\Events\\BroadcastNotificationCreated';

describe('the default channel map', () => {
  it("matches a notifiable's channel, forum and thread channels with their visibility", () => {
    expect(matchChannel(map, 'private-App.Models.User.42')).toEqual({ kind: 'notification', userId: '42' });
    expect(matchChannel(map, 'private-App.User.7')).toEqual({ kind: 'notification', userId: '7' });
    expect(matchChannel(map, 'forum.12')).toMatchObject({ kind: 'forum', visibility: 'PUBLIC', forumId: '12' });
    expect(matchChannel(map, 'private-forum.12')).toMatchObject({ kind: 'forum', visibility: 'MEMBERS', forumId: '12' });
    expect(matchChannel(map, 'presence-forum.12')).toMatchObject({ kind: 'forum', visibility: 'MEMBERS', forumId: '12' });
    expect(matchChannel(map, 'private-staff.forum.12')).toMatchObject({ kind: 'forum', visibility: 'STAFF', forumId: '12' });
    expect(matchChannel(map, 'private-thread.345')).toMatchObject({ kind: 'forum', visibility: 'MEMBERS', threadId: '345' });
  });

  it('matches nothing else: not a longer name, not a prefix, not a nested segment', () => {
    for (const channel of ['private-App.Models.User.', 'private-App.Models.User.4.2', 'App.Models.User.42', 'forum.12.extra', 'forumX12', 'chat']) {
      expect(matchChannel(map, channel)).toBeUndefined();
    }
  });

  it('finds a kind by class name, base name, broadcastAs name, with or without the leading dot', () => {
    expect(forumKindOf(map, 'App\\Events\\ThreadCreated')).toBe('THREAD_CREATED');
    expect(forumKindOf(map, 'App\\Events\\Forum\\PostCreated')).toBe('POST_CREATED');
    expect(forumKindOf(map, 'thread.created')).toBe('THREAD_CREATED');
    expect(forumKindOf(map, '.post.deleted')).toBe('POST_DELETED');
    expect(forumKindOf(map, 'App\\Events\\UserBanned')).toBeUndefined();
  });
});

describe('parseChannelMap', () => {
  const valid = {
    notifications: { channels: ['private-App.Models.User.{userId}'], events: [NOTIFICATION_EVENT] },
    forumChannels: [{ channel: 'forum.{forumId}', visibility: 'PUBLIC' }],
    forumEvents: { ThreadCreated: 'THREAD_CREATED' },
  };

  it.each([
    [{ ...valid, forumEvents: { ThreadCreated: 'THREAD_OPENED' } }, 'forumEvents["ThreadCreated"] must be one of THREAD_CREATED'],
    [{ ...valid, forumChannels: [{ channel: 'forum.{forum}', visibility: 'PUBLIC' }] }, 'forumChannels[0].channel has an unknown placeholder {forum}'],
    [
      { ...valid, forumChannels: [{ channel: 'forum.{forumId}', visibility: 'EVERYONE' }] },
      'forumChannels[0].visibility must be one of PUBLIC, MEMBERS, STAFF',
    ],
    [{ ...valid, notifications: { channels: ['private-App.Models.User'], events: [NOTIFICATION_EVENT] } }, 'notifications.channels[0] must contain {userId}'],
    [{ ...valid, notifications: { channels: [], events: [NOTIFICATION_EVENT] } }, 'notifications.channels must be a non-empty array'],
    [{ ...valid, forumEvent: {} }, 'has unknown keys "forumEvent"'],
    [[], 'must be a JSON object'],
  ])('refuses %j', (json, message) => {
    expect(() => parseChannelMap(json)).toThrow(ChannelMapError);
    expect(() => parseChannelMap(json)).toThrow(message);
  });

  it('treats the pattern literally apart from its placeholders', () => {
    const literal = parseChannelMap({ ...valid, forumChannels: [{ channel: 'forum(*).{forumId}', visibility: 'PUBLIC' }] });
    expect(matchChannel(literal, 'forum(*).1')).toMatchObject({ forumId: '1' });
    expect(matchChannel(literal, 'forum((.1')).toBeUndefined();
  });
});

describe('parseRedisBroadcast', () => {
  it('reads the message as RedisBroadcaster writes it, dropping `socket` wherever it is', () => {
    const message = JSON.stringify({ event: NOTIFICATION_EVENT, data: { id: 'n1', type: 'T', socket: '123.456' }, socket: '123.456' });
    expect(parseRedisBroadcast('private-App.Models.User.1', message)).toEqual({
      channel: 'private-App.Models.User.1',
      event: NOTIFICATION_EVENT,
      data: { id: 'n1', type: 'T' },
    });
  });

  it("accepts PHP's empty array as empty data", () => {
    expect(parseRedisBroadcast('forum.1', '{"event":"ThreadCreated","data":[],"socket":null}')).toMatchObject({ data: {} });
  });

  it.each(['not json', '[]', '{"data":{}}', '{"event":"","data":{}}', '{"event":"x","data":"text"}'])('reports %s as malformed', (message) => {
    expect(parseRedisBroadcast('forum.1', message)).toHaveProperty('malformed');
  });
});

describe('translateBroadcast', () => {
  it('makes a notification: type, title, body and url from the data, all of the data kept', () => {
    const data = { id: 'uuid-1', type: 'App\\Notifications\\ThreadReplied', title: 'Ann replied', body: 'Hello', url: 'https://f/t/1', threadId: 5 };
    expect(translateBroadcast(map, { channel: 'private-App.Models.User.42', event: NOTIFICATION_EVENT, data })).toEqual({
      kind: 'notification',
      input: { userId: '42', type: 'App\\Notifications\\ThreadReplied', title: 'Ann replied', body: 'Hello', url: 'https://f/t/1', data },
    });
  });

  it("falls back to the subject, then the type's base name, for the title", () => {
    const translate = (data: Record<string, unknown>) => translateBroadcast(map, { channel: 'private-App.Models.User.1', event: NOTIFICATION_EVENT, data });
    expect(translate({ type: 'App\\Notifications\\Mentioned', subject: 'You were mentioned' })).toMatchObject({ input: { title: 'You were mentioned' } });
    expect(translate({ type: 'App\\Notifications\\Mentioned', message: 'text', action_url: '/x' })).toMatchObject({
      input: { title: 'Mentioned', body: 'text', url: '/x' },
    });
    expect(translate({})).toMatchObject({ input: { type: NOTIFICATION_EVENT, title: 'BroadcastNotificationCreated', body: null, url: null } });
  });

  it('makes forum activity: forum from the channel or the data, visibility from the channel, which it carries', () => {
    const data = { thread: { id: 345, title: 'Gears', forum_id: 9 }, post_id: 6789, user_id: 3, excerpt: 'First post', url: '/t/345' };
    expect(translateBroadcast(map, { channel: 'private-forum.12', event: 'App\\Events\\PostCreated', data })).toEqual({
      kind: 'forumActivity',
      input: {
        kind: 'POST_CREATED',
        forumId: '12',
        threadId: '345',
        postId: '6789',
        actorId: '3',
        title: 'Gears',
        excerpt: 'First post',
        url: '/t/345',
        visibility: 'MEMBERS',
        channel: 'private-forum.12',
        data,
      },
    });
    expect(translateBroadcast(map, { channel: 'thread.345', event: 'post.created', data })).toMatchObject({
      input: { forumId: '9', threadId: '345', visibility: 'PUBLIC', channel: 'thread.345' },
    });
  });

  it('reports an unknown channel, an unknown event and forum activity without a forum', () => {
    expect(translateBroadcast(map, { channel: 'chat.1', event: 'MessageSent', data: {} })).toEqual({ kind: 'unknown_channel', name: 'chat.1' });
    expect(translateBroadcast(map, { channel: 'forum.1', event: 'UserBanned', data: {} })).toEqual({ kind: 'unknown_event', name: 'UserBanned' });
    expect(translateBroadcast(map, { channel: 'private-App.Models.User.1', event: 'ThreadCreated', data: {} })).toEqual({
      kind: 'unknown_event',
      name: 'ThreadCreated',
    });
    expect(translateBroadcast(map, { channel: 'thread.1', event: 'ThreadUpdated', data: {} })).toMatchObject({ kind: 'malformed' });
  });
});
