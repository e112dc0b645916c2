"""The unit readers hand to the pipeline: one batch of raw reads from one reader."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class ReadBatch:
    """Raw reads of one reader, as decoded from one report, with the gateway's receive time."""

    reader: int  # index of the reader in the gateway config
    recv_us: int  # gateway wall clock when the report arrived, µs since the epoch
    epcs: tuple[str, ...]  # upper-case hex, one per read
    t_us: npt.NDArray[np.int64]  # reader clock: first-seen time of each read
    antenna: npt.NDArray[np.int16]
    rssi: npt.NDArray[np.float32]
    count: npt.NDArray[np.int16]  # TagSeenCount: reads folded into this report entry

    def __len__(self) -> int:
        return len(self.epcs)
