"""Member analytics: RFM scores and segments (chain and per store) with their monthly history,
churn status by each member's own rhythm, the points liability in money, and a promotion's cost
replayed over past orders before it runs."""
