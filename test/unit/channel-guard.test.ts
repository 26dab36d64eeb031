import { readFileSync } from 'node:fs';
import { parseChannelMap } from '../../src/laravel/channel-map';
import { guardOf, isGuardedChannel, presenceChannelOf, visibilityOfChannel } from '../../src/laravel/channel-guard';
import { DEFAULT_CHANNEL_MAP_FILE } from '../../src/config/load-config';

const map = parseChannelMap(JSON.parse(readFileSync(DEFAULT_CHANNEL_MAP_FILE, 'utf8')));

describe('the channel map read backwards', () => {
  it('guards an event by the channel it was broadcast on, when it names one', () => {
    expect(guardOf(map, { channel: 'private-forum.7', visibility: 'MEMBERS', forumId: '7', threadId: null })).toBe('private-forum.7');
    expect(guardOf(map, { channel: 'presence-thread.345', visibility: 'MEMBERS', forumId: '1', threadId: '345' })).toBe('presence-thread.345');
    expect(guardOf(map, { channel: 'forum.1', visibility: 'PUBLIC', forumId: '1', threadId: null })).toBeNull();
  });

  it('otherwise by the first private channel of the map with its visibility; a public event needs no question', () => {
    expect(guardOf(map, { visibility: 'MEMBERS', forumId: '12', threadId: '345' })).toBe('private-forum.12');
    expect(guardOf(map, { channel: null, visibility: 'STAFF', forumId: '12', threadId: null })).toBe('private-staff.forum.12');
    expect(guardOf(map, { visibility: 'PUBLIC', forumId: '12', threadId: null })).toBeNull();
  });

  it("joins a thread's presence channel, and knows which channels need authorization", () => {
    expect(presenceChannelOf(map, '345')).toBe('presence-thread.345');
    expect(isGuardedChannel('private-forum.1')).toBe(true);
    expect(isGuardedChannel('presence-thread.1')).toBe(true);
    expect(isGuardedChannel('forum.1')).toBe(false);
  });

  it("gives a named channel's visibility class, undefined for a channel the map does not know", () => {
    expect(visibilityOfChannel(map, 'private-forum.12')).toBe('MEMBERS');
    expect(visibilityOfChannel(map, 'private-staff.forum.12')).toBe('STAFF');
    expect(visibilityOfChannel(map, 'forum.12')).toBe('PUBLIC');
    expect(visibilityOfChannel(map, 'private-App.Models.User.1')).toBeUndefined();
    expect(visibilityOfChannel(map, 'chat.1')).toBeUndefined();
  });
});
