"""The bulk points run, as an RQ job: one transaction per chunk. Killed, it is queued again
(the console's "resume") and goes on from the last committed chunk; two runs of one import
take its row lock chunk by chunk, so no row is applied twice (its ledger key guards too)."""
from core.db import run_in_transaction
from points.imports import running


def run_import(import_id: int, chunk: int = running.CHUNK) -> dict:
    """Apply a queued import's rows, chunk by chunk, until it is done."""
    chunks = 0
    while not run_in_transaction(lambda: running.run_chunk(import_id, chunk)):
        chunks += 1
    return {"import_id": import_id, "chunks": chunks + 1}
