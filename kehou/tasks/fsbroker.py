"""kombu's filesystem transport with an atomic put.

The stock transport creates the message file under its final name and only then
writes it, so a worker polling the folder can take the file while it is still
empty: the payload fails to decode and the task is lost. Here the message is
written under a hidden name and renamed into place, so a reader sees a whole
message or none.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

SCHEME = "kehoufs"


class Channel(filesystem.Channel):
    # kombu's filesystem.Channel names the argument "payload", its base AbstractChannel "message":
    # no signature overrides both, so this keeps the name of the method it replaces.
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES[SCHEME] = f"{__name__}:Transport"


def broker_url(url: str) -> str:
    """The URL Celery is given: ``filesystem://`` means this transport."""
    return SCHEME + url[len("filesystem"):] if url.startswith("filesystem://") else url
