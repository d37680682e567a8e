"""Signed webhooks (Standard Webhooks): signing, endpoint safety, sending, retry schedule."""
