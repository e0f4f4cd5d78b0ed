"""The marketers' and HQ's dashboard: a daily rollup per store that a job maintains
(`rollup`), the reads that feed the page from it plus today's figures live (`figures`), and the
report tables the console exports (`reports`). Every read of the source tables (ledger, orders,
check-ins, referrals, redemptions) is in `sources`, so it can be pointed at a reports replica."""
