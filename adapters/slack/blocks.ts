/**
 * Block Kit for Parley, gathered for callers that use all of it (the inbound handlers): the
 * messages Parley posts (messages.ts), the form's modal and its notices (form-modal.ts), and what
 * an open modal sends back (form-submission.ts). Slack's limits and the shared primitives are in
 * kit.ts.
 */
export {
  blockIds,
  FORM_CALLBACK,
  formModal,
  INPUT_ACTION,
  LOADING_CALLBACK,
  loadingModal,
  type ModalView,
  noticeModal,
  SLACK_CAPABILITIES,
} from './form-modal.js';
export {
  errorsByBlock,
  fieldForBlock,
  type InputState,
  readSubmission,
  suggestOptions,
} from './form-submission.js';
export { LIMITS } from './kit.js';
export {
  ACTION,
  closedMessage,
  confirmHeadline,
  confirmMessage,
  formHeadline,
  formMessage,
  linkHeadline,
  linkMessage,
  markdownMessage,
  type SlackMessage,
} from './messages.js';
