"""Build, render and deliver the CRM's emails and webhooks."""
