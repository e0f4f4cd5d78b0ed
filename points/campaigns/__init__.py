"""Store campaigns: what a store may run on its own inside HQ's guardrails (the store policy),
HQ's approval of them, and each store's monthly points budget that pays for them."""
