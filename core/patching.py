"""Partial updates: a PATCH (or a settings PUT) changes only what it sends, at every depth.

Two halves, used together: the view loads its input with a partial schema (`partial=True`
reaches nested schemas too, so no default or required field fills in what was not sent), and
the service applies what was sent with `merge_patch`."""


def merge_patch(target, patch):
    """`patch` applied to `target` as a JSON Merge Patch (RFC 7396): objects merge key by key at
    every depth, null removes a key, anything else (a list too) replaces. Returns a new value;
    neither argument is changed."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged
