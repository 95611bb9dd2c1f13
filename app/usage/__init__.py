"""GET /usage: the caller's own quotas, used and remaining per window."""
