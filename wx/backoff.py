"""How long to wait before asking a busy (-1) or silent WeChat again: exponentially longer
each time, a bounded number of times and a bounded time in all, so a request or a reminder
batch never hangs on WeChat for longer than its settings say."""
from time import sleep
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    #: the first wait, in seconds; each next one doubles
    first: float = 0.2
    #: at most this many retries …
    retries: int = 5
    #: … and never more than this many seconds of waiting in all
    max_seconds: float = 5.0

    @classmethod
    def from_config(cls, config, prefix: str = "WECHAT") -> "Backoff":
        return cls(float(config[f"{prefix}_RETRY_BACKOFF"]), int(config[f"{prefix}_RETRIES"]),
                   float(config[f"{prefix}_RETRY_MAX_SECONDS"]))

    def delays(self):
        """The waits, in order; stops before one would pass `max_seconds` in all."""
        waited = 0.0
        for attempt in range(self.retries):
            delay = self.first * 2 ** attempt
            if waited + delay > self.max_seconds:
                return
            waited += delay
            yield delay


class Waits:
    """The waits of one call: `again()` sleeps the next one and says True, or says False when
    none is left (then the caller gives up)."""

    def __init__(self, backoff: Backoff):
        self._delays = backoff.delays()

    def again(self) -> bool:
        delay = next(self._delays, None)
        if delay is None:
            return False
        sleep(delay)
        return True
