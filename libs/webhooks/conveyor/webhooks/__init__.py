"""Signed webhooks (Standard Webhooks): signing, endpoint safety, sending, retry schedule."""

from conveyor.webhooks.safety import EndpointPolicy, UnresolvableHost, UnsafeEndpoint
from conveyor.webhooks.schedule import RETRY_SCHEDULE, next_attempt_at
from conveyor.webhooks.sender import Attempt, WebhookSender
from conveyor.webhooks.signing import SignatureError, generate_secret

__all__ = [
    "RETRY_SCHEDULE",
    "Attempt",
    "EndpointPolicy",
    "SignatureError",
    "UnresolvableHost",
    "UnsafeEndpoint",
    "WebhookSender",
    "generate_secret",
    "next_attempt_at",
]
