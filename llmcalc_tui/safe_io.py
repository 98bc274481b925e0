"""Reading and writing the user's files without hanging, eating memory or replacing what is not ours.

Reads accept regular files only (a FIFO would block, a device such as /dev/zero never ends) and
stop at a size cap. Writes of the app's own files (scenarios, ui_state.json) are atomic: a
temporary file next to the target, fsynced, then `os.replace`; the target's permission bits are
kept. Exports write through to whatever the user named (a symlink's target, a FIFO, a device),
replacing atomically only a regular file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

MAX_FILE_BYTES = 16 * 2**20
"""Largest catalog, theme, scenario or config file read (16 MiB): far above any real one."""
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_NOCTTY = getattr(os, "O_NOCTTY", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)


class UnreadableFile(OSError):
    """A path that is not a regular file or is too large; `strerror` says which, in words."""

    def __init__(self, path: Path | str, why: str):
        super().__init__(errno.EINVAL, why, str(path))


def kind_of(mode: int) -> str:
    """What a file mode describes, in words ("a FIFO", "a character device", ...)."""
    for test, words in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return words
    return "not a regular file"


def read_regular_bytes(path: Path | str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; UnreadableFile for anything else.

    The file is opened non-blocking (opening a FIFO with no writer would wait forever) and
    checked with fstat on the open descriptor, so a path swapped between check and read is
    still caught. Symlinks are followed: a link to a regular file is fine, one to /dev/zero is not.
    """
    fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_NOCTTY | _O_BINARY)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(path, f"is {kind_of(info.st_mode)}, not a regular file; skipped")
        if info.st_size > limit:
            raise UnreadableFile(path, f"is larger than {limit // 2**20} MiB ({info.st_size:,} bytes); skipped")
        chunks: list[bytes] = []
        size = 0
        while True:  # read to the end, not to st_size: the file may grow while it is read
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise UnreadableFile(path, f"is larger than {limit // 2**20} MiB; skipped")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_regular_text(path: Path | str, limit: int = MAX_FILE_BYTES, encoding: str = "utf-8") -> str:
    """`read_regular_bytes` decoded; UnicodeDecodeError when it is not text in `encoding`."""
    return read_regular_bytes(path, limit).decode(encoding)


def why(exc: OSError) -> str:
    """An OSError in a few lowercase words, without the path."""
    if not exc.strerror:
        return str(exc)
    return exc.strerror if isinstance(exc, UnreadableFile) else exc.strerror.lower()


def fsync_dir(directory: Path) -> None:
    """Make a rename durable; not possible (nor needed) on every platform."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _existing_mode(path: Path) -> int | None:
    """Permission bits of the regular file at `path` (not following a symlink), None when there is none."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    return stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else None


def create_exclusive(path: Path, mode: int = 0o666) -> int:
    """Open a new file for writing: never an existing one, never through a symlink."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY, mode)


def atomic_write(path: Path | str, data: bytes, *, backup: Path | None = None, mode: int | None = None) -> None:
    """Write `data` to `path` all-or-nothing; with `backup`, first copy the current file there.

    The temporary file lives next to `path` (same file system, so `os.replace` is atomic) and is
    created with O_EXCL | O_NOFOLLOW. A file being replaced keeps its permission bits, and so does
    its backup; a new file gets `mode` (default 0666 minus the umask). Raises OSError; the target
    is untouched then.
    """
    path = Path(path)
    kept_mode = _existing_mode(path)
    if backup is not None and kept_mode is not None:
        _replace_with(Path(backup), read_regular_bytes(path), kept_mode)
    _replace_with(path, data, kept_mode if kept_mode is not None else mode)


def _replace_with(path: Path, data: bytes, mode: int | None) -> None:
    directory = path.parent
    tmp = directory / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = create_exclusive(tmp, 0o600 if mode is not None else 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


@contextlib.contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """An exclusive lock on `lock_path`, shared by every process; the lock file is never followed as a symlink."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | _O_NOFOLLOW | _O_NONBLOCK, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnreadableFile(lock_path, f"its lock file {lock_path.name} is a symbolic link; remove it") from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableFile(lock_path, f"its lock file {lock_path.name} is not a regular file; remove it")
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


STDOUT_NAME = "-"
"""The output name that means standard output."""


_STDOUT_ALIASES = {"/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"}
"""Names of this process's standard output: written as `-` (reopening them would truncate a redirected file)."""


def write_output(target: str | Path, data: bytes, stdout: BinaryIO | None = None) -> str:
    """Write an export where the user pointed; returns how it was written ("stdout", "stream", "file").

    `-` (or /dev/stdout) is standard output. A FIFO, character device or other non-regular file is
    written to as a stream (it is not ours to replace). A regular file or a new path is replaced
    atomically, keeping an existing file's permission bits; a symlink is followed to the file it
    names, so the link stays a link.
    """
    if str(target) == STDOUT_NAME or str(target) in _STDOUT_ALIASES:
        out = stdout if stdout is not None else sys.stdout.buffer
        out.write(data)
        out.flush()
        return "stdout"
    given = Path(target).expanduser()
    try:
        info = os.stat(given)  # follows symlinks: what the path names
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder", str(target))
    if info is not None and not stat.S_ISREG(info.st_mode):
        fd = os.open(given, os.O_WRONLY | _O_NOCTTY | _O_BINARY)  # a FIFO waits here for its reader, as with `>`
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return "stream"
    if info is not None and not info.st_mode & stat.S_IWUSR:
        raise PermissionError(errno.EACCES, "it is read-only", str(target))  # as `>` would say (root included)
    atomic_write(Path(os.path.realpath(given)), data)
    return "file"
