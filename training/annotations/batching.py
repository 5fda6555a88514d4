"""Shared by the batch makers: whole stories into batches of about equal sentence counts."""


def cut(units: list[dict], n_batches: int) -> list[list[dict]]:
    """Stories in order into ``n_batches`` batches, cutting only between stories.

    >>> [len(b) for b in cut([{"sentences": [1]}] * 5, 2)]
    [3, 2]
    """
    total = sum(len(u["sentences"]) for u in units)
    batches, cur, size = [], [], 0
    for u in units:
        cur.append(u)
        size += len(u["sentences"])
        if size >= total / n_batches * (len(batches) + 1) and len(batches) < n_batches - 1:
            batches.append(cur)
            cur = []
    batches.append(cur)
    return batches
