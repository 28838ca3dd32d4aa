"""Parts of a page every reader sees alike, rendered once and kept: ``{% call kept(*key) %}…{% endcall %}``.

A listing's card is mostly its paper — the title with its maths read, the authors, the first lines of the
abstract, the dates — and rendering those 50 times per signed-in view was most of the page's time, though
they are the same for every reader. A block's output is kept under the values given as its key, so the key
must hold every value the block reads, and whole (the paper itself, not its id: an edited paper is another
key, and nothing kept ever needs to be invalidated). What is the reader's own — their marks, CSRF token,
reasons — stays outside such blocks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from markupsafe import Markup

MAX_FRAGMENTS = 4096  # a few KB each: a month's listing of cards, and the days around it

_kept: OrderedDict[tuple[Hashable, ...], Markup] = OrderedDict()
_lock = threading.Lock()


def kept(*key: Hashable, caller: Callable[[], str]) -> Markup:
    """The block's output for ``key``: rendered by ``caller`` (Jinja's call block) the first time only."""
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    fragment = Markup(caller())  # noqa: S704 - a Jinja block's output, escaped by its template
    with _lock:
        _kept[key] = fragment
        while len(_kept) > MAX_FRAGMENTS:
            _kept.popitem(last=False)
    return fragment
