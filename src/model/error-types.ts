/**
 * Why an email ended as `failed` or `suppressed`. Stable strings: they are stored on the tracking
 * record and shown by `mailengine status lookup`, and scripts may match on them.
 */
export const ERROR_TYPES = {
  invalidRequest: 'invalid_request',
  invalidAddress: 'invalid_address',
  headerInjection: 'header_injection',
  payloadTooLarge: 'payload_too_large',
  templateNotFound: 'template_not_found',
  templateMissingVariable: 'template_missing_variable',
  /** templateData breaks the template's contract (its `variables` in metadata.json); the message names each path. */
  templateDataInvalid: 'template_data_invalid',
  templateError: 'template_error',
  suppressed: 'suppressed',
  sesRejected: 'ses_rejected',
  sesBadRequest: 'ses_bad_request',
  renderingFailure: 'rendering_failure',
  /** The request passed validation but the tracking table refused it as it was; kept in minimal form. */
  unstorableRequest: 'unstorable_request',
  /** The caller's emailId already names an email to another recipient. */
  emailIdConflict: 'email_id_conflict',
  /** SES throttled the email for longer than the engine waits (6 hours by default). */
  throttledTooLong: 'throttled_too_long',
  /** An attachment the request names is not in the attachments prefix. */
  attachmentNotFound: 'attachment_not_found',
  /** The attachments, base64-encoded as SES counts them, and the body exceed SES's 40 MB message limit. */
  attachmentTooLarge: 'attachment_too_large',
  /** An attachment's file name has an extension SES refuses (its "unsupported attachment types"). */
  attachmentTypeUnsupported: 'attachment_type_unsupported',
} as const;

export type ErrorType = (typeof ERROR_TYPES)[keyof typeof ERROR_TYPES];

/** A problem that retrying cannot fix: the request ends as a record, and is not retried. */
export class PermanentFailure extends Error {
  constructor(
    readonly errorType: ErrorType,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'PermanentFailure';
  }
}
