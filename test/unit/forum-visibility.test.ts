import { matchesForumFilter } from '../../src/events/forum-filter';
import type { ForumActivityEvent } from '../../src/events/payloads';
import { visibleClasses } from '../../src/events/visibility';

const event: ForumActivityEvent = {
  id: 'a',
  kind: 'POST_CREATED',
  forumId: 'f1',
  threadId: 't1',
  postId: null,
  actorId: null,
  title: null,
  excerpt: null,
  url: null,
  visibility: 'PUBLIC',
  data: null,
  occurredAt: new Date(0).toISOString(),
};

describe('visibility classes', () => {
  it.each([
    [{ signedIn: false, roles: [] }, ['PUBLIC']],
    [{ signedIn: false, roles: ['admin'] }, ['PUBLIC']],
    [{ signedIn: true, roles: [] }, ['PUBLIC', 'MEMBERS']],
    [{ signedIn: true, roles: ['editor'] }, ['PUBLIC', 'MEMBERS']],
    [{ signedIn: true, roles: ['moderator'] }, ['PUBLIC', 'MEMBERS', 'STAFF']],
    [{ signedIn: true, roles: ['admin'] }, ['PUBLIC', 'MEMBERS', 'STAFF']],
  ])('%j sees %j', (audience, classes) => {
    expect(visibleClasses(audience)).toEqual(classes);
  });
});

describe('forum filters', () => {
  it.each([
    [{}, true],
    [{ forumId: 'f1' }, true],
    [{ forumId: 'f2' }, false],
    [{ threadId: 't1' }, true],
    [{ threadId: 't2' }, false],
    [{ kinds: ['POST_CREATED', 'POST_DELETED'] }, true],
    [{ kinds: [] }, false],
    [{ kinds: ['THREAD_CREATED'] }, false],
    [{ forumId: 'f1', threadId: 't1', kinds: ['POST_CREATED'] }, true],
    [{ forumId: 'f1', threadId: 't2', kinds: ['POST_CREATED'] }, false],
  ] as const)('%j matches: %s', (filter, expected) => {
    expect(matchesForumFilter(event, filter)).toBe(expected);
  });
});
