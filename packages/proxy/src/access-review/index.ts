export {
  type AskCluster,
  answerAccessReview,
  answerRulesReview,
  type ReviewAnswer,
  type UpstreamReviewAnswer,
} from './answer-review.js';
export { reviewedNonResourceAttributes, reviewedResourceAttributes } from './review-attributes.js';
export {
  type AccessReviewRequest,
  decodeAccessReview,
  REVIEW_RESOURCES,
  type ReviewNonResourceAttributes,
  type ReviewResourceAttributes,
} from './review-codec.js';
export { MAX_REVIEW_BODY_BYTES, readAccessReview, reviewKindOf } from './review-request.js';
