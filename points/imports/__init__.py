"""Bulk points: HQ uploads a CSV (phone or member number, delta, reason), checks every row in a
dry run, then runs it as a job in chunks. Each row credits or debits through points.ledger with
a key made of the file's SHA-256 and the row number, so the same file run twice moves points
once."""
