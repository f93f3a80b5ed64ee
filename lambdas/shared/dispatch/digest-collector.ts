import type { DigestRecord, DigestWindows } from '../adapters/digest-windows.js';
import { dueIndexEntry, NOTIFICATION_RETENTION_SECONDS } from '../adapters/notifications-store.js';
import {
  DIGEST_PAYLOAD_LIMIT_BYTES,
  type DigestMember,
  type DigestSettings,
  digestRef,
  payloadBytes,
} from '../domain/digest.js';
import { ApiError } from '../http/api-error.js';
import { logger } from '../observability.js';
import type { NotificationRequest } from '../schemas/notification-request.js';
import type { ScheduleHandOff } from './schedule-hand-off.js';

/** Tries at joining or opening a window before the request is failed for contention (each lost race is progress). */
const ATTEMPTS = 6;

/** A notification of a digest type, about to join its person's digest. */
export interface DigestCandidate {
  readonly notification_id: string;
  readonly type: string;
  readonly user_id: string;
  readonly producer: string;
  readonly category?: string;
  readonly created_at: string;
  readonly request: Pick<NotificationRequest, 'payload' | 'channels'>;
}

export interface DigestCollectorDependencies {
  readonly windows: Pick<DigestWindows, 'openDigestOf' | 'join' | 'open'>;
  readonly handOff: Pick<ScheduleHandOff, 'handOff' | 'now'>;
  readonly clock?: () => Date;
  readonly newId?: () => string;
}

/**
 * Puts a notification into its person's open digest of its type (and key value), or opens the next one: a digest is a
 * scheduled notification of its own, due when its window closes, dispatched then through the one dispatch step with
 * its members' payloads; the member that fills it has it dispatched at once.
 */
export class DigestCollector {
  private readonly clock: () => Date;
  private readonly newId: () => string;

  constructor(private readonly deps: DigestCollectorDependencies) {
    this.clock = deps.clock ?? (() => new Date());
    this.newId = deps.newId ?? (() => crypto.randomUUID());
  }

  /** Answers the digest the notification is in. */
  async collect(candidate: DigestCandidate, settings: DigestSettings, retryAdvice: string): Promise<string> {
    const ref = digestRef(candidate.type, settings, candidate.request.payload);
    const member: DigestMember = {
      notification_id: candidate.notification_id,
      payload: candidate.request.payload,
      accepted_at: candidate.created_at,
    };
    const bytes = payloadBytes(member.payload);
    const room = { maxItems: settings.max_items, bytes, limitBytes: DIGEST_PAYLOAD_LIMIT_BYTES };
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const open = await this.deps.windows.openDigestOf(candidate.user_id, ref);
      if (open) {
        const count = await this.deps.windows.join(open, member, room);
        if (count !== undefined) {
          if (count >= settings.max_items) await this.deps.handOff.now(open, retryAdvice);
          return open;
        }
      }
      // None open, or the open one went out or is full: this member opens the next.
      const digest = this.digestOpenedBy(candidate, member, ref, settings, bytes);
      if (await this.deps.windows.open(digest, open)) {
        logger.info('digest opened', { digest_id: digest.notification_id });
        await this.deps.handOff.handOff(digest, retryAdvice);
        return digest.notification_id;
      }
    }
    throw new ApiError(
      503,
      'digest_contended',
      `could not add the notification to its digest; ${retryAdvice}`,
      undefined,
      1,
    );
  }

  private digestOpenedBy(
    candidate: DigestCandidate,
    member: DigestMember,
    ref: string,
    settings: DigestSettings,
    bytes: number,
  ): DigestRecord {
    const now = this.clock();
    const digestId = this.newId();
    const sendAt = new Date(now.getTime() + settings.window_seconds * 1000);
    return {
      notification_id: digestId,
      kind: 'digest',
      user_id: candidate.user_id,
      type: candidate.type,
      producer: candidate.producer,
      ...(candidate.category ? { category: candidate.category } : {}),
      critical: false,
      created_at: now.toISOString(),
      status: 'scheduled',
      send_at: sendAt.toISOString(),
      request: { payload: {}, ...(candidate.request.channels ? { channels: candidate.request.channels } : {}) },
      channels: {},
      digest_ref: ref,
      members: [member],
      member_ids: new Set([member.notification_id]),
      member_count: 1,
      payload_bytes: bytes,
      max_items: settings.max_items,
      digest_version: 1,
      ...dueIndexEntry(digestId, sendAt, now),
      expires_at: Math.floor(sendAt.getTime() / 1000) + NOTIFICATION_RETENTION_SECONDS,
    };
  }
}
