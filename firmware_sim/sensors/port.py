"""A probe's serial port: a pseudo-terminal whose slave side a driver opens like any tty.

The emulator holds the master; the slave device (/dev/pts/N) is published as a symlink with a
stable name. Unplugging removes the link and closes the master, so the driver's reads fail and
the device is gone; replugging makes a new pty and points the link at it, as a USB probe
re-enumerating would.

Linux pty behaviour this relies on (and mirrors a real port): while no process has the slave
open, the master polls POLLHUP and bytes written are lost; bytes the driver has not read when
the master closes are lost too, so an unplug first waits (bounded) until the driver has read
everything.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import select
import struct
import termios
import tty
from pathlib import Path

logger = logging.getLogger(__name__)


class PtyPort:
    """One pseudo-terminal published at `link`; plug(), unplug(), send(), receive()."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.device: str | None = None
        self._master: int | None = None

    @property
    def plugged(self) -> bool:
        """Whether the device exists."""
        return self._master is not None

    @property
    def fd(self) -> int | None:
        """The master's descriptor while plugged (for polling commands)."""
        return self._master

    def plug(self) -> str:
        """Create the pty and publish its slave at the link; return the slave's path."""
        master, slave = os.openpty()
        try:
            tty.setraw(slave)  # no echo, no line editing, until the driver sets its own mode
            device = os.ttyname(slave)
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        self._master, self.device = master, device
        tmp = self.link.with_name(f".{self.link.name}.tmp")
        tmp.unlink(missing_ok=True)
        os.symlink(device, tmp)
        tmp.replace(self.link)
        return device

    def unplug(self) -> None:
        """Remove the device: the link first, so no reopen can find a stale pty number."""
        self.link.unlink(missing_ok=True)
        if self._master is not None:
            os.close(self._master)
        self._master = None

    def listening(self) -> bool:
        """Whether a driver has the slave open (the master polls no HUP then)."""
        if self._master is None:
            return False
        poller = select.poll()
        poller.register(self._master, select.POLLOUT)
        return not any(ev & select.POLLHUP for _, ev in poller.poll(0))

    def send(self, data: bytes) -> bool:
        """Write one line; False if it could not go out whole (nobody reading, buffer full)."""
        if self._master is None:
            return False
        try:
            return os.write(self._master, data) == len(data)
        except OSError:  # EAGAIN (full), EIO (hung up)
            return False

    def receive(self) -> bytes:
        """Whatever the driver has written (commands), without blocking."""
        if self._master is None:
            return b""
        try:
            return os.read(self._master, 4096)
        except OSError:  # EAGAIN (nothing), EIO (no slave open)
            return b""

    def unread(self) -> int:
        """Bytes sent that the driver has not read yet (0 when no driver or no device)."""
        if self.device is None or self._master is None:
            return 0
        try:
            fd = os.open(self.device, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError:
            return 0
        try:
            buf = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
            return int(struct.unpack("i", buf)[0])
        finally:
            os.close(fd)

    def close(self) -> None:
        """Unplug for good."""
        with contextlib.suppress(OSError):
            self.unplug()
