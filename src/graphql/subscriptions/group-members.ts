import { GraphQLError, type ExecutionResult } from 'graphql';
import type { EncodedResult, OpenSubscription, Subscriber } from './subscriber';
import type { Member, MemberRequest, Membership } from './subscription-sharing';

/** A subscriber with a membership of its own (see `Membership`): it leaves once, when its subscription closes or ends. */
class MemberSubscriber implements Subscriber, OpenSubscription {
  subscription: OpenSubscription | null = null;
  private left = false;

  constructor(
    private readonly subscriber: Subscriber,
    private readonly member: Member,
  ) {}

  get caller() {
    return this.subscriber.caller;
  }

  get bearerToken() {
    return this.subscriber.bearerToken;
  }

  send(result: EncodedResult): void {
    this.subscriber.send(result);
  }

  end(error?: unknown): void {
    this.leave();
    this.subscriber.end(error);
  }

  close(): void {
    this.subscription?.close();
    this.leave();
  }

  leave(): void {
    if (this.left) return;
    this.left = true;
    void this.member.leave();
  }
}

/**
 * Enters `subscriber` as a member (its own check first: a GraphQLError refuses it alone), then
 * joins it to its group with `join`, then tells the membership it has joined; it leaves when
 * refused there, when its subscription closes or when the group ends.
 */
export async function joinAsMember(
  membership: Membership,
  request: MemberRequest,
  subscriber: Subscriber,
  join: (subscriber: Subscriber) => Promise<OpenSubscription | ExecutionResult>,
): Promise<OpenSubscription | ExecutionResult> {
  let member: Member;
  try {
    member = await membership.enter(request);
  } catch (error) {
    if (error instanceof GraphQLError) return { errors: [error] };
    throw error;
  }
  const joining = new MemberSubscriber(subscriber, member);
  const joined = await join(joining).catch((error: unknown) => {
    joining.leave();
    throw error;
  });
  if (!('close' in joined)) {
    joining.leave();
    return joined;
  }
  joining.subscription = joined;
  await member.joined();
  return joining;
}
