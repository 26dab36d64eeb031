import type { ForumActivityInput } from '../events/drafts';
import type { ChannelMap } from '../laravel/channel-map';
import { visibilityOfChannel } from '../laravel/channel-guard';
import { graphQLError } from './errors';

/**
 * A publish that names its Laravel channel (`channel: "private-forum.12"`) takes its visibility
 * from the channel map, as Laravel's own broadcasts do, so that an event of a private channel can
 * never go out as PUBLIC; a channel the map does not know is refused.
 */
export function withChannelVisibility<Input extends ForumActivityInput>(input: Input, map: ChannelMap): Input {
  if (input.channel == null) return input;
  const visibility = visibilityOfChannel(map, input.channel);
  if (visibility === undefined) {
    throw graphQLError('BAD_USER_INPUT', `The channel "${input.channel}" is not a forum channel of the channel map (LARAVEL_CHANNEL_MAP).`);
  }
  return { ...input, visibility };
}
